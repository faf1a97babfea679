import { CoordinationV1Api, CoreV1Api, KubeConfig, V1LeaseSpec, V1MicroTime } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { kubeClient } from "../../src/runtime/kube-client.js";
import { startLeaderElection, type LeaderElection, type LeaderElectionOptions } from "../../src/runtime/leader.js";

const stack = inject("stack");
const namespace = `leader-${randomBytes(4).toString("hex")}`;

const kc = new KubeConfig();
kc.loadFromFile(stack.kubeconfigPath);
const leases = kc.makeApiClient(CoordinationV1Api);

// Short timings so that takeovers happen within seconds; the relations between them are the
// production ones (lease > renew deadline > retry period).
const LEASE_S = 3;
const RENEW_MS = 2000;
const RETRY_MS = 500;
// Room for API round trips and timer drift on a loaded two-core machine.
const SLACK_MS = 700;

interface Candidate {
  election: LeaderElection;
  identity: string;
  /** When the callbacks were called, on the monotonic clock. */
  startedAt?: number;
  stoppedAt?: number;
}

const running: Candidate[] = [];

function candidate(name: string, identity: string, overrides: Partial<LeaderElectionOptions> = {}): Candidate {
  const times: { startedAt?: number; stoppedAt?: number } = {};
  const election = startLeaderElection({
    kube: kubeClient(kc),
    namespace,
    name,
    identity,
    leaseDurationSeconds: LEASE_S,
    renewDeadlineMs: RENEW_MS,
    retryPeriodMs: RETRY_MS,
    onStartedLeading: () => {
      times.startedAt = performance.now();
    },
    onStoppedLeading: () => {
      times.stoppedAt = performance.now();
    },
    ...overrides,
  });
  const c: Candidate = {
    election,
    identity,
    get startedAt() {
      return times.startedAt;
    },
    get stoppedAt() {
      return times.stoppedAt;
    },
  };
  running.push(c);
  return c;
}

async function leaderAmong(candidates: Candidate[], timeoutMs = 10_000): Promise<Candidate> {
  return vi.waitFor(
    () => {
      const leaders = candidates.filter((c) => c.election.isLeader());
      if (leaders.length !== 1 || !leaders[0]) throw new Error(`${leaders.length} leaders`);
      return leaders[0];
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

const readLease = (name: string) => leases.readNamespacedLease({ name, namespace });
const uniqueName = (): string => `lease-${randomBytes(3).toString("hex")}`;

describe("leader election on a Lease", () => {
  beforeAll(async () => {
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.election.stop({ release: false })));
  });

  afterAll(async () => {
    await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  });

  it("elects exactly one of two candidates, and keeps it", async () => {
    const name = uniqueName();
    const a = candidate(name, "a");
    const b = candidate(name, "b");
    const leader = await leaderAmong([a, b]);
    expect(leader.startedAt).toBeDefined();

    // Several lease durations later: still the same single leader, renewing.
    const before = await readLease(name);
    await new Promise((r) => setTimeout(r, 2 * LEASE_S * 1000));
    expect([a, b].filter((c) => c.election.isLeader())).toEqual([leader]);
    expect([a, b].map((c) => c.stoppedAt)).toEqual([undefined, undefined]);
    const after = await readLease(name);
    expect(after.spec?.holderIdentity).toBe(leader.identity);
    expect(after.spec?.leaseTransitions).toBe(before.spec?.leaseTransitions);
    expect(new Date(String(after.spec?.renewTime)).getTime()).toBeGreaterThan(new Date(String(before.spec?.renewTime)).getTime());
  });

  it("lets the standby take over a crashed leader's lease once it expires, counting the transition", async () => {
    const name = uniqueName();
    const a = candidate(name, "a");
    await leaderAmong([a]);
    const b = candidate(name, "b");
    const transitions = (await readLease(name)).spec?.leaseTransitions ?? 0;

    // Give the standby time to see the lease being renewed, then crash the leader: no release.
    await new Promise((r) => setTimeout(r, 2 * RETRY_MS));
    await a.election.stop({ release: false });
    const crashedAt = performance.now();
    await leaderAmong([a, b]);
    const takeoverMs = (b.startedAt ?? Infinity) - crashedAt;

    // The standby times the lease from when it last saw it renewed (client-go semantics), which
    // is up to one retry period after the renewal, and notices expiry on its next attempt.
    expect(takeoverMs).toBeGreaterThan(LEASE_S * 1000 - RETRY_MS - SLACK_MS);
    expect(takeoverMs).toBeLessThan(LEASE_S * 1000 + 2 * RETRY_MS + SLACK_MS);
    const lease = await readLease(name);
    expect(lease.spec?.holderIdentity).toBe("b");
    expect(lease.spec?.leaseTransitions).toBe(transitions + 1);
  });

  it("hands the lease over at once on a graceful stop", async () => {
    const name = uniqueName();
    const a = candidate(name, "a");
    await leaderAmong([a]);
    const b = candidate(name, "b");
    await new Promise((r) => setTimeout(r, 2 * RETRY_MS));

    await a.election.stop();
    const releasedAt = performance.now();
    expect(a.election.isLeader()).toBe(false);
    await leaderAmong([a, b]);
    expect((b.startedAt ?? Infinity) - releasedAt).toBeLessThan(RETRY_MS + SLACK_MS);
    expect(a.stoppedAt).toBeUndefined();
    const lease = await readLease(name);
    expect(lease.spec?.holderIdentity).toBe("b");
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it("leaves an empty holder behind when it releases", async () => {
    const name = uniqueName();
    const a = candidate(name, "a");
    await leaderAmong([a]);
    await a.election.stop();
    const lease = await readLease(name);
    expect(lease.spec?.holderIdentity ?? "").toBe("");
  });

  it("stops leading at once when another holder writes the lease", async () => {
    const name = uniqueName();
    const a = candidate(name, "a");
    await leaderAmong([a]);

    const lease = await readLease(name);
    const now = new V1MicroTime();
    const spec = lease.spec ?? new V1LeaseSpec();
    Object.assign(spec, { holderIdentity: "thief", acquireTime: now, renewTime: now });
    lease.spec = spec;
    await leases.replaceNamespacedLease({ name, namespace, body: lease });
    const stolenAt = performance.now();
    await vi.waitFor(() => {
      expect(a.stoppedAt).toBeDefined();
    }, { timeout: RENEW_MS + SLACK_MS, interval: 20 });
    expect((a.stoppedAt ?? Infinity) - stolenAt).toBeLessThan(RETRY_MS + SLACK_MS);
    expect(a.election.isLeader()).toBe(false);
    expect((await readLease(name)).spec?.holderIdentity).toBe("thief");
  });

  it("gives up leading within the renew deadline when it cannot reach the API server, before the standby takes over", async () => {
    const name = uniqueName();
    const link = await startCuttableLink(new URL(kc.getCurrentCluster()?.server ?? "").port);
    try {
      const a = candidate(name, "a", { kube: kubeClient(throughLink(link.port)) });
      await leaderAmong([a]);
      const b = candidate(name, "b");
      await new Promise((r) => setTimeout(r, 2 * RETRY_MS));

      link.blackhole();
      const cutAt = performance.now();
      await vi.waitFor(() => {
        expect(b.election.isLeader()).toBe(true);
      }, { timeout: 3 * LEASE_S * 1000, interval: 20 });
      expect(a.election.isLeader()).toBe(false);
      const stoppedAt = a.stoppedAt ?? Infinity;
      expect(stoppedAt - cutAt).toBeLessThan(RENEW_MS + SLACK_MS);
      // The whole point of renewDeadline < leaseDuration: never two leaders at once.
      expect(b.startedAt).toBeGreaterThan(stoppedAt);
    } finally {
      await link.close();
    }
  });
});

/** A kubeconfig like the test's, but reaching the API server through a local TCP link. */
function throughLink(port: number): KubeConfig {
  const linked = new KubeConfig();
  linked.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return linked;
}

/** A TCP relay to the API server that can be turned into a black hole: open connections die and
 * new ones are accepted but never answered, like a partitioned network. */
async function startCuttableLink(targetPort: string): Promise<{ port: number; blackhole(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    if (cut) return;
    const upstream = connect(Number(targetPort), "127.0.0.1");
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => {
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    blackhole() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
