import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runWorkers, WorkQueue } from "../../src/runtime/queue.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets resolved promises run their callbacks without moving the fake clock. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Tracks whether a promise has settled, so a test can assert that it is still waiting. */
function track<T>(promise: Promise<T>): { settled: boolean; value: T | undefined } {
  const state: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

async function getAll(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.depth() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

/** The delay of the only pending timer, read off the fake clock. */
async function nextDelay(): Promise<number> {
  const start = performance.now();
  await vi.advanceTimersToNextTimerAsync();
  return performance.now() - start;
}

describe("WorkQueue", () => {
  it("dedups a key that is waiting", async () => {
    const queue = new WorkQueue();
    queue.add("ns/a");
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/a", "resync");
    expect(queue.depth()).toBe(2);
    expect(await getAll(queue)).toEqual(["ns/a", "ns/b"]);
  });

  it("keeps one in flight per key and re-queues a dirty key on done", async () => {
    const queue = new WorkQueue();
    queue.add("ns/a");
    expect(await queue.get()).toBe("ns/a");
    queue.add("ns/a");
    queue.add("ns/a");
    expect(queue.depth()).toBe(0);
    expect(queue.inFlight()).toBe(1);
    const second = track(queue.get());
    await flush();
    expect(second.settled).toBe(false);

    queue.done("ns/a");
    await flush();
    expect(second.value).toBe("ns/a");
    expect(queue.inFlight()).toBe(1);
    queue.done("ns/a");
    expect(queue.depth()).toBe(0);
    expect(queue.inFlight()).toBe(0);
  });

  it("re-queues a dirty key in the most urgent lane it was added to", async () => {
    const queue = new WorkQueue();
    queue.add("ns/a");
    queue.add("ns/b", "resync");
    expect(await queue.get()).toBe("ns/a");
    queue.add("ns/a", "resync");
    queue.add("ns/a", "change");
    queue.done("ns/a");
    expect(await getAll(queue)).toEqual(["ns/a", "ns/b"]);
  });

  it("serves the change lane first and promotes a resync key added as a change", async () => {
    const queue = new WorkQueue();
    queue.add("ns/r1", "resync");
    queue.add("ns/r2", "resync");
    queue.add("ns/c");
    queue.add("ns/c", "resync");
    queue.add("ns/r2", "change");
    expect(queue.depth()).toBe(3);
    expect(await getAll(queue)).toEqual(["ns/c", "ns/r2", "ns/r1"]);
  });

  it("keeps the earliest of several delayed adds", async () => {
    const queue = new WorkQueue();
    queue.addAfter("ns/a", 1000);
    queue.addAfter("ns/a", 300);
    queue.addAfter("ns/a", 2000);
    expect(queue.delayed()).toBe(1);
    await vi.advanceTimersByTimeAsync(299);
    expect(queue.depth()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.depth()).toBe(1);
    expect(queue.delayed()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(queue.depth()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("makes a delayed key available at once on an immediate add; the delayed add then dedups", async () => {
    const queue = new WorkQueue();
    queue.addAfter("ns/a", 1000, "resync");
    queue.add("ns/a");
    expect(queue.depth()).toBe(1);
    expect(queue.delayed()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(queue.depth()).toBe(1);
    expect(queue.delayed()).toBe(0);
    expect(await getAll(queue)).toEqual(["ns/a"]);
  });

  it("grows the backoff exponentially up to the cap and resets it on forget", async () => {
    const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      queue.addRateLimited("ns/a");
      delays.push(await nextDelay());
      queue.done((await queue.get()) ?? "");
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(queue.failures("ns/a")).toBe(6);
    expect(queue.failures("ns/b")).toBe(0);

    queue.forget("ns/a");
    expect(queue.failures("ns/a")).toBe(0);
    queue.addRateLimited("ns/a");
    expect(await nextDelay()).toBe(100);
  });

  it("counts failures per key", () => {
    const queue = new WorkQueue();
    queue.addRateLimited("ns/a");
    queue.addRateLimited("ns/a");
    queue.addRateLimited("ns/b");
    expect([queue.failures("ns/a"), queue.failures("ns/b")]).toEqual([2, 1]);
  });

  it("keeps proportional jitter within ±jitter of the delay", async () => {
    const low = new WorkQueue({ baseDelayMs: 1000, jitter: 0.2, random: () => 0 });
    low.addRateLimited("ns/a");
    expect(await nextDelay()).toBe(800);
    const high = new WorkQueue({ baseDelayMs: 1000, jitter: 0.2, random: () => 1 - Number.EPSILON });
    high.addRateLimited("ns/a");
    expect(await nextDelay()).toBeCloseTo(1200, 0);

    const queue = new WorkQueue({ baseDelayMs: 1000, maxDelayMs: 1000, jitter: 0.2 });
    for (let i = 0; i < 50; i++) {
      queue.addRateLimited(`ns/k${i}`);
      const delay = await nextDelay();
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1200);
    }
  });

  it("on shutDown releases waiting getters, ignores adds and drops delayed adds", async () => {
    const queue = new WorkQueue();
    const waiting = track(queue.get());
    queue.addAfter("ns/late", 1000);
    queue.shutDown();
    await flush();
    expect(waiting).toEqual({ settled: true, value: undefined });
    expect(queue.delayed()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    queue.add("ns/a");
    queue.addAfter("ns/b", 10);
    expect([queue.depth(), queue.delayed()]).toEqual([0, 0]);
    expect(await queue.get()).toBeUndefined();
  });

  it("drains: resolves only when every handed-out key is done, without re-queuing dirty keys", async () => {
    const queue = new WorkQueue();
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/c");
    await queue.get();
    await queue.get();
    queue.add("ns/a");
    queue.shutDown();
    expect(await queue.get()).toBeUndefined();

    const drained = track(queue.drain());
    queue.done("ns/a");
    await flush();
    expect(drained.settled).toBe(false);
    queue.done("ns/b");
    await flush();
    expect(drained.settled).toBe(true);
    expect(queue.depth()).toBe(1);
  });

  it("drain resolves at once when nothing is in flight", async () => {
    const queue = new WorkQueue();
    const drained = track(queue.drain());
    await flush();
    expect(drained.settled).toBe(true);
  });
});

describe("runWorkers", () => {
  it("never runs more than N handlers at once, nor one key twice at once", async () => {
    const queue = new WorkQueue();
    const active = new Set<string>();
    let peak = 0;
    let overlaps = 0;
    const handled: string[] = [];
    // Assertions inside a handler would be swallowed by runWorkers, so violations are counted.
    const handle = async (key: string): Promise<void> => {
      if (active.has(key)) overlaps++;
      active.add(key);
      peak = Math.max(peak, active.size);
      if (key === "ns/k0" && !handled.includes(key)) queue.add(key);
      await new Promise((resolve) => setTimeout(resolve, 10));
      handled.push(key);
      active.delete(key);
    };
    for (let i = 0; i < 10; i++) queue.add(`ns/k${i}`);
    const run = track(runWorkers(queue, 3, handle));

    await vi.advanceTimersByTimeAsync(1000);
    expect(handled).toHaveLength(11);
    expect(handled.filter((key) => key === "ns/k0")).toHaveLength(2);
    expect(peak).toBe(3);
    expect(overlaps).toBe(0);
    expect(run.settled).toBe(false);

    queue.add("ns/last");
    await flush();
    queue.shutDown();
    await flush();
    expect(run.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(run.settled).toBe(true);
    expect(handled.at(-1)).toBe("ns/last");
    expect(queue.inFlight()).toBe(0);
  });

  it("keeps a worker going after its handler throws, reports the error and calls done", async () => {
    const queue = new WorkQueue();
    const handled: string[] = [];
    const errors: [string, unknown][] = [];
    const boom = new Error("boom");
    queue.add("ns/bad");
    queue.add("ns/good");
    const run = runWorkers(
      queue,
      1,
      (key) => {
        handled.push(key);
        return key === "ns/bad" ? Promise.reject(boom) : Promise.resolve();
      },
      (key, error) => errors.push([key, error]),
    );
    await flush();
    expect(handled).toEqual(["ns/bad", "ns/good"]);
    expect(errors).toEqual([["ns/bad", boom]]);
    expect([queue.inFlight(), queue.depth()]).toEqual([0, 0]);

    queue.add("ns/bad");
    await flush();
    expect(handled).toEqual(["ns/bad", "ns/good", "ns/bad"]);
    queue.shutDown();
    await run;
  });
});

describe("WorkQueue shards (accounts and regions)", () => {
  const shardOf = (key: string): string => key.slice(0, key.indexOf("/"));

  it("hands out the shards' keys in turn, whatever order they were queued in", async () => {
    const queue = new WorkQueue({ shardOf });
    for (const key of ["a/1", "a/2", "a/3", "b/1", "b/2", "c/1"]) queue.add(key);
    expect(await getAll(queue)).toEqual(["a/1", "b/1", "c/1", "a/2", "b/2", "a/3"]);
  });

  it("keeps a shard at its limit waiting without holding up the others, and serves it once a key is done", async () => {
    const queue = new WorkQueue({ shardOf, perShard: 2 });
    for (const key of ["a/1", "a/2", "a/3", "a/4", "b/1"]) queue.add(key);
    const first = [await queue.get(), await queue.get(), await queue.get()];
    expect(first).toEqual(["a/1", "b/1", "a/2"]);
    // Shard a has two in flight and b none queued: a worker waits rather than take a/3.
    const waiting = track(queue.get());
    await flush();
    expect(waiting.settled).toBe(false);
    expect(queue.depth()).toBe(2);
    queue.done("b/1");
    await flush();
    expect(waiting.settled).toBe(false);
    queue.done("a/1");
    await flush();
    expect(waiting.value).toBe("a/3");
  });

  it("still serves changes before re-checks across shards, and a key once however it was re-added", async () => {
    const queue = new WorkQueue({ shardOf });
    queue.add("a/1", "resync");
    queue.add("b/1", "resync");
    queue.add("b/2", "change");
    queue.add("a/1", "change");
    queue.add("a/1", "resync");
    expect(await getAll(queue)).toEqual(["b/2", "a/1", "b/1"]);
  });

  it("runs at most perShard reconciles of one shard at once under runWorkers", async () => {
    vi.useRealTimers();
    const queue = new WorkQueue({ shardOf, perShard: 2 });
    const running = new Map<string, number>();
    let most = 0;
    for (let i = 0; i < 6; i++) queue.add(`a/${String(i)}`);
    for (let i = 0; i < 6; i++) queue.add(`b/${String(i)}`);
    const workers = runWorkers(queue, 8, async (key) => {
      const shard = shardOf(key);
      running.set(shard, (running.get(shard) ?? 0) + 1);
      most = Math.max(most, running.get(shard) ?? 0);
      await new Promise((resolve) => setImmediate(resolve));
      running.set(shard, (running.get(shard) ?? 0) - 1);
    });
    while (queue.depth() > 0 || queue.inFlight() > 0) await new Promise((resolve) => setImmediate(resolve));
    queue.shutDown();
    await workers;
    expect(most).toBe(2);
  });
});
