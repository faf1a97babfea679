// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: two replicas
// run, one holds the lease and works, the other waits to take over.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pino, type Logger } from "pino";
import { hasStatusCode, type KubeClient } from "./kube-client.js";

/** The parts of a coordination.k8s.io/v1 Lease that leader election reads and writes. */
interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** A MicroTime as the API server writes it: RFC 3339 with microseconds. */
function microTime(date = new Date()): string {
  return date.toISOString().replace(/Z$/, "000Z");
}

export interface LeaderElectionOptions {
  kube: KubeClient;
  namespace: string;
  /** The Lease's name, the same for every replica. */
  name: string;
  /** Unique per replica (the pod name): two replicas with one identity would both lead. */
  identity: string;
  /** How long others wait after the last renewal they saw before taking over (default 15). */
  leaseDurationSeconds?: number;
  /** How long the leader keeps trying to renew before it gives up leading (default 10 s). */
  renewDeadlineMs?: number;
  /** The pause between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  logger?: Logger;
  onStartedLeading: () => void;
  /** Leadership was lost without `stop()` being called: the lease could not be renewed within the
   * renew deadline, or another holder took it. Elections do not resume afterwards; the caller must
   * stop working at once (and typically exits, as client-go users do). Not called on `stop()`. */
  onStoppedLeading: () => void;
}

export interface LeaderElection {
  isLeader(): boolean;
  /** Stops acquiring and renewing. With `release` (the default), a lease this replica holds is
   * handed back so that a standby takes over at once instead of after the lease duration;
   * `release: false` leaves it to expire, as a crash would. */
  stop(options?: { release?: boolean }): Promise<void>;
}

type Attempt = "ours" | "held-by-another" | "conflict";

export function startLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const { namespace, name, identity } = options;
  const leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  // The leader must give up before a standby may take over, and have room for more than one
  // renewal attempt before it gives up.
  if (!(leaseDurationSeconds * 1000 > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
    throw new Error("leader election needs leaseDuration > renewDeadline > retryPeriod > 0");
  }
  const logger = (options.logger ?? pino({ enabled: false })).child({ lease: `${namespace}/${name}`, identity });
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const namedPath = `${leasePath}/${encodeURIComponent(name)}`;
  // Lease requests end well within the time the caller grants them (withTimeout below).
  const request = <T>(method: "GET" | "POST" | "PUT", path: string, body?: Lease): Promise<T> => options.kube.request<T>({ method, path, ...(body ? { body } : {}), timeoutMs: renewDeadlineMs });

  let leading = false;
  const stopping = new AbortController();
  // A function, not a variable, because stop() flips it while the loops below are awaiting.
  const stopRequested = (): boolean => stopping.signal.aborted;
  // client-go judges expiry by when this replica last saw the lease change on its own monotonic
  // clock, not by the holder's renewTime, so that clock skew between nodes cannot cause two
  // leaders.
  let observed: { resourceVersion: string | undefined; at: number } | undefined;

  /** Returns when this version of the lease was first seen. */
  const observe = (lease: Lease): number => {
    const resourceVersion = lease.metadata?.resourceVersion;
    if (observed === undefined || observed.resourceVersion !== resourceVersion) {
      observed = { resourceVersion, at: performance.now() };
    }
    return observed.at;
  };

  const heldByAnother = (spec: LeaseSpec, observedAt: number): boolean => {
    const holder = spec.holderIdentity ?? "";
    if (holder === "" || holder === identity) return false;
    const durationMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    return performance.now() - observedAt < durationMs;
  };

  const create = async (now: string): Promise<Attempt> => {
    try {
      const lease = await request<Lease>("POST", leasePath, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      });
      observe(lease);
      return "ours";
    } catch (err) {
      if (hasStatus(err, 409)) return "conflict";
      throw err;
    }
  };

  const tryAcquireOrRenew = async (): Promise<Attempt> => {
    const now = microTime();
    let lease: Lease;
    try {
      lease = await request<Lease>("GET", namedPath);
    } catch (err) {
      if (hasStatus(err, 404)) return create(now);
      throw err;
    }
    const observedAt = observe(lease);
    const spec: LeaseSpec = lease.spec ?? {};
    if (heldByAnother(spec, observedAt)) return "held-by-another";
    if (spec.holderIdentity !== identity) {
      spec.acquireTime = now;
      spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    spec.holderIdentity = identity;
    spec.leaseDurationSeconds = leaseDurationSeconds;
    spec.renewTime = now;
    lease.spec = spec;
    try {
      // The resourceVersion just read makes this a compare-and-swap: if anyone wrote the lease in
      // between, the API server answers 409 and the next attempt looks again.
      observe(await request<Lease>("PUT", namedPath, lease));
      return "ours";
    } catch (err) {
      if (hasStatus(err, 409)) return "conflict";
      throw err;
    }
  };

  const release = async (): Promise<void> => {
    const lease = await request<Lease>("GET", namedPath);
    const spec = lease.spec;
    if (spec?.holderIdentity !== identity) return;
    const now = microTime();
    // An empty holder is free to take at once; the one-second duration (as client-go writes it)
    // covers electors that only look at the time.
    spec.holderIdentity = "";
    spec.leaseDurationSeconds = 1;
    spec.acquireTime = now;
    spec.renewTime = now;
    await request("PUT", namedPath, lease);
  };

  const pause = (ms: number): Promise<void> => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  const campaign = async (): Promise<void> => {
    let lastRenewal = 0;
    while (!stopRequested()) {
      const started = performance.now();
      const attempt = await withTimeout(tryAcquireOrRenew(), renewDeadlineMs).catch((err: unknown) => {
        logger.warn({ err }, "could not acquire the leader lease");
        return "failed" as const;
      });
      if (attempt === "ours") {
        lastRenewal = started;
        leading = true;
        break;
      }
      await pause(retryPeriodMs);
    }
    // Acquired just as stop() was called: stop() releases it without anything having started.
    if (stopRequested()) return;
    logger.info("started leading");
    options.onStartedLeading();

    for (;;) {
      await pause(retryPeriodMs);
      if (stopRequested()) return;
      const started = performance.now();
      // Measured from the start of the last successful renewal, the moment others may have seen
      // it: giving up within renewDeadline < leaseDuration of it means the lease is never taken
      // over while this replica still believes it leads.
      const deadline = lastRenewal + renewDeadlineMs;
      const attempt = await withTimeout(tryAcquireOrRenew(), deadline - started).catch((err: unknown) => {
        logger.warn({ err }, "could not renew the leader lease");
        return "failed" as const;
      });
      if (stopRequested()) return;
      if (attempt === "ours") {
        lastRenewal = started;
        continue;
      }
      if (attempt === "held-by-another" || performance.now() >= deadline) {
        leading = false;
        logger.error({ attempt }, "stopped leading: the lease was lost");
        options.onStoppedLeading();
        return;
      }
    }
  };

  const running = campaign();

  return {
    isLeader: () => leading,
    async stop({ release: shouldRelease = true } = {}) {
      stopping.abort();
      await running;
      if (!leading) return;
      leading = false;
      if (!shouldRelease) return;
      try {
        await withTimeout(release(), renewDeadlineMs);
        logger.info("released the leader lease");
      } catch (err) {
        logger.warn({ err }, "could not release the leader lease; it expires on its own");
      }
    },
  };
}

function hasStatus(err: unknown, code: number): boolean {
  return hasStatusCode(err, code);
}

/** Bounds a request that might hang on a dead connection; the request itself is abandoned. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${Math.round(ms)} ms`));
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
