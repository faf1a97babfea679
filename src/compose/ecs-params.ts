import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { oneOf } from "./schema.js";

/**
 * ecs-cli's `ecs-params.yml` (version 1), the ECS settings that Compose cannot express. Every
 * field of ecs-cli's format is known; unknown fields are errors, as they were in ecs-cli.
 */

const o = <T extends Parameters<typeof Type.Object>[0]>(properties: T) => Type.Object(properties, { additionalProperties: false });
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const str = Type.String();
const strOrNum = Type.Union([Type.String(), Type.Number()], { description: "a string or a number" });
const secret = o({ value_from: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }) });

const serviceParams = o({
  essential: opt(Type.Boolean()),
  repository_credentials: opt(o({ credentials_parameter: str })),
  cpu_shares: opt(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: "^\\d+$" })], { description: "an integer" })),
  mem_limit: opt(strOrNum),
  mem_reservation: opt(strOrNum),
  gpu: opt(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: "^\\d+$" })], { description: "a number of GPUs" })),
  init_process_enabled: opt(Type.Boolean()),
  healthcheck: opt(
    o({
      test: opt(Type.Union([Type.String(), Type.Array(str)], { description: "a string or a list of strings" })),
      command: opt(Type.Union([Type.String(), Type.Array(str)], { description: "a string or a list of strings" })),
      interval: opt(strOrNum),
      timeout: opt(strOrNum),
      retries: opt(Type.Integer({ minimum: 0 })),
      start_period: opt(strOrNum),
    }),
  ),
  firelens_configuration: opt(o({ type: Type.Union([Type.Literal("fluentbit"), Type.Literal("fluentd")], { description: "fluentbit or fluentd" }), options: opt(Type.Record(Type.String(), Type.Union([Type.String(), Type.Boolean(), Type.Number()], { description: "a string" }))) })),
  secrets: opt(Type.Array(secret)),
  logging: opt(o({ secret_options: opt(Type.Array(secret)) })),
});

const placementConstraint = o({ type: Type.Union([Type.Literal("memberOf"), Type.Literal("distinctInstance")], { description: "memberOf or distinctInstance" }), expression: opt(str) });

export const ecsParamsSchema = o({
  version: opt(strOrNum),
  task_definition: opt(
    o({
      ecs_network_mode: opt(oneOf(["none", "bridge", "host", "awsvpc"], "none, bridge, host or awsvpc")),
      task_role_arn: opt(Type.String({ pattern: "^arn:", description: "an IAM role ARN" })),
      task_execution_role: opt(Type.String({ minLength: 1, description: "an IAM role ARN or name" })),
      task_size: opt(o({ cpu_limit: opt(strOrNum), mem_limit: opt(strOrNum) })),
      pid_mode: opt(Type.Union([Type.Literal("host"), Type.Literal("task")], { description: "host or task" })),
      ipc_mode: opt(Type.Union([Type.Literal("host"), Type.Literal("task"), Type.Literal("none")], { description: "host, task or none" })),
      services: opt(Type.Record(Type.String(), serviceParams)),
      docker_volumes: opt(
        Type.Array(
          o({
            name: str,
            scope: opt(Type.Union([Type.Literal("shared"), Type.Literal("task")], { description: "shared or task" })),
            autoprovision: opt(Type.Boolean()),
            driver: opt(str),
            driver_opts: opt(Type.Record(Type.String(), Type.String())),
            labels: opt(Type.Record(Type.String(), Type.String())),
          }),
        ),
      ),
      efs_volumes: opt(
        Type.Array(
          o({
            name: str,
            filesystem_id: str,
            root_directory: opt(str),
            transit_encryption: opt(Type.Union([Type.Literal("ENABLED"), Type.Literal("DISABLED")], { description: "ENABLED or DISABLED" })),
            transit_encryption_port: opt(Type.Integer({ minimum: 0, maximum: 65535 })),
            access_point: opt(str),
            iam: opt(Type.Union([Type.Literal("ENABLED"), Type.Literal("DISABLED")], { description: "ENABLED or DISABLED" })),
          }),
        ),
      ),
      placement_constraints: opt(Type.Array(placementConstraint)),
    }),
  ),
  run_params: opt(
    o({
      network_configuration: opt(
        o({
          awsvpc_configuration: o({
            subnets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 16 }),
            security_groups: opt(Type.Array(Type.String({ minLength: 1 }), { maxItems: 5 })),
            assign_public_ip: opt(Type.Union([Type.Literal("ENABLED"), Type.Literal("DISABLED")], { description: "ENABLED or DISABLED" })),
          }),
        }),
      ),
      task_placement: opt(
        o({
          strategy: opt(Type.Array(o({ type: oneOf(["random", "spread", "binpack"], "random, spread or binpack"), field: opt(str) }))),
          constraints: opt(Type.Array(placementConstraint)),
        }),
      ),
      service_discovery: opt(
        o({
          container_name: opt(str),
          container_port: opt(Type.Integer({ minimum: 1, maximum: 65535 })),
          private_dns_namespace: opt(o({ vpc: opt(Type.String({ pattern: "^vpc-[0-9a-f]+$", description: "a VPC id" })), id: opt(str), name: opt(str), description: opt(str) })),
          public_dns_namespace: opt(o({ id: opt(str), name: opt(str) })),
          service_discovery_service: opt(
            o({
              name: opt(str),
              description: opt(str),
              dns_config: opt(o({ type: opt(Type.Union([Type.Literal("A"), Type.Literal("SRV")], { description: "A or SRV" })), ttl: opt(Type.Integer({ minimum: 0 })) })),
              healthcheck_custom_config: opt(o({ failure_threshold: opt(Type.Integer({ minimum: 1, maximum: 10 })) })),
            }),
          ),
        }),
      ),
    }),
  ),
});

export type EcsParams = Static<typeof ecsParamsSchema>;
export type EcsServiceParams = Static<typeof serviceParams>;
