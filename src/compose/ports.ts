/** A Compose port, short or long syntax, with its parts read. */
export interface ComposePort {
  /** The container port, or the first of a range. */
  target: number;
  /** The last container port of a range. */
  targetEnd?: number;
  /** The published (host) port, or the first of a range; absent when Compose picks one. */
  published?: number;
  publishedEnd?: number;
  hostIp?: string;
  protocol: string;
}

const PORT_FORMS = '"80", "8080:80", "127.0.0.1:8080:80", "8000-8010:8000-8010" or "53:53/udp"';

/** A port number or range; `allowZero` for published ports, where 0 asks for any. */
function parseRange(text: string, allowZero: boolean): { start: number; end?: number } | string {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return `"${text}" is not a port or a port range`;
  const start = Number(m[1]);
  const end = m[2] === undefined ? undefined : Number(m[2]);
  const min = allowZero ? 0 : 1;
  for (const n of [start, end]) if (n !== undefined && (n < min || n > 65535)) return `port ${String(n)} is out of range (${String(min)}-65535)`;
  if (end !== undefined && end < start) return `the range ${text} ends before it starts`;
  return end === undefined || end === start ? { start } : { start, end };
}

/** Reads the short syntax `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`; a string is an error message. */
export function parseShortPort(text: string): ComposePort | string {
  const [spec = "", protocol = "tcp", ...extra] = text.split("/");
  if (extra.length > 0 || protocol === "") return `invalid port "${text}": expected ${PORT_FORMS}`;
  let hostIp: string | undefined;
  let rest = spec;
  const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(spec);
  if (ipv6) {
    hostIp = ipv6[1];
    rest = ipv6[2] ?? "";
  }
  const parts = rest.split(":");
  if (ipv6 ? parts.length !== 2 : parts.length > 3) return `invalid port "${text}": expected ${PORT_FORMS}`;
  const containerText = parts[parts.length - 1] ?? "";
  const hostText = parts.length >= 2 ? (parts[parts.length - 2] ?? "") : "";
  if (!ipv6 && parts.length === 3) hostIp = parts[0];
  const target = parseRange(containerText, false);
  if (typeof target === "string") return `invalid port "${text}": ${target}`;
  const port: ComposePort = { target: target.start, protocol: protocol.toLowerCase() };
  if (target.end !== undefined) port.targetEnd = target.end;
  if (hostIp !== undefined && hostIp !== "") port.hostIp = hostIp;
  if (hostText !== "") {
    const published = parseRange(hostText, true);
    if (typeof published === "string") return `invalid port "${text}": ${published}`;
    const width = (target.end ?? target.start) - target.start;
    const publishedWidth = (published.end ?? published.start) - published.start;
    // A published range for one container port lets Docker pick any free port in it.
    if (published.end !== undefined && width > 0 && publishedWidth !== width) return `invalid port "${text}": the published range and the container range differ in size`;
    if (published.end === undefined && width > 0) return `invalid port "${text}": a container port range needs a published range of the same size`;
    port.published = published.start;
    if (published.end !== undefined) port.publishedEnd = published.end;
  }
  return port;
}

/** Reads the long syntax's `target` and `published` (which may be a range given as a string). */
export function parseLongPort(target: number | string, published: number | string | undefined, protocol: string | undefined, hostIp: string | undefined): ComposePort | string {
  const t = parseRange(String(target), false);
  if (typeof t === "string") return `invalid target: ${t}`;
  const port: ComposePort = { target: t.start, protocol: (protocol ?? "tcp").toLowerCase() };
  if (t.end !== undefined) port.targetEnd = t.end;
  if (hostIp !== undefined) port.hostIp = hostIp;
  if (published !== undefined && published !== "") {
    const p = parseRange(String(published), true);
    if (typeof p === "string") return `invalid published: ${p}`;
    port.published = p.start;
    if (p.end !== undefined) port.publishedEnd = p.end;
  }
  return port;
}
