import type { ContainerDefinitionSpec } from "../api/taskdefinition.js";
import { servicePath, type MappingContext, type TaskScope } from "./context.js";
import type { EcsServiceParams } from "./ecs-params.js";
import type { ComposeService } from "./schema.js";

type LogConfiguration = NonNullable<ContainerDefinitionSpec["logConfiguration"]>;
type LogDriver = LogConfiguration["logDriver"];

const EC2_DRIVERS: readonly LogDriver[] = ["awslogs", "awsfirelens", "fluentd", "gelf", "journald", "json-file", "splunk", "syslog"];
const FARGATE_DRIVERS: readonly LogDriver[] = ["awslogs", "awsfirelens", "splunk"];
const AWSLOGS_REQUIRED = ["awslogs-group", "awslogs-region"];

/** `logging` as the container's log configuration, with ecs-params.yml's secret_options. */
export function logConfiguration(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope, params: EcsServiceParams | undefined): LogConfiguration | undefined {
  const logging = svc.logging;
  const path = servicePath(name, "logging");
  const retention = ctx.project.raw(name, "x-aws-logs_retention");
  if (retention !== undefined) ctx.warnings.field(servicePath(name, "x-aws-logs_retention"), "log retention belongs to the CloudWatch log group, which ecs-operator does not manage; set it on the group");
  if (logging?.driver === undefined) {
    if (logging?.options !== undefined) ctx.warnings.field([...path, "options"], "options without a driver; ignored");
    return undefined;
  }
  const allowed = task.fargate ? FARGATE_DRIVERS : EC2_DRIVERS;
  const driver = allowed.find((d) => d === logging.driver);
  if (driver === undefined) {
    ctx.warnings.field([...path, "driver"], `ECS${task.fargate ? " on Fargate" : ""} supports the log drivers ${allowed.join(", ")}; ${logging.driver} dropped`);
    return undefined;
  }
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(logging.options ?? {})) {
    if (value === null) ctx.warnings.field([...path, "options", key], "no value; ignored");
    else options[key] = String(value);
  }
  if (driver === "awslogs") {
    const missing = [...AWSLOGS_REQUIRED, ...(task.fargate ? ["awslogs-stream-prefix"] : [])].filter((k) => options[k] === undefined);
    if (missing.length > 0) ctx.warnings.field([...path, "options"], `the awslogs driver needs ${missing.join(" and ")}; ECS will refuse the task definition without ${missing.length > 1 ? "them" : "it"}`);
  }
  const secretOptions = (params?.logging?.secret_options ?? []).map((s) => ({ name: s.name, valueFrom: s.value_from }));
  return {
    logDriver: driver,
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...(secretOptions.length > 0 ? { secretOptions } : {}),
  };
}
