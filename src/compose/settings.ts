import type { WarningSink } from "./diagnostics.js";
import type { ComposeProjectModel } from "./load.js";
import { objectName } from "./names.js";

export type LaunchType = "EC2" | "FARGATE";
export type NetworkMode = "awsvpc" | "bridge" | "host" | "none";

/** What the command line adds to the Compose file. */
export interface ConvertOptions {
  /** --project-name; otherwise the file's `name`, otherwise `defaultProjectName`. */
  projectName?: string;
  /** The name of the Compose file's directory, as Compose names a project. */
  defaultProjectName: string;
  namespace?: string;
  /** --cluster: an existing EcsCluster object to run in, instead of a new one. */
  cluster?: string;
  launchType?: LaunchType;
  vpcId?: string;
  listenerArn?: string;
  /**
   * --service-discovery: how services find each other by name. `cloudmap` (the default, what
   * Docker's ECS integration did): a private DNS namespace and a Cloud Map service registry per
   * service; `connect`: ECS Service Connect on an HTTP namespace, no registries.
   */
  serviceDiscovery?: ServiceDiscovery;
}

export type ServiceDiscovery = "cloudmap" | "connect";

/**
 * Stand-ins for values only the user can know. They match the CRDs' patterns so that the output
 * applies, and the warning that accompanies each one says what to put there.
 */
export const PLACEHOLDER = {
  vpcId: "vpc-00000000000000000",
  subnet: "subnet-00000000000000000",
  fileSystemId: "fs-00000000000000000",
} as const;

const KNOWN_PROJECT_EXTENSIONS = ["x-aws-vpc", "x-aws-cluster", "x-aws-loadbalancer", "x-aws-cloudformation"];

export interface Settings {
  project: string;
  namespace?: string;
  launchType: LaunchType;
  /** The network mode of tasks whose service does not choose one. */
  networkMode: NetworkMode;
  /** Either an EcsCluster object by name (created here unless --cluster) or an AWS cluster literal. */
  cluster: { ref: string; create: boolean } | { literal: string };
  vpcId: string;
  listenerArn?: string;
  serviceDiscovery: ServiceDiscovery;
  /** True when vpcId is the placeholder: each object that carries it says so in a warning. */
  vpcIsPlaceholder: boolean;
}

export function resolveSettings(project: ComposeProjectModel, options: ConvertOptions, warnings: WarningSink): Settings {
  const ext = project.projectExtension;
  const params = project.ecsParams;
  const taskParams = params.task_definition;
  const raw = (key: string): unknown => (project.compose.value as Record<string, unknown>)[key];

  const launchType = options.launchType ?? ext.launch_type ?? inferredLaunchType(project, warnings);
  const paramsMode = taskParams?.ecs_network_mode;
  let networkMode: NetworkMode = paramsMode ?? (launchType === "FARGATE" ? "awsvpc" : "bridge");
  if (launchType === "FARGATE" && networkMode !== "awsvpc") {
    warnings.param(["task_definition", "ecs_network_mode"], `Fargate supports only the awsvpc network mode; using awsvpc instead of ${networkMode}`);
    networkMode = "awsvpc";
  }

  const awsCluster = raw("x-aws-cluster");
  const clusterRef = options.cluster ?? ext.cluster;
  const name = objectName(options.projectName ?? project.file.name ?? options.defaultProjectName);
  const cluster: Settings["cluster"] =
    clusterRef !== undefined ? { ref: clusterRef, create: false } : typeof awsCluster === "string" ? { literal: awsCluster } : { ref: name, create: true };

  const awsVpc = raw("x-aws-vpc");
  const vpcId = options.vpcId ?? ext.vpc_id ?? (typeof awsVpc === "string" ? awsVpc : undefined) ?? params.run_params?.service_discovery?.private_dns_namespace?.vpc;
  const listenerArn = options.listenerArn ?? ext.listener_arn;

  if (raw("x-aws-loadbalancer") !== undefined) {
    warnings.field(["x-aws-loadbalancer"], "ecs-operator attaches services to an existing ALB listener rather than a load balancer: pass --listener-arn (or x-ecs.listener_arn) with one of its listeners");
  }
  for (const key of Object.keys(project.compose.value as Record<string, unknown>)) {
    if (key.startsWith("x-aws-") && !KNOWN_PROJECT_EXTENSIONS.includes(key)) warnings.field([key], "extension field not used by ecs-operator; ignored");
  }
  if (raw("x-aws-cloudformation") !== undefined) warnings.field(["x-aws-cloudformation"], "CloudFormation overlays have no counterpart in these manifests; edit the manifests instead");

  return {
    project: name,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    launchType,
    networkMode,
    cluster,
    vpcId: vpcId ?? PLACEHOLDER.vpcId,
    vpcIsPlaceholder: vpcId === undefined,
    ...(listenerArn !== undefined ? { listenerArn } : {}),
    serviceDiscovery: options.serviceDiscovery ?? "cloudmap",
  };
}

/**
 * ecs-cli took the launch type from its command line, never from ecs-params.yml; but a task
 * described there with awsvpc networking and a task_size is the shape ecs-cli required for
 * Fargate, so that is read as Fargate (and said, since it is a guess).
 */
function inferredLaunchType(project: ComposeProjectModel, warnings: WarningSink): LaunchType {
  const task = project.ecsParams.task_definition;
  if (task?.ecs_network_mode === "awsvpc" && task.task_size !== undefined) {
    warnings.param(["task_definition", "task_size"], "launch type FARGATE inferred from awsvpc networking with a task_size; pass --launch-type EC2 to run on EC2 instead");
    return "FARGATE";
  }
  return "EC2";
}
