// HTTP proxy between AWS SDK v3 clients and a moto server: identifies each call, counts it per
// account, and injects faults (throttling, 5xx, dropped connections, latency, token buckets)
// shaped exactly like AWS's so that the SDK's own retry classification is exercised.
//
// Account convention (per-test isolation): a client that signs with a 12-digit access key id,
// e.g. `{ accessKeyId: "210000000001", secretAccessKey: "x" }`, acts as that AWS account. The
// proxy forwards `x-moto-account-id: <key>`, which moto 5 uses to pick the account's backend,
// so tests that use different keys never see each other's resources, and counts, fault rules
// and token buckets are kept per account. Any other key maps to moto's default account.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  emptyCounts,
  matchRank,
  type BucketSpec,
  type CallCounts,
  type CallRecord,
  type FaultKind,
  type FaultRule,
  type OperationCounts,
} from "./aws-proxy-control.js";

export const DEFAULT_ACCOUNT_ID = "123456789012";
export const CONTROL_PREFIX = "/__proxy/";

// Fallbacks for unsigned requests; signed ones name their service in the credential scope.
const TARGET_PREFIX_SERVICES: Record<string, string> = {
  AmazonEC2ContainerServiceV20141113: "ecs",
  Route53AutoNaming_v20170314: "servicediscovery",
};
const QUERY_VERSION_SERVICES: Record<string, string> = { "2015-12-01": "elasticloadbalancing" };

export type Protocol = "json" | "query" | "other";

export interface CallIdentity {
  service: string;
  operation: string;
  protocol: Protocol;
  accountId: string;
  accessKeyId?: string;
  /** Echoed in JSON error responses: awsJson1_0 and awsJson1_1 services differ. */
  contentType?: string;
  /** Query protocol API version, which names the XML namespace of error responses. */
  queryVersion?: string;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Access key id and service from a SigV4 `Authorization` header or a presigned URL. */
export function credentialScope(
  authorization: string | undefined,
  url: string,
): { accessKeyId: string; service: string } | undefined {
  const credential =
    /Credential=([^,\s]+)/.exec(authorization ?? "")?.[1] ??
    new URL(url, "http://proxy").searchParams.get("X-Amz-Credential");
  const parts = credential?.split("/");
  if (parts?.length !== 5 || parts[0] === undefined || parts[3] === undefined) return undefined;
  return { accessKeyId: parts[0], service: parts[3] };
}

/** Query-protocol calls name their operation in the form body, so it has to be read first. */
export function needsBodyToIdentify(headers: http.IncomingHttpHeaders): boolean {
  return (
    headers["x-amz-target"] === undefined &&
    (header(headers["content-type"]) ?? "").startsWith("application/x-www-form-urlencoded")
  );
}

/**
 * `assumed` knows the account of temporary keys that STS AssumeRole handed out through this proxy
 * (the role's account): moto keeps those accounts apart by key, and counts follow them.
 */
/**
 * REST protocols name the operation by method and path. EventBridge Scheduler's routes, the only
 * REST service the operator calls: /schedules/{name}, /schedule-groups/{name}, /tags/{arn}.
 */
export function restOperation(service: string | undefined, method: string | undefined, url: string): string | undefined {
  if (service !== "scheduler" || method === undefined) return undefined;
  const [, collection = "", name] = new URL(url, "http://proxy").pathname.split("/");
  const verbs: Record<string, Record<string, string>> = {
    schedules: { GET: name ? "GetSchedule" : "ListSchedules", POST: "CreateSchedule", PUT: "UpdateSchedule", DELETE: "DeleteSchedule" },
    "schedule-groups": { GET: name ? "GetScheduleGroup" : "ListScheduleGroups", POST: "CreateScheduleGroup", DELETE: "DeleteScheduleGroup" },
    tags: { GET: "ListTagsForResource", POST: "TagResource", DELETE: "UntagResource" },
  };
  return verbs[collection]?.[method];
}

export function identifyCall(headers: http.IncomingHttpHeaders, url: string, body?: string, assumed?: (accessKeyId: string) => string | undefined, method?: string): CallIdentity {
  const scope = credentialScope(header(headers.authorization), url);
  const accessKeyId = scope?.accessKeyId;
  const accountId = accessKeyId === undefined ? DEFAULT_ACCOUNT_ID : /^\d{12}$/.test(accessKeyId) ? accessKeyId : (assumed?.(accessKeyId) ?? DEFAULT_ACCOUNT_ID);
  const base = { accountId, ...(accessKeyId === undefined ? {} : { accessKeyId }) };

  const target = header(headers["x-amz-target"]);
  if (target !== undefined) {
    const dot = target.lastIndexOf(".");
    const prefix = target.slice(0, Math.max(dot, 0));
    const contentType = header(headers["content-type"]);
    return {
      ...base,
      protocol: "json",
      service: scope?.service ?? TARGET_PREFIX_SERVICES[prefix] ?? (prefix.toLowerCase() || "unknown"),
      operation: target.slice(dot + 1),
      ...(contentType === undefined ? {} : { contentType }),
    };
  }

  const form = new URLSearchParams(body ?? "");
  const query = new URL(url, "http://proxy").searchParams;
  const action = form.get("Action") ?? query.get("Action");
  if (action !== null) {
    const version = form.get("Version") ?? query.get("Version") ?? undefined;
    return {
      ...base,
      protocol: "query",
      service: scope?.service ?? (version === undefined ? undefined : QUERY_VERSION_SERVICES[version]) ?? "unknown",
      operation: action,
      ...(version === undefined ? {} : { queryVersion: version }),
    };
  }
  return { ...base, protocol: "other", service: scope?.service ?? "unknown", operation: restOperation(scope?.service, method, url) ?? "Unknown" };
}

export type ErrorFault = "throttle" | "error500" | "error503" | "expiredToken";

export interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const ERRORS: Record<ErrorFault, { status: number; json: string; query: string; type: string; message: string }> = {
  throttle: { status: 400, json: "ThrottlingException", query: "Throttling", type: "Sender", message: "Rate exceeded" },
  error500: {
    status: 500,
    json: "InternalFailure",
    query: "InternalFailure",
    type: "Receiver",
    message: "We encountered an internal error. Please try again.",
  },
  error503: {
    status: 503,
    json: "ServiceUnavailable",
    query: "ServiceUnavailable",
    type: "Receiver",
    message: "Service is unavailable. Please try again later.",
  },
  // What AWS answers a request signed with temporary credentials past their expiration.
  expiredToken: { status: 400, json: "ExpiredTokenException", query: "ExpiredToken", type: "Sender", message: "The security token included in the request is expired" },
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The error response AWS itself would send for `fault` in the call's protocol. */
export function faultResponse(
  fault: ErrorFault,
  call: Pick<CallIdentity, "protocol" | "service" | "contentType" | "queryVersion">,
  requestId: string,
): CannedResponse {
  const e = ERRORS[fault];
  if (call.protocol === "query") {
    const ns = `http://${call.service}.amazonaws.com/doc/${call.queryVersion ?? "2015-12-01"}/`;
    return {
      status: e.status,
      headers: { "content-type": "text/xml", "x-amzn-RequestId": requestId },
      body:
        `<ErrorResponse xmlns="${escapeXml(ns)}"><Error><Type>${e.type}</Type><Code>${e.query}</Code>` +
        `<Message>${e.message}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`,
    };
  }
  const contentType =
    call.protocol === "json"
      ? /^application\/x-amz-json-1\.[01]/.exec(call.contentType ?? "")?.[0] ?? "application/x-amz-json-1.1"
      : "application/json";
  return {
    status: e.status,
    headers: { "content-type": contentType, "x-amzn-ErrorType": e.json, "x-amzn-RequestId": requestId },
    body: JSON.stringify({ __type: e.json, message: e.message }),
  };
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** `rawHeaders` (flat name/value list, case and duplicates preserved) minus hop-by-hop headers. */
export function forwardableHeaders(rawHeaders: readonly string[], drop: readonly string[] = []): string[] {
  const skip = new Set([...HOP_BY_HOP, ...drop.map((h) => h.toLowerCase())]);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== "connection") continue;
    for (const token of rawHeaders[i + 1]?.split(",") ?? []) skip.add(token.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const [name, value] = [rawHeaders[i] ?? "", rawHeaders[i + 1] ?? ""];
    if (!skip.has(name.toLowerCase())) out.push(name, value);
  }
  return out;
}

/** mulberry32: tiny, seedable, good enough to make fault rates reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULT_KINDS: readonly string[] = ["throttle", "error500", "error503", "latency", "drop"] satisfies FaultKind[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numberField(rec: Record<string, unknown>, key: string, min: number, max = Infinity): number | undefined {
  const v = rec[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !(v >= min && v <= max)) throw new Error(`${key} must be a number in [${min}, ${max}]`);
  return v;
}

/** Validates untrusted control-API input and returns a private copy the proxy may mutate. */
export function parseFaultRule(value: unknown): FaultRule {
  if (!isRecord(value) || typeof value.kind !== "string" || !FAULT_KINDS.includes(value.kind)) {
    throw new Error(`fault rule needs kind, one of ${FAULT_KINDS.join(", ")}`);
  }
  const { operations, accountId } = value;
  if (operations !== undefined && !(Array.isArray(operations) && operations.every((o) => typeof o === "string"))) {
    throw new Error("operations must be an array of strings");
  }
  if (accountId !== undefined && typeof accountId !== "string") throw new Error("accountId must be a string");
  const afterForward = value.afterForward;
  if (afterForward !== undefined && (typeof afterForward !== "boolean" || value.kind !== "latency")) throw new Error("afterForward is a boolean of latency rules");
  const rate = numberField(value, "rate", 0, 1);
  const latencyMs = numberField(value, "latencyMs", 0);
  const remaining = numberField(value, "remaining", 1);
  if (value.kind === "latency" && latencyMs === undefined) throw new Error("latency rules need latencyMs");
  return {
    kind: value.kind as FaultKind,
    ...(rate === undefined ? {} : { rate }),
    ...(operations === undefined ? {} : { operations: [...operations] }),
    ...(accountId === undefined ? {} : { accountId }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(afterForward === undefined ? {} : { afterForward }),
    ...(remaining === undefined ? {} : { remaining: Math.floor(remaining) }),
  };
}

export function parseBuckets(value: unknown): BucketSpec[] {
  if (!Array.isArray(value)) throw new Error("buckets must be an array");
  return value.map((b: unknown) => {
    const match = isRecord(b) ? b.match : undefined;
    const valid = typeof match === "string" || (Array.isArray(match) && match.length > 0 && match.every((m) => typeof m === "string"));
    if (!isRecord(b) || !valid) throw new Error("bucket needs match: a pattern or a non-empty list of patterns");
    return { match: typeof match === "string" ? match : [...match], ratePerSecond: numberField(b, "ratePerSecond", 0) ?? 0, burst: numberField(b, "burst", 0) ?? 0 };
  });
}

/** How many recent calls the proxy remembers for `GET /__proxy/calls`. */
export const CALL_LOG_SIZE = 50_000;

export type Action = "forward" | Exclude<FaultKind, "latency">;
export type Outcome = Exclude<keyof OperationCounts, "calls">;

/** Counts, fault rules and buckets, apart from HTTP so that the decisions are unit-testable. */
export class ProxyState {
  private readonly counters = new Map<string, Map<string, OperationCounts>>();
  /** Temporary access key id → the account of the role it was issued for, and when it expires (proxy time). */
  private readonly assumedKeys = new Map<string, { accountId: string; expiresAtMs?: number }>();
  /** Shortens sessions AssumeRole hands out to this many seconds (and refuses them after), to test renewal. */
  private sessionSeconds: number | undefined;
  private readonly rules = new Map<string, FaultRule>();
  private buckets: BucketSpec[] = [];
  private readonly levels = new Map<string, { tokens: number; at: number }>();
  private nextRuleId = 1;
  private readonly callLog: CallRecord[] = [];
  private callLogNext = 0;

  constructor(
    private readonly random: () => number,
    private readonly nowMs: () => number = () => performance.now(),
    /** Wall-clock time for the call log, comparable across processes on one machine. */
    private readonly epochMs: () => number = () => performance.timeOrigin + performance.now(),
    private readonly callLogSize = CALL_LOG_SIZE,
  ) {}

  /** Remembers a call's arrival; the oldest record makes room once the log is full. */
  rememberAssumedKey(accessKeyId: string, accountId: string, expiresAtMs?: number): void {
    this.assumedKeys.set(accessKeyId, { accountId, ...(expiresAtMs === undefined ? {} : { expiresAtMs }) });
  }

  assumedAccount(accessKeyId: string): string | undefined {
    return this.assumedKeys.get(accessKeyId)?.accountId;
  }

  /** Whether a temporary key's shortened session is over. */
  expired(accessKeyId: string | undefined): boolean {
    const expiresAtMs = accessKeyId === undefined ? undefined : this.assumedKeys.get(accessKeyId)?.expiresAtMs;
    return expiresAtMs !== undefined && this.epochMs() >= expiresAtMs;
  }

  setSessionSeconds(seconds: number | undefined): void {
    this.sessionSeconds = seconds;
  }

  shortenedSessionSeconds(): number | undefined {
    return this.sessionSeconds;
  }

  logCall(call: CallIdentity): void {
    const entry: CallRecord = { at: this.epochMs(), accountId: call.accountId, operation: `${call.service}:${call.operation}` };
    if (this.callLog.length < this.callLogSize) this.callLog.push(entry);
    else this.callLog[this.callLogNext] = entry;
    this.callLogNext = (this.callLogNext + 1) % this.callLogSize;
  }

  /** Remembered calls that arrived at or after `sinceMs`, oldest first. */
  calls(accountId?: string, sinceMs = -Infinity): CallRecord[] {
    const out: CallRecord[] = [];
    // Newest first, stopping at the first older record: arrivals are logged in time order.
    for (let n = 1; n <= this.callLog.length; n++) {
      const c = this.callLog[(this.callLogNext - n + this.callLogSize) % this.callLogSize];
      if (c === undefined || c.at < sinceMs) break;
      if (accountId === undefined || c.accountId === accountId) out.push({ ...c });
    }
    return out.reverse();
  }

  /** Latency rules add up (before the call, or before its answer) and let the call go on; the first other matching rule decides. */
  decide(call: CallIdentity): { latencyMs: number; answerDelayMs: number; action: Action } {
    let latencyMs = 0;
    let answerDelayMs = 0;
    for (const [id, rule] of this.rules) {
      if (!this.applies(rule, call)) continue;
      if (rule.remaining !== undefined && --rule.remaining <= 0) this.rules.delete(id);
      if (rule.kind === "latency") {
        if (rule.afterForward === true) answerDelayMs += rule.latencyMs ?? 0;
        else latencyMs += rule.latencyMs ?? 0;
        continue;
      }
      return { latencyMs, answerDelayMs, action: rule.kind };
    }
    return { latencyMs, answerDelayMs, action: this.takeToken(call) ? "forward" : "throttle" };
  }

  record(call: CallIdentity, outcome: Outcome): void {
    let byOperation = this.counters.get(call.accountId);
    if (byOperation === undefined) this.counters.set(call.accountId, (byOperation = new Map<string, OperationCounts>()));
    const name = `${call.service}:${call.operation}`;
    const c = byOperation.get(name) ?? emptyCounts();
    c.calls += 1;
    c[outcome] += 1;
    byOperation.set(name, c);
  }

  counts(accountId?: string): CallCounts {
    const out: CallCounts = {};
    for (const [account, byOperation] of this.counters) {
      if (accountId !== undefined && account !== accountId) continue;
      out[account] = Object.fromEntries([...byOperation].map(([name, c]) => [name, { ...c }]));
    }
    return out;
  }

  reset(accountId?: string): void {
    if (accountId === undefined) this.counters.clear();
    else this.counters.delete(accountId);
  }

  addFault(rule: FaultRule): string {
    const id = String(this.nextRuleId++);
    this.rules.set(id, parseFaultRule(rule));
    return id;
  }

  removeFault(id: string): void {
    this.rules.delete(id);
  }

  /** With an account, only that account's rules go; rules for all accounts stay. */
  clearFaults(accountId?: string): void {
    for (const [id, rule] of this.rules) {
      if (accountId === undefined || rule.accountId === accountId) this.rules.delete(id);
    }
  }

  setBuckets(buckets: BucketSpec[]): void {
    this.buckets = parseBuckets(buckets);
    this.levels.clear();
  }

  private applies(rule: FaultRule, call: CallIdentity): boolean {
    if (rule.accountId !== undefined && rule.accountId !== call.accountId) return false;
    if (rule.operations?.every((p) => matchRank(p, call.service, call.operation) < 0)) return false;
    // Draw only for rules that otherwise match, so unrelated traffic does not shift the sequence.
    return rule.rate === undefined || rule.rate >= 1 || this.random() < rule.rate;
  }

  // Like AWS, buckets are per account and an empty bucket rejects rather than queues.
  private takeToken(call: CallIdentity): boolean {
    let best = -1;
    let rank = -1;
    this.buckets.forEach((b, i) => {
      const r = Math.max(...[b.match].flat().map((p) => matchRank(p, call.service, call.operation)));
      if (r > rank) [best, rank] = [i, r];
    });
    const bucket = this.buckets[best];
    if (bucket === undefined) return true;
    const key = `${call.accountId}/${best}`;
    const now = this.nowMs();
    const level = this.levels.get(key) ?? { tokens: bucket.burst, at: now };
    level.tokens = Math.min(bucket.burst, level.tokens + ((now - level.at) / 1000) * bucket.ratePerSecond);
    level.at = now;
    this.levels.set(key, level);
    if (level.tokens < 1) return false;
    level.tokens -= 1;
    return true;
  }
}

export interface AwsProxyOptions {
  /** moto base URL, e.g. http://127.0.0.1:5000 */
  target: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Seed for fault-rule rates; default 1. */
  seed?: number;
}

export interface AwsProxy {
  url: string;
  close(): Promise<void>;
  counts(accountId?: string): CallCounts;
  reset(accountId?: string): void;
  addFault(rule: FaultRule): string;
  removeFault(id: string): void;
  clearFaults(accountId?: string): void;
  setBuckets(buckets: BucketSpec[]): void;
  calls(accountId?: string, sinceMs?: number): CallRecord[];
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  return JSON.parse((await readBody(req)).toString("utf8"));
}

function parseSessionSeconds(value: unknown): number | undefined {
  const seconds = (value as { seconds?: unknown } | null)?.seconds;
  if (seconds === null || seconds === undefined) return undefined;
  if (typeof seconds !== "number" || !(seconds > 0)) throw new Error("seconds must be a positive number or null");
  return seconds;
}

/** Where moto_server.py answers the ECS layer's control routes (test/env/ecs_motion/control.py). */
export const ECS_LAYER_PREFIX = "/_ecs_motion";

/** `/__proxy/ecs/<route>` goes to the layer inside moto as it is: the proxy keeps no ECS state. */
async function forwardToEcsLayer(target: URL, req: http.IncomingMessage, res: http.ServerResponse, route: string, search: string): Promise<void> {
  const body = await readBody(req);
  const answer = await fetch(`${target.origin}${ECS_LAYER_PREFIX}${route}${search}`, {
    method: req.method ?? "GET",
    ...(body.length > 0 ? { body, headers: { "content-type": "application/json" } } : {}),
  });
  res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
}

async function handleControl(state: ProxyState, target: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://proxy");
  const account = url.searchParams.get("account") ?? undefined;
  const path = url.pathname.slice(CONTROL_PREFIX.length - 1);
  const route = `${req.method ?? ""} ${path}`;
  if (path.startsWith("/ecs/")) {
    await forwardToEcsLayer(target, req, res, path.slice("/ecs".length), url.search);
    return;
  }
  try {
    if (route === "GET /counts") {
      sendJson(res, 200, state.counts(account));
      return;
    }
    if (route === "GET /calls") {
      const since = url.searchParams.get("since");
      if (since !== null && !Number.isFinite(Number(since))) throw new Error("since must be milliseconds since the epoch");
      sendJson(res, 200, state.calls(account, since === null ? undefined : Number(since)));
      return;
    }
    if (route === "POST /faults") {
      sendJson(res, 201, { id: state.addFault(parseFaultRule(await readJson(req))) });
      return;
    }
    if (route === "POST /reset") state.reset(account);
    else if (route === "DELETE /faults") state.clearFaults(account);
    else if (req.method === "DELETE" && path.startsWith("/faults/")) state.removeFault(decodeURIComponent(path.slice("/faults/".length)));
    else if (route === "PUT /buckets") state.setBuckets(parseBuckets(await readJson(req)));
    else if (route === "PUT /sessions") state.setSessionSeconds(parseSessionSeconds(await readJson(req)));
    else {
      sendJson(res, 404, { message: `no control route ${route}` });
      return;
    }
    res.writeHead(204).end();
  } catch (err) {
    sendJson(res, 400, { message: err instanceof Error ? err.message : String(err) });
  }
}

async function handleCall(
  state: ProxyState,
  target: URL,
  agent: http.Agent,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const body = needsBodyToIdentify(req.headers) ? await readBody(req) : undefined;
  const call = identifyCall(req.headers, req.url ?? "/", body?.toString("utf8"), (key) => state.assumedAccount(key), req.method);
  state.logCall(call);
  if (state.expired(call.accessKeyId)) {
    state.record(call, "injected");
    const canned = faultResponse("expiredToken", call, randomUUID());
    res.writeHead(canned.status, canned.headers).end(canned.body);
    return;
  }
  const { latencyMs, answerDelayMs, action } = state.decide(call);
  if (latencyMs > 0) {
    // Unref'd: a long latency still pending must not keep a finished test run alive.
    await sleep(latencyMs, undefined, { ref: false });
    if (req.socket.destroyed) return;
  }
  if (action === "drop") {
    state.record(call, "injected");
    req.socket.destroy();
    return;
  }
  if (action !== "forward") {
    state.record(call, action === "throttle" ? "throttled" : "injected");
    const canned = faultResponse(action, call, randomUUID());
    res.writeHead(canned.status, canned.headers).end(canned.body);
    return;
  }

  const ownAccount = call.accountId === call.accessKeyId;
  const headers = forwardableHeaders(req.rawHeaders, ownAccount ? ["x-moto-account-id"] : []);
  if (ownAccount) headers.push("x-moto-account-id", call.accountId);
  // The Host header is kept: moto routes by credential scope, and URLs it builds into
  // responses then point back at the proxy.
  const upstream = http.request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers,
    agent,
  });
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.on("response", (up) => void answer(up));
  async function answer(up: http.IncomingMessage): Promise<void> {
    const status = up.statusCode ?? 502;
    state.record(call, status < 400 ? "ok" : "upstreamError");
    if (answerDelayMs > 0) {
      await sleep(answerDelayMs, undefined, { ref: false });
      if (res.destroyed || req.socket.destroyed) {
        up.resume();
        return;
      }
    }
    if (call.service === "sts" && call.operation === "AssumeRole" && status < 400) {
      void relayAssumeRole(state, body?.toString("utf8") ?? "", up, res);
      return;
    }
    res.writeHead(status, up.statusMessage, forwardableHeaders(up.rawHeaders));
    // A broken stream on either side just ends the exchange; the client sees a truncated response.
    pipeline(up, res, () => undefined);
  }
  upstream.on("error", (err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    state.record(call, "upstreamError");
    res.writeHead(502, { "content-type": "text/plain" }).end(`aws proxy: ${target.host} failed: ${err.message}`);
  });
  if (body === undefined) pipeline(req, upstream, () => undefined);
  else upstream.end(body);
}

/**
 * Relays an AssumeRole answer, learning the temporary key it hands out and the account of the role
 * asked for; with shortened sessions, rewrites its Expiration and remembers it (calls signed with
 * the key afterwards get ExpiredToken, as from AWS).
 */
async function relayAssumeRole(state: ProxyState, requestBody: string, up: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let text = "";
  for await (const chunk of up as AsyncIterable<Buffer>) text += chunk.toString("utf8");
  const account = /^arn:aws[a-zA-Z-]*:iam::(\d{12}):role\//.exec(new URLSearchParams(requestBody).get("RoleArn") ?? "")?.[1];
  const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
  const seconds = state.shortenedSessionSeconds();
  let expiresAtMs: number | undefined;
  if (seconds !== undefined) {
    expiresAtMs = Date.now() + seconds * 1000;
    text = text.replace(/<Expiration>[^<]*<\/Expiration>/, `<Expiration>${new Date(expiresAtMs).toISOString()}</Expiration>`);
  }
  if (account !== undefined && key !== undefined) state.rememberAssumedKey(key, account, expiresAtMs);
  const headers = forwardableHeaders(up.rawHeaders, ["content-length"]);
  headers.push("content-length", String(Buffer.byteLength(text)));
  res.writeHead(up.statusCode ?? 200, up.statusMessage, headers).end(text);
}

export async function startAwsProxy(options: AwsProxyOptions): Promise<AwsProxy> {
  const target = new URL(options.target);
  if (target.protocol !== "http:") throw new Error(`aws proxy target must be http: ${options.target}`);
  const state = new ProxyState(seededRandom(options.seed ?? 1));
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const handler = req.url?.startsWith(CONTROL_PREFIX) ? handleControl(state, target, req, res) : handleCall(state, target, agent, req, res);
    handler.catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { message: err instanceof Error ? err.message : String(err) });
    });
  });
  // Node's 5 s default would close SDK keep-alive sockets between test steps; a close racing a
  // reuse surfaces as ECONNRESET, which the SDK retries and which would skew attempt counts.
  server.keepAliveTimeout = 65_000;

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          agent.destroy();
          if (err) reject(err);
          else resolve();
        });
        server.closeAllConnections();
      }),
    counts: (accountId) => state.counts(accountId),
    reset: (accountId) => {
      state.reset(accountId);
    },
    addFault: (rule) => state.addFault(rule),
    removeFault: (id) => {
      state.removeFault(id);
    },
    clearFaults: (accountId) => {
      state.clearFaults(accountId);
    },
    setBuckets: (buckets) => {
      state.setBuckets(buckets);
    },
    calls: (accountId, sinceMs) => state.calls(accountId, sinceMs),
  };
}
