import { Type, type ObjectOptions, type Static, type TProperties } from "@sinclair/typebox";
import { DURATION_PATTERN, oneOf } from "./schema.js";

/**
 * The extension fields this converter reads. `x-ecs` is ours (so unknown keys in it are errors);
 * `x-aws-*` are those of Docker's ECS integration, read where ECS has a counterpart.
 */

const obj = <T extends TProperties>(properties: T, options: ObjectOptions) => Type.Object(properties, options);
const strict = { additionalProperties: false } as const;

export const projectEcsExtension = obj(
  {
    launch_type: Type.Optional(Type.Union([Type.Literal("EC2"), Type.Literal("FARGATE")], { description: "EC2 or FARGATE" })),
    cluster: Type.Optional(Type.String({ minLength: 1, description: "the name of an existing EcsCluster object" })),
    vpc_id: Type.Optional(Type.String({ pattern: "^vpc-[0-9a-f]+$", description: "a VPC id such as vpc-0abc1234" })),
    listener_arn: Type.Optional(Type.String({ pattern: "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/", description: "an ALB listener ARN" })),
  },
  strict,
);

export const serviceEcsExtension = obj(
  {
    sidecar_of: Type.Optional(Type.String({ minLength: 1, description: "the name of the service whose task this container joins" })),
    essential: Type.Optional(Type.Boolean()),
    listener_rule: Type.Optional(
      obj(
        {
          priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000 })),
          path_patterns: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 5 })),
          host_headers: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 5 })),
        },
        strict,
      ),
    ),
    health_check_grace_period: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: "a duration such as 60s" })),
    enable_execute_command: Type.Optional(Type.Boolean()),
  },
  strict,
);

export const autoscalingExtension = obj(
  {
    min: Type.Optional(Type.Integer({ minimum: 0 })),
    max: Type.Optional(Type.Integer({ minimum: 0 })),
    cpu: Type.Optional(Type.Number()),
    memory: Type.Optional(Type.Number()),
  },
  strict,
);

/** Docker ECS integration fields of a service, with their schemas. */
export const serviceAwsExtensions = {
  "x-aws-pull_credentials": Type.String({ minLength: 1, description: "a Secrets Manager secret ARN" }),
  "x-aws-min_percent": Type.Integer({ minimum: 0, maximum: 100 }),
  "x-aws-max_percent": Type.Integer({ minimum: 100, maximum: 400 }),
  "x-aws-autoscaling": autoscalingExtension,
  "x-aws-role": Type.Unknown(),
  "x-aws-policies": Type.Array(Type.String()),
  "x-aws-logs_retention": Type.Integer({ minimum: 1 }),
} as const;

export const projectAwsExtensions = {
  "x-aws-vpc": Type.String({ pattern: "^vpc-[0-9a-f]+$", description: "a VPC id such as vpc-0abc1234" }),
  "x-aws-cluster": Type.String({ minLength: 1, description: "an ECS cluster name or ARN" }),
  "x-aws-loadbalancer": Type.String({ minLength: 1 }),
  "x-aws-cloudformation": Type.Unknown(),
} as const;

export const portAwsExtensions = {
  "x-aws-protocol": oneOf(["http", "https", "tcp", "tls", "udp", "tcp_udp"], "http, https, tcp, tls, udp or tcp_udp"),
} as const;

export const secretAwsExtensions = {
  "x-aws-keys": Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
} as const;

export type ProjectEcsExtension = Static<typeof projectEcsExtension>;
export type ServiceEcsExtension = Static<typeof serviceEcsExtension>;
export type AutoscalingExtension = Static<typeof autoscalingExtension>;
