import type { EcsServiceSpec } from "../api/ecsservice.js";
import type { ListenerRuleSpec } from "../api/listenerrule.js";
import type { TargetGroupSpec } from "../api/targetgroup.js";
import type { PublishedPort } from "./container-ports.js";
import type { MappingContext, TaskScope } from "./context.js";
import { ecsName } from "./names.js";
import { PLACEHOLDER } from "./settings.js";

type Protocol = TargetGroupSpec["protocol"];

export interface TargetGroupPlan {
  objectName: string;
  spec: TargetGroupSpec;
  loadBalancer: Omit<NonNullable<EcsServiceSpec["loadBalancers"]>[number], "targetGroupRef">;
  port: PublishedPort;
}

const PROTOCOLS: Record<string, Protocol> = { http: "HTTP", https: "HTTPS", tcp: "TCP", tls: "TLS", udp: "UDP", tcp_udp: "TCP_UDP" };

/**
 * A target group's protocol: x-aws-protocol when given (as in Docker's ECS integration); UDP for a
 * udp port; HTTP when the port is published on 80 or 443, which is how Docker's integration told a
 * web port from others; TCP (a Network Load Balancer's) otherwise.
 */
function protocolOf(port: PublishedPort): Protocol {
  if (port.awsProtocol !== undefined) return PROTOCOLS[port.awsProtocol] ?? "TCP";
  if (port.protocol === "udp") return "UDP";
  return port.published === 80 || port.published === 443 ? "HTTP" : "TCP";
}

/** One target group per published port of the task; ECS registers the tasks in them. */
export function targetGroups(ctx: MappingContext, scope: TaskScope, objectName: string, published: PublishedPort[]): TargetGroupPlan[] {
  const bothProtocols = (port: number) => published.filter((p) => p.containerPort === port).length > 1;
  return published.map((port) => {
    const name = `${objectName}-${String(port.containerPort)}${bothProtocols(port.containerPort) ? `-${port.protocol}` : ""}`;
    if (ctx.settings.vpcIsPlaceholder) ctx.warnings.output(`TargetGroup ${name}: spec.vpcId`, `a target group belongs to a VPC; placeholder ${PLACEHOLDER.vpcId} (pass --vpc-id)`);
    return {
      objectName: name,
      port,
      spec: {
        protocol: protocolOf(port),
        port: port.containerPort,
        vpcId: ctx.settings.vpcId,
        targetType: scope.networkMode === "awsvpc" ? "ip" : "instance",
      },
      loadBalancer: { containerName: ecsName(port.service), containerPort: port.containerPort },
    };
  });
}

/** An ALB forwards only to HTTP and HTTPS target groups. */
export function forWeb(group: TargetGroupPlan): boolean {
  return group.spec.protocol === "HTTP" || group.spec.protocol === "HTTPS";
}

/** The rule that forwards a path (or host) on the given ALB listener to the task's first HTTP(S) target group. */
export function listenerRule(ctx: MappingContext, service: string, groups: TargetGroupPlan[], listenerArn: string, priority: number, defaultPaths: string[]): ListenerRuleSpec {
  const [web, ...others] = groups.filter(forWeb);
  if (web === undefined) throw new Error(`${service} has no HTTP target group to route to`);
  for (const g of others) ctx.warnings.field(g.port.path, `only the first HTTP port of ${service} is routed from the listener; target group ${g.objectName} has no rule`);
  const rule = ctx.project.serviceExtension(service).listener_rule;
  const conditions: ListenerRuleSpec["conditions"] = [];
  if (rule?.path_patterns) conditions.push({ field: "path-pattern", pathPatternConfig: { values: rule.path_patterns } });
  if (rule?.host_headers) conditions.push({ field: "host-header", hostHeaderConfig: { values: rule.host_headers } });
  if (conditions.length === 0) conditions.push({ field: "path-pattern", pathPatternConfig: { values: defaultPaths } });
  return {
    listenerArn,
    priority,
    conditions,
    actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: web.objectName } }] } }],
  };
}
