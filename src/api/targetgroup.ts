import type { Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Bool, immutable, Int, List, Obj, Optional, Str, StringEnum, StringMap } from "./schema.js";

/**
 * Fields ELBv2 cannot change on an existing target group. An omitted field stands for AWS's
 * default, so writing the default out is not a change; adding or removing any other value is.
 */
const ELBV2_IMMUTABLE = "is immutable (ELBv2 cannot change it on an existing target group)";

const immutableWithDefault = (field: string, fallback: string) => ({
  rule: `(has(self.${field}) ? self.${field} : '${fallback}') == (has(oldSelf.${field}) ? oldSelf.${field} : '${fallback}')`,
  message: `${field} ${ELBV2_IMMUTABLE}`,
});

const spec = specSchema(
  {
    name: Optional(
      Str(
        "The target group's name in AWS: up to 32 letters, digits and hyphens, not starting or ending with a hyphen. Defaults to one derived from <namespace>-<name> (with a hash where needed to stay within 32 characters and unique). Immutable.",
        { minLength: 1, maxLength: 32, pattern: "^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$", validations: [{ rule: "!self.contains('--')", messageExpression: "'name may not contain two hyphens in a row, got ' + self" }] },
      ),
    ),
    protocol: StringEnum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"] as const, "The protocol for routing traffic to the targets: HTTP or HTTPS for an Application Load Balancer, TCP, TLS, UDP or TCP_UDP for a Network Load Balancer. Immutable.", {
      validations: [immutable("protocol", ELBV2_IMMUTABLE)],
    }),
    port: Int("The port on which targets receive traffic unless registered with their own (ECS registers each task with its container port). Immutable.", {
      minimum: 1,
      maximum: 65535,
      validations: [immutable("port", ELBV2_IMMUTABLE)],
    }),
    vpcId: Str("The VPC of the targets (for Fargate, the VPC of the service's subnets). Immutable.", {
      pattern: "^vpc-[0-9a-f]+$",
      validations: [immutable("vpcId", ELBV2_IMMUTABLE)],
    }),
    targetType: Optional(
      StringEnum(["ip", "instance"] as const, "How targets are registered: ip (required by the awsvpc network mode, so by Fargate) or instance (EC2 bridge or host mode). Defaults to instance. Immutable."),
    ),
    protocolVersion: Optional(StringEnum(["HTTP1", "HTTP2", "GRPC"] as const, "[HTTP/HTTPS] The protocol version for requests to targets. Defaults to HTTP1. Immutable.")),
    ipAddressType: Optional(StringEnum(["ipv4", "ipv6"] as const, "The type of IP address of the targets. Defaults to ipv4. Immutable.")),
    healthCheckProtocol: Optional(StringEnum(["HTTP", "HTTPS", "TCP"] as const, "The protocol of health checks. Omitted: AWS's default at creation, not managed afterwards (as for every health check field).")),
    healthCheckPort: Optional(Str("The port of health checks: traffic-port (the port each target receives traffic on) or a port number.", { pattern: "^(traffic-port|[0-9]{1,5})$" })),
    healthCheckEnabled: Optional(Bool("Whether health checks are enabled (always true for ip and instance targets).")),
    healthCheckPath: Optional(Str("[HTTP/HTTPS health checks] The path requested by health checks.", { minLength: 1, maxLength: 1024, pattern: "^/" })),
    healthCheckIntervalSeconds: Optional(Int("Seconds between health checks of one target.", { minimum: 5, maximum: 300 })),
    healthCheckTimeoutSeconds: Optional(Int("Seconds without a response after which a health check fails.", { minimum: 2, maximum: 120 })),
    healthyThresholdCount: Optional(Int("Consecutive successful health checks before an unhealthy target counts as healthy.", { minimum: 2, maximum: 10 })),
    unhealthyThresholdCount: Optional(Int("Consecutive failed health checks before a target counts as unhealthy.", { minimum: 2, maximum: 10 })),
    matcher: Optional(
      Obj(
        {
          httpCode: Optional(Str("HTTP codes that mean healthy: a code, a range or a list, e.g. 200, 200-299 or 200,302.", { pattern: "^[0-9]{3}([-,][0-9]{3})*$" })),
          grpcCode: Optional(Str("[GRPC protocol version] gRPC codes that mean healthy, e.g. 0 or 0-99.", { pattern: "^[0-9]{1,2}([-,][0-9]{1,2})*$" })),
        },
        "The response codes that count as a successful health check.",
        { validations: [{ rule: "has(self.httpCode) != has(self.grpcCode)", message: "matcher sets exactly one of httpCode and grpcCode" }] },
      ),
    ),
    attributes: Optional(
      StringMap(
        "Target group attributes by their AWS key, e.g. deregistration_delay.timeout_seconds: \"30\", stickiness.enabled: \"true\", slow_start.duration_seconds, load_balancing.algorithm.type. Only the keys set here are managed; the others keep AWS's values.",
        { maxProperties: 30 },
      ),
    ),
  },
  "The desired ELBv2 target group: the CreateTargetGroup input, in AWS's field names (camelCase). The operator never registers or deregisters targets: ECS does that for a service's tasks.",
  {
    validations: [
      { rule: "has(self.name) == has(oldSelf.name)", message: "name is immutable: it cannot be added or removed once the object exists" },
      immutableWithDefault("targetType", "instance"),
      immutableWithDefault("protocolVersion", "HTTP1"),
      immutableWithDefault("ipAddressType", "ipv4"),
      {
        rule: "!has(self.protocolVersion) || self.protocol in ['HTTP', 'HTTPS']",
        messageExpression: "'protocolVersion applies only to the HTTP and HTTPS protocols, not ' + self.protocol",
        fieldPath: ".protocolVersion",
      },
      {
        rule: "!has(self.healthCheckTimeoutSeconds) || !has(self.healthCheckIntervalSeconds) || self.healthCheckTimeoutSeconds <= self.healthCheckIntervalSeconds",
        messageExpression: "'healthCheckTimeoutSeconds (%d) must not exceed healthCheckIntervalSeconds (%d)'.format([self.healthCheckTimeoutSeconds, self.healthCheckIntervalSeconds])",
        fieldPath: ".healthCheckTimeoutSeconds",
      },
    ],
  },
);

const status = statusSchema(
  {
    targetGroupName: Optional(Str("The target group's name in AWS.")),
    loadBalancerArns: Optional(List(Str("A load balancer ARN."), "The load balancers whose listeners or rules forward to this target group.")),
    targetHealth: Optional(
      Obj(
        {
          healthy: Int("Targets passing health checks."),
          unhealthy: Int("Targets failing health checks."),
          draining: Int("Targets being deregistered (connection draining)."),
          other: Int("Targets in any other state: initial, unused or unavailable."),
        },
        "Registered targets by health state, from DescribeTargetHealth at the last check.",
      ),
    ),
  },
  "What the operator observed in AWS.",
);

export const targetGroupKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("TargetGroup"),
  singular: "targetgroup",
  shortNames: ["tg"],
  description: "An Elastic Load Balancing v2 target group, for an ECS service's tasks behind a load balancer.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      // Not "Name": kubectl already prints the object's own name under NAME.
      { name: "TargetGroup", type: "string", jsonPath: ".status.targetGroupName", description: "The target group's name in AWS." },
      { name: "Healthy", type: "integer", jsonPath: ".status.targetHealth.healthy", description: "Targets passing health checks." },
      { name: "Unhealthy", type: "integer", jsonPath: ".status.targetHealth.unhealthy", description: "Targets failing health checks." },
      { name: "Draining", type: "integer", jsonPath: ".status.targetHealth.draining", description: "Targets being deregistered." },
    ],
  ),

};

export type TargetGroupSpec = Static<typeof spec>;
export type TargetGroupStatus = Static<typeof status>;
export type TargetGroup = CustomObject<TargetGroupSpec, TargetGroupStatus>;
