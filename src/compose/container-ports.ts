import type { FieldPath } from "./diagnostics.js";
import { servicePath, type MappingContext, type PortMapping, type TaskScope } from "./context.js";
import { composePortOf, exposedPortOf } from "./read.js";
import type { ComposeService } from "./schema.js";

/** A published port: what a target group forwards to. */
export interface PublishedPort {
  service: string;
  containerPort: number;
  protocol: "tcp" | "udp";
  /** x-aws-protocol, which chooses the target group's protocol. */
  awsProtocol?: string;
  published?: number;
  path: FieldPath;
}

const APP_PROTOCOLS = ["http", "http2", "grpc"] as const;

function mappingKey(m: PortMapping): string {
  return `${String(m.containerPort ?? m.containerPortRange)}/${m.protocol ?? "tcp"}`;
}

/**
 * `ports` and `expose` as port mappings. In awsvpc mode a task has its own address, so there is no
 * host port (and no translation from a published port); in bridge mode a published port is a
 * fixed host port and an unpublished one a dynamic port.
 */
export function portMappings(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope): { portMappings: PortMapping[]; published: PublishedPort[] } {
  const out = new Map<string, PortMapping>();
  const published: PublishedPort[] = [];
  const awsvpc = task.networkMode === "awsvpc";
  const add = (m: PortMapping) => {
    if (!out.has(mappingKey(m))) out.set(mappingKey(m), m);
  };

  for (const [i, raw] of (svc.ports ?? []).entries()) {
    const path = servicePath(name, "ports", i);
    const port = composePortOf(raw);
    if (typeof port === "string") continue;
    if (port.protocol !== "tcp" && port.protocol !== "udp") {
      ctx.warnings.field(path, `protocol ${port.protocol} is not supported by ECS (tcp or udp); port dropped`);
      continue;
    }
    const protocol = port.protocol;
    if (port.hostIp !== undefined) ctx.warnings.field(path, `the host address ${port.hostIp} has no ECS counterpart; the port is reachable on every address of the task`);
    if (port.mode !== undefined) ctx.warnings.field([...path, "mode"], "the Swarm publishing mode has no ECS counterpart; ignored");
    const extras: Partial<PortMapping> = {};
    if (port.name !== undefined) extras.name = port.name;
    if (port.appProtocol !== undefined) {
      const app = APP_PROTOCOLS.find((p) => p === port.appProtocol);
      if (app) extras.appProtocol = app;
      else ctx.warnings.field([...path, "app_protocol"], `ECS knows the application protocols ${APP_PROTOCOLS.join(", ")}; ${port.appProtocol} ignored`);
    }

    if (port.targetEnd !== undefined) {
      ctx.warnings.field(path, "a port range gets no target group; put single ports behind a load balancer");
      if (awsvpc) {
        add({ containerPortRange: `${String(port.target)}-${String(port.targetEnd)}`, protocol, ...extras });
      } else {
        for (let p = port.target; p <= port.targetEnd; p++) {
          const host = port.published === undefined ? undefined : port.published + (p - port.target);
          add({ containerPort: p, ...(host !== undefined ? { hostPort: host } : {}), protocol });
        }
      }
      continue;
    }

    if (port.publishedEnd !== undefined) {
      ctx.warnings.field(path, `ECS cannot pick a host port from the range ${String(port.published)}-${String(port.publishedEnd)}; ${awsvpc ? "the container is reached on its own port" : "using a dynamic host port"}`);
      delete port.published;
      delete port.publishedEnd;
    }
    if (awsvpc || task.networkMode === "host") {
      if (port.published !== undefined && port.published !== 0 && port.published !== port.target) {
        ctx.warnings.field(path, `${task.networkMode} networking has no port translation: the container is reached on ${String(port.target)}; the published port ${String(port.published)} is for the load balancer's listener to offer`);
      }
      add({ containerPort: port.target, protocol, ...extras });
    } else {
      add({ containerPort: port.target, ...(port.published !== undefined ? { hostPort: port.published } : {}), protocol, ...extras });
    }
    published.push({
      service: name,
      containerPort: port.target,
      protocol,
      path,
      ...(port.awsProtocol !== undefined ? { awsProtocol: port.awsProtocol } : {}),
      ...(port.published !== undefined && port.published !== 0 ? { published: port.published } : {}),
    });
  }

  for (const raw of svc.expose ?? []) {
    const port = exposedPortOf(raw);
    const protocol = port.protocol === "udp" ? "udp" : "tcp";
    if (port.targetEnd !== undefined && awsvpc) add({ containerPortRange: `${String(port.target)}-${String(port.targetEnd)}`, protocol });
    else for (let p = port.target; p <= (port.targetEnd ?? port.target); p++) add({ containerPort: p, protocol });
  }

  const seen = new Set<string>();
  return { portMappings: [...out.values()], published: published.filter((p) => !seen.has(`${String(p.containerPort)}/${p.protocol}`) && seen.add(`${String(p.containerPort)}/${p.protocol}`)) };
}
