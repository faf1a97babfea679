import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";

export interface AwsClientConfig {
  region: string;
  /** Overrides every service's endpoint (moto, LocalStack, a VPC endpoint proxy). */
  endpoint?: string;
  /** Static keys; without them the SDK's default chain applies (IRSA, Pod Identity, env, profile). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

export interface AwsClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  serviceDiscovery: ServiceDiscoveryClient;
}

export function createAwsClients(config: AwsClientConfig): AwsClients {
  const common = {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
  };
  return {
    ecs: new ECSClient(common),
    elbv2: new ElasticLoadBalancingV2Client(common),
    // Cloud Map prefixes some operations' hosts ("data-servicediscovery..."); a single overridden
    // endpoint such as moto cannot answer on those names.
    serviceDiscovery: new ServiceDiscoveryClient({ ...common, ...(config.endpoint ? { disableHostPrefix: true } : {}) }),
  };
}
