import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Client, MetadataBearer } from "@smithy/types";
import { currentSignal } from "../runtime/cancellation.js";

export interface AwsClientConfig {
  region: string;
  /** Overrides every service's endpoint (moto, LocalStack, a VPC endpoint proxy). */
  endpoint?: string;
  /**
   * Static keys or a provider (an assumed role); without them the SDK's default chain applies
   * (IRSA, Pod Identity, env, profile).
   */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts?: number;
  /** Deadline of one HTTP attempt, socket connect included (default 30 s; the SDK has none). */
  requestTimeoutMs?: number;
}

export interface AwsClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  serviceDiscovery: ServiceDiscoveryClient;
  scheduler: SchedulerClient;
  applicationAutoScaling: ApplicationAutoScalingClient;
}

/**
 * Each client with the AWS service name its calls are counted and rate-limited under (the IAM
 * prefix, e.g. "elasticloadbalancing"). A new client is added here and in AwsClients only.
 */
export function serviceClients(clients: AwsClients): [service: string, client: Client<object, MetadataBearer, unknown>][] {
  return [
    ["ecs", clients.ecs],
    ["elasticloadbalancing", clients.elbv2],
    ["servicediscovery", clients.serviceDiscovery],
    ["scheduler", clients.scheduler],
    // Its middleware stack is typed for its own inputs, every one of which has a required field,
    // so it does not pass for a client of any input; the stack is the same.
    ["application-autoscaling", clients.applicationAutoScaling as unknown as Client<object, MetadataBearer, unknown>],
  ];
}

/** AWS answers in well under a second; a request that has not after this is stuck (a half-open connection). */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_TIMEOUT_MS = 5_000;

interface Sender {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Every call made inside a reconcile is abandoned with it (shutdown, lost leader lease), unless the
 * caller passed its own signal: the reconcile's signal is carried implicitly (runtime/cancellation).
 */
function followCancellation<C extends object>(client: C): C {
  const sender = client as unknown as Sender;
  const send = sender.send.bind(client);
  sender.send = (command, options) => {
    const abortSignal = options?.abortSignal ?? currentSignal();
    return send(command, { ...options, ...(abortSignal ? { abortSignal } : {}) });
  };
  return client;
}

/** The SDK options every client of the operator shares. */
function commonOptions(config: AwsClientConfig) {
  return {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
    // throwOnRequestTimeout: without it the SDK only logs a warning when requestTimeout passes.
    requestHandler: { requestTimeout: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, connectionTimeout: CONNECTION_TIMEOUT_MS, throwOnRequestTimeout: true },
  };
}

/** STS with the operator's own identity: who it is, and the roles it assumes in granted accounts. */
export function createStsClient(config: AwsClientConfig): STSClient {
  return followCancellation(new STSClient(commonOptions(config)));
}

export function createAwsClients(config: AwsClientConfig): AwsClients {
  const common = commonOptions(config);
  return {
    ecs: followCancellation(new ECSClient(common)),
    elbv2: followCancellation(new ElasticLoadBalancingV2Client(common)),
    // Cloud Map prefixes some operations' hosts ("data-servicediscovery..."); a single overridden
    // endpoint such as moto cannot answer on those names.
    serviceDiscovery: followCancellation(new ServiceDiscoveryClient({ ...common, ...(config.endpoint ? { disableHostPrefix: true } : {}) })),
    scheduler: followCancellation(new SchedulerClient(common)),
    applicationAutoScaling: followCancellation(new ApplicationAutoScalingClient(common)),
  };
}
