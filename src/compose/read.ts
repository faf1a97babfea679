import { parseLongPort, parseShortPort, type ComposePort } from "./ports.js";
import type { ComposeLongPort, ComposeLongVolume, ComposeService } from "./schema.js";
import { parseBytes } from "./units.js";
import { splitWords } from "./words.js";

/** Readers for Compose's alternative syntaxes (short strings vs long mappings), shared by validation and mapping. */

export interface ServicePort extends ComposePort {
  name?: string;
  appProtocol?: string;
  mode?: string;
  /** Docker ECS integration's `x-aws-protocol`: the target group's protocol. */
  awsProtocol?: string;
}

export function composePortOf(value: number | string | ComposeLongPort): ServicePort | string {
  if (typeof value === "number") return { target: value, protocol: "tcp" };
  if (typeof value === "string") return parseShortPort(value);
  const port = parseLongPort(value.target, value.published, value.protocol, value.host_ip);
  if (typeof port === "string") return port;
  const awsProtocol = (value as Record<string, unknown>)["x-aws-protocol"];
  return {
    ...port,
    ...(value.name !== undefined ? { name: value.name } : {}),
    ...(value.app_protocol !== undefined ? { appProtocol: value.app_protocol } : {}),
    ...(value.mode !== undefined ? { mode: value.mode } : {}),
    ...(typeof awsProtocol === "string" ? { awsProtocol } : {}),
  };
}

/** An `expose` entry: container ports only, never published. */
export function exposedPortOf(value: number | string): ComposePort {
  const [range = "", protocol = "tcp"] = String(value).split("/");
  const [start = "0", end] = range.split("-");
  return { target: Number(start), ...(end !== undefined && end !== start ? { targetEnd: Number(end) } : {}), protocol };
}

export interface Mount {
  type: "volume" | "bind" | "tmpfs" | "npipe" | "cluster" | "image";
  /** A named volume, or a host path for a bind mount; absent for an anonymous volume. */
  source?: string;
  target: string;
  readOnly: boolean;
  /** Options written that ECS has no counterpart for, by their Compose names. */
  unsupported: string[];
  tmpfsSizeBytes?: number;
}

const isPath = (s: string): boolean => /^[./~]/.test(s) || /^[a-zA-Z]:[\\/]/.test(s);

/** Reads `source:target[:mode]` or the long syntax; a string is an error message. */
export function mountOf(value: string | ComposeLongVolume): Mount | string {
  if (typeof value !== "string") {
    const type = value.type ?? (value.source === undefined ? "volume" : isPath(value.source) ? "bind" : "volume");
    const unsupported = [
      ...(value.consistency !== undefined ? ["consistency"] : []),
      ...Object.keys(value.bind ?? {})
        .filter((k) => k !== "create_host_path")
        .map((k) => `bind.${k}`),
      ...Object.keys(value.volume ?? {}).map((k) => `volume.${k}`),
      ...(value.tmpfs?.mode !== undefined ? ["tmpfs.mode"] : []),
      ...(value.image !== undefined ? ["image"] : []),
    ];
    const size = value.tmpfs?.size === undefined ? undefined : parseBytes(value.tmpfs.size);
    if (!value.target.startsWith("/")) return `the container path "${value.target}" must be absolute`;
    return {
      type,
      ...(value.source !== undefined ? { source: value.source } : {}),
      target: value.target,
      readOnly: value.read_only ?? false,
      unsupported,
      ...(size !== undefined ? { tmpfsSizeBytes: size } : {}),
    };
  }
  const parts = value.split(":");
  // A Windows drive letter ("C:\data:/data") is part of the source, not a separator.
  if (parts.length > 1 && /^[a-zA-Z]$/.test(parts[0] ?? "") && /^[\\/]/.test(parts[1] ?? "")) parts.splice(0, 2, `${parts[0] ?? ""}:${parts[1] ?? ""}`);
  if (parts.length > 3 || parts.some((p) => p === "")) return `invalid volume "${value}": expected [SOURCE:]TARGET[:MODE]`;
  const [first = "", second, mode] = parts;
  const target = second ?? first;
  const source = second === undefined ? undefined : first;
  if (!target.startsWith("/")) return `invalid volume "${value}": the container path "${target}" must be absolute`;
  const modes = (mode ?? "").split(",").filter((m) => m !== "");
  return {
    type: source !== undefined && isPath(source) ? "bind" : "volume",
    ...(source !== undefined ? { source } : {}),
    target,
    readOnly: modes.includes("ro"),
    unsupported: modes.filter((m) => !["ro", "rw"].includes(m)),
  };
}

/** A string command as words; a list as written. */
export function commandOf(value: string | string[] | null | undefined): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "string" ? splitWords(value) : value;
}

/** The healthcheck test as ECS wants it, starting with CMD or CMD-SHELL; undefined for NONE or an empty command. */
export function healthcheckCommand(test: string | string[]): string[] | undefined {
  if (typeof test === "string") return test.trim() === "" ? undefined : ["CMD-SHELL", test];
  const [kind, ...rest] = test;
  if (kind !== "CMD" && kind !== "CMD-SHELL") return undefined;
  return rest.length === 0 ? undefined : test;
}

/** A list of `KEY=VALUE` or a mapping, as ordered pairs; a key alone (or null) has no value. */
export function keyValues(value: string[] | Record<string, string | number | boolean | null> | undefined): [string, string | undefined][] {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    return value.map((entry) => {
      const eq = entry.indexOf("=");
      return eq < 0 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
    });
  }
  return Object.entries(value).map(([k, v]) => [k, v === null ? undefined : String(v)]);
}

/** The depends_on entries with their conditions (the list form means service_started). */
export function dependenciesOf(svc: ComposeService): { service: string; condition: string; index: number | string }[] {
  const d = svc.depends_on;
  if (d === undefined) return [];
  if (Array.isArray(d)) return d.map((service, index) => ({ service, condition: "service_started", index }));
  return Object.entries(d).map(([service, v]) => ({ service, condition: v.condition ?? "service_started", index: service }));
}

export function stringList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : value;
}
