// Typed client for the AWS proxy's control API (test/env/aws-proxy.ts). The proxy runs in
// another process than the vitest workers and benchmarks, so everything goes over HTTP.
// The shared types live here rather than in the proxy so that importing them does not
// pull node:http server code into clients.

export type FaultKind = "throttle" | "error500" | "error503" | "latency" | "drop";

export interface FaultRule {
  kind: FaultKind;
  /** Probability (0..1) that a matching call is hit; default 1. Draws come from the proxy's seeded PRNG. */
  rate?: number;
  /** `service:Operation`, bare `Operation`, `service:*` or `*`; all operations when absent. */
  operations?: string[];
  /** Only calls made with this account's credentials; all accounts when absent. */
  accountId?: string;
  /** Delay for `latency` rules. */
  latencyMs?: number;
  /**
   * A `latency` rule that holds the answer instead of the request: the call reaches moto and is
   * carried out (counted `ok`), and the caller hears of it latencyMs later, or never if it dies
   * meanwhile (a crash between a create and the write that records it).
   */
  afterForward?: boolean;
  /** Apply at most this many times, then the rule is removed. */
  remaining?: number;
}

export interface BucketSpec {
  /**
   * `service:Operation`, bare `Operation`, `service:*` or `*`; the most specific match wins. A
   * list makes one bucket that all its patterns share, as AWS shares one per class of operations.
   */
  match: string | string[];
  ratePerSecond: number;
  burst: number;
}

export interface OperationCounts {
  calls: number;
  /** Forwarded and answered below 400 by the upstream. */
  ok: number;
  /** Answered with the protocol's throttling error, by a fault rule or an empty bucket. */
  throttled: number;
  /** Answered by an error500/error503/drop fault rule. */
  injected: number;
  /** Forwarded and answered with a status >= 400 by the upstream (or the upstream was unreachable). */
  upstreamError: number;
}

/** accountId -> `service:Operation` -> counts */
export type CallCounts = Record<string, Record<string, OperationCounts>>;

/** One call as it reached the proxy, kept in a ring buffer of the most recent calls. */
export interface CallRecord {
  /** Arrival time, milliseconds since the epoch (fractional). */
  at: number;
  accountId: string;
  /** `service:Operation` */
  operation: string;
}

/**
 * How specifically `pattern` names the call: 3 `service:Op`, 2 bare `Op`, 1 `service:*`,
 * 0 `*`, -1 no match. Token buckets use the rank to pick the most specific bucket.
 */
export function matchRank(pattern: string, service: string, operation: string): number {
  if (pattern === `${service}:${operation}`) return 3;
  if (pattern === operation) return 2;
  if (pattern === `${service}:*`) return 1;
  return pattern === "*" ? 0 : -1;
}

function splitName(name: string): [string, string] {
  const i = name.indexOf(":");
  return [name.slice(0, i), name.slice(i + 1)];
}

export function emptyCounts(): OperationCounts {
  return { calls: 0, ok: 0, throttled: 0, injected: 0, upstreamError: 0 };
}

/** Counts for every operation `pattern` matches, summed over all accounts in `counts`. */
export function totalsFor(counts: CallCounts, pattern: string): OperationCounts {
  const total = emptyCounts();
  for (const byOperation of Object.values(counts)) {
    for (const [name, c] of Object.entries(byOperation)) {
      if (matchRank(pattern, ...splitName(name)) < 0) continue;
      total.calls += c.calls;
      total.ok += c.ok;
      total.throttled += c.throttled;
      total.injected += c.injected;
      total.upstreamError += c.upstreamError;
    }
  }
  return total;
}

export function callsTo(counts: CallCounts, pattern: string): number {
  return totalsFor(counts, pattern).calls;
}

/** Each mutating operation called (anything that is not Describe*, List* or Get*) with its call count. */
function writeCounts(counts: CallCounts): [string, number][] {
  return Object.values(counts).flatMap((byOperation) =>
    Object.entries(byOperation)
      .filter(([name, c]) => c.calls > 0 && !/^(Describe|List|Get)/.test(splitName(name)[1]))
      .map(([name, c]): [string, number] => [name, c.calls]),
  );
}

/** The mutating operations called, "service:Operation xN" each: what a failed "no write" check names. */
export function writeOperations(counts: CallCounts): string[] {
  return writeCounts(counts)
    .map(([name, calls]) => `${name} x${String(calls)}`)
    .sort();
}

/** Calls to mutating operations, i.e. anything that is not Describe*, List* or Get*. */
export function writeCalls(counts: CallCounts): number {
  return writeCounts(counts).reduce((total, [, calls]) => total + calls, 0);
}

/**
 * The pace of the ECS layer's clock, per account (test/env/ecs_motion, docs/local-aws.md): how long
 * a tick is, and how many ticks each step of a task's life takes.
 */
export interface EcsPace {
  /** Wall-clock length of a tick; 0 stops the clock, which then moves only by tickEcs. */
  tickMs: number;
  provisioningTicks: number;
  pendingTicks: number;
  /** A registered target is `initial` this long, then `healthy`. */
  healthyTicks: number;
  /** A deregistered target is `draining` this long. */
  drainingTicks: number;
  stoppingTicks: number;
  /** How long a RunTask/StartTask task runs before it exits (unless a rule says otherwise). */
  runTicks: number;
  /** One of ECS's minutes (bake times, canary and linear steps, hook timeouts) in ticks. */
  minuteTicks: number;
}

/** What a matching task does: `run` until stopped, `exit` after runTicks, or `fail` to start. */
export interface EcsTaskRule {
  outcome: "run" | "exit" | "fail";
  /** A glob (fnmatch) matched against every container's image. */
  image?: string;
  family?: string;
  revision?: number;
  /** A service's task (`service`) or a RunTask/StartTask one (`task`); both when absent. */
  launchedBy?: "service" | "task";
  /** Every container's exit code (default 1 for `fail`, 0 for `exit`), unless exitCodes names it. */
  exitCode?: number;
  exitCodes?: Record<string, number>;
  runTicks?: number;
  /** The task's stoppedReason instead of ECS's "Essential container in task exited". */
  reason?: string;
}

export interface EcsDeploymentState {
  id: string;
  status: string;
  taskDefinition: string;
  rolloutState: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks: number;
}

/** A service as the ECS layer saw it after one tick of its scheduler. */
export interface EcsServiceState {
  tick: number;
  status: string;
  desired: number;
  running: number;
  pending: number;
  /** RUNNING, and its targets (if any) healthy: what minimumHealthyPercent counts. */
  healthy: number;
  /** Told to stop, not yet STOPPED (draining included). */
  stopping: number;
  /** Holding a place on a container instance. */
  placed: number;
  deployments: EcsDeploymentState[];
}

export class AwsProxyControl {
  private readonly base: string;

  constructor(proxyUrl: string) {
    this.base = `${proxyUrl.replace(/\/+$/, "")}/__proxy`;
  }

  async counts(accountId?: string): Promise<CallCounts> {
    return (await this.call("GET", "/counts", accountId)).json() as Promise<CallCounts>;
  }

  async reset(accountId?: string): Promise<void> {
    await this.call("POST", "/reset", accountId);
  }

  async addFault(rule: FaultRule): Promise<string> {
    const res = await this.call("POST", "/faults", undefined, rule);
    return ((await res.json()) as { id: string }).id;
  }

  async removeFault(id: string): Promise<void> {
    await this.call("DELETE", `/faults/${encodeURIComponent(id)}`);
  }

  async clearFaults(accountId?: string): Promise<void> {
    await this.call("DELETE", "/faults", accountId);
  }

  async setBuckets(buckets: BucketSpec[]): Promise<void> {
    await this.call("PUT", "/buckets", undefined, buckets);
  }

  /**
   * Makes the sessions STS AssumeRole hands out last `seconds` (rewriting their Expiration), after
   * which calls signed with them get ExpiredToken, as from AWS; undefined restores moto's own.
   */
  async setSessionSeconds(seconds: number | undefined): Promise<void> {
    await this.call("PUT", "/sessions", undefined, { seconds: seconds ?? null });
  }

  /** The most recent calls (oldest first) that arrived at or after `sinceMs` (epoch ms). */
  async calls(accountId?: string, sinceMs?: number): Promise<CallRecord[]> {
    const params: Record<string, string> = sinceMs === undefined ? {} : { since: String(sinceMs) };
    return (await this.call("GET", "/calls", accountId, undefined, params)).json() as Promise<CallRecord[]>;
  }

  /** The ECS layer's pace and task rules in force for an account. */
  async ecsSettings(accountId: string): Promise<{ pace: EcsPace; rules: (EcsTaskRule & { id: string })[] }> {
    return (await this.call("GET", "/ecs/settings", accountId)).json() as Promise<{ pace: EcsPace; rules: (EcsTaskRule & { id: string })[] }>;
  }

  async setEcsPace(accountId: string, pace: Partial<EcsPace>): Promise<EcsPace> {
    return (await this.call("PUT", "/ecs/pace", accountId, pace)).json() as Promise<EcsPace>;
  }

  /** Adds a task rule for the account; the newest matching rule decides. Returns its id. */
  async addEcsTaskRule(accountId: string, rule: EcsTaskRule): Promise<string> {
    return ((await (await this.call("POST", "/ecs/rules", accountId, rule)).json()) as { id: string }).id;
  }

  async clearEcsTaskRules(accountId: string): Promise<void> {
    await this.call("DELETE", "/ecs/rules", accountId);
  }

  /** The default pace and no task rules again for the account. */
  async resetEcs(accountId: string): Promise<void> {
    await this.call("POST", "/ecs/reset", accountId);
  }

  /** Moves the account's ECS clock `count` ticks at once (with tickMs 0, the only way it moves). */
  async tickEcs(accountId: string, count = 1): Promise<void> {
    await this.call("POST", "/ecs/tick", accountId, undefined, { count: String(count) });
  }

  /** A service's states, one per tick that changed something, oldest first. */
  async ecsHistory(accountId: string, cluster: string, service: string, region = "us-east-1"): Promise<EcsServiceState[]> {
    return (await this.call("GET", "/ecs/history", accountId, undefined, { cluster, service, region })).json() as Promise<EcsServiceState[]>;
  }

  /**
   * A scaling as Application Auto Scaling makes one when a policy or scheduled action fires: the
   * service's desiredCount set within its scalable target's limits (not through the proxy, so no
   * caller's UpdateService is counted), tasks following, and a Successful activity recorded.
   * Answers the count set.
   */
  async autoscale(accountId: string, resourceId: string, desiredCount: number, options: { cause?: string; region?: string } = {}): Promise<number> {
    const body = { resourceId, desiredCount, ...(options.cause !== undefined ? { cause: options.cause } : {}) };
    const answer = (await (await this.call("POST", "/ecs/autoscale", accountId, body, options.region !== undefined ? { region: options.region } : {})).json()) as { desiredCount: number };
    return answer.desiredCount;
  }

  /** Failures inside the ECS layer since moto started (empty when all is well). */
  async ecsErrors(): Promise<string[]> {
    return (await this.call("GET", "/ecs/errors")).json() as Promise<string[]>;
  }

  private async call(method: string, path: string, accountId?: string, body?: unknown, params: Record<string, string> = {}): Promise<Response> {
    const query = new URLSearchParams({ ...(accountId === undefined ? {} : { account: accountId }), ...params }).toString();
    const res = await fetch(`${this.base}${path}${query === "" ? "" : `?${query}`}`, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`aws proxy ${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }
}
