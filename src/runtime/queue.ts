// The work queue between watches and reconcilers, after client-go's workqueue: a key waiting is
// queued once, a key being processed is never handed out again until done(), and failures back off
// per key. Keys may belong to shards (the AWS account and region an object lives in): shards take
// turns, and each has at most `perShard` keys in flight, so that workers waiting on one throttled
// account's token bucket never hold up the others (docs/design.md, section 7). Time comes from
// setTimeout and performance.now() so tests drive it with fake timers.

/** "change" work (a watch event, a retry) is served before "resync" work (a periodic re-check). */
export type Lane = "change" | "resync";

export interface QueueOptions {
  baseDelayMs?: number;
  /** Cap on the backoff delay before jitter, so keys at the cap still spread out. */
  maxDelayMs?: number;
  /** Proportional jitter: a delay d becomes uniform in [d·(1−jitter), d·(1+jitter)]. */
  jitter?: number;
  random?: () => number;
  /** The shard of a key, read when it is queued and by reshard() (default: one shard for every key). */
  shardOf?: (key: string) => string;
  /** Keys of one shard in flight at once (default: no limit). */
  perShard?: number;
}

interface Pending {
  due: number;
  lane: Lane;
  timer: ReturnType<typeof setTimeout>;
}

const urgent = (a: Lane, b: Lane | undefined): Lane => (a === "change" || b === "change" ? "change" : "resync");

export class WorkQueue {
  /** Queued keys by lane, then by shard; a shard's map entry moves to the back when it is served,
   * so that iterating a lane visits the shards in turn. */
  private readonly lanes: Record<Lane, Map<string, Set<string>>> = { change: new Map(), resync: new Map() };
  /** Where each queued key is. */
  private readonly queued = new Map<string, { lane: Lane; shard: string }>();
  /** Keys in flight, with their shard. */
  private readonly processing = new Map<string, string>();
  private readonly inFlightByShard = new Map<string, number>();
  /** Keys added while processing, re-queued by done() in the most urgent lane they were added to. */
  private readonly dirty = new Map<string, Lane>();
  private readonly pending = new Map<string, Pending>();
  private readonly failureCounts = new Map<string, number>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly drainers: (() => void)[] = [];
  private stopped = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly shardOf: (key: string) => string;
  private readonly perShard: number;

  constructor(options: QueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    this.shardOf = options.shardOf ?? (() => "");
    this.perShard = options.perShard ?? Infinity;
  }

  add(key: string, lane: Lane = "change"): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.set(key, urgent(lane, this.dirty.get(key)));
      return;
    }
    const current = this.queued.get(key);
    if (current?.lane === "change") return;
    if (current) {
      if (lane === "resync") return;
      this.unqueue(key, current);
    }
    this.enqueue(key, lane);
    this.dispatch();
  }

  /**
   * Adds the key once delayMs has passed. Of several pending delayed adds of one key the earliest
   * wins (in the most urgent lane asked for). An immediate add does not cancel it: when it fires it
   * dedups against the queue, or re-runs the key, which a level-based reconcile tolerates.
   */
  addAfter(key: string, delayMs: number, lane: Lane = "change"): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key, lane);
      return;
    }
    const due = performance.now() + delayMs;
    const current = this.pending.get(key);
    if (current !== undefined) {
      if (current.due <= due) {
        current.lane = urgent(lane, current.lane);
        return;
      }
      clearTimeout(current.timer);
      lane = urgent(lane, current.lane);
    }
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.add(key, lane);
    }, delayMs);
    this.pending.set(key, { due, lane, timer });
  }

  /** Requeues after min(maxDelay, base·2^failures) ± jitter and counts one more failure. */
  addRateLimited(key: string, lane: Lane = "change"): void {
    const failures = this.failures(key);
    this.failureCounts.set(key, failures + 1);
    // The exponent is capped so that a huge failure count cannot turn base·2^n into Infinity or NaN.
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(failures, 52));
    this.addAfter(key, delay * (1 + this.jitter * (2 * this.random() - 1)), lane);
  }

  /** Resets the backoff of a key, after it reconciled successfully or was deleted. */
  forget(key: string): void {
    this.failureCounts.delete(key);
  }

  failures(key: string): number {
    return this.failureCounts.get(key) ?? 0;
  }

  /** Waits for the next key; the caller must call done(key). Resolves undefined after shutDown(). */
  get(): Promise<string | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    const shard = this.processing.get(key);
    if (shard === undefined) return;
    this.processing.delete(key);
    const inFlight = (this.inFlightByShard.get(shard) ?? 1) - 1;
    if (inFlight > 0) this.inFlightByShard.set(shard, inFlight);
    else this.inFlightByShard.delete(shard);
    const lane = this.dirty.get(key);
    this.dirty.delete(key);
    if (lane !== undefined) this.add(key, lane);
    // The shard has room again: a waiting worker may take one of its keys.
    this.dispatch();
    if (this.processing.size === 0) for (const resolve of this.drainers.splice(0)) resolve();
  }

  /** Stops handing out work: waiting and later get() calls resolve undefined, adds are ignored. */
  shutDown(): void {
    this.stopped = true;
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  /** Resolves when no key is in flight; after shutDown() that means every handed-out key is done. */
  drain(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  /** Sorts the queued keys into shards again, in their order, e.g. once what decides shards is known. */
  reshard(): void {
    for (const lane of ["change", "resync"] as const) {
      const keys = [...this.lanes[lane].values()].flatMap((set) => [...set]);
      for (const key of keys) {
        const where = this.queued.get(key);
        if (where) this.unqueue(key, where);
      }
      for (const key of keys) this.enqueue(key, lane);
    }
    this.dispatch();
  }

  /** Keys waiting to be handed out (some may wait for their shard to have room). */
  depth(): number {
    return this.queued.size;
  }

  inFlight(): number {
    return this.processing.size;
  }

  delayed(): number {
    return this.pending.size;
  }

  /** The next key: change work before resync work, shards in turn, none of a shard at its limit. */
  private take(): string | undefined {
    for (const lane of ["change", "resync"] as const) {
      const shards = this.lanes[lane];
      for (const [shard, keys] of shards) {
        if ((this.inFlightByShard.get(shard) ?? 0) >= this.perShard) continue;
        const key = keys.values().next().value;
        if (key === undefined) continue;
        keys.delete(key);
        // To the back of the turn (or gone while it has nothing queued).
        shards.delete(shard);
        if (keys.size > 0) shards.set(shard, keys);
        this.queued.delete(key);
        this.processing.set(key, shard);
        this.inFlightByShard.set(shard, (this.inFlightByShard.get(shard) ?? 0) + 1);
        return key;
      }
    }
    return undefined;
  }

  private enqueue(key: string, lane: Lane): void {
    const shard = this.shardOf(key);
    let keys = this.lanes[lane].get(shard);
    if (!keys) {
      keys = new Set();
      this.lanes[lane].set(shard, keys);
    }
    keys.add(key);
    this.queued.set(key, { lane, shard });
  }

  private unqueue(key: string, where: { lane: Lane; shard: string }): void {
    const keys = this.lanes[where.lane].get(where.shard);
    keys?.delete(key);
    if (keys?.size === 0) this.lanes[where.lane].delete(where.shard);
    this.queued.delete(key);
  }

  private dispatch(): void {
    while (this.getters.length > 0) {
      const key = this.take();
      if (key === undefined) return;
      this.getters.shift()?.(key);
    }
  }
}

/**
 * Loops of get() → handle → done() until the queue is shut down and drained; more can be added
 * while they run (a new shard brings its own workers).
 * Contract: `handle` owns the outcome of a key — it calls forget, addRateLimited or addAfter itself.
 * A throw is a bug in `handle`, not a retry request: it is passed to onError, the key is not
 * requeued, and the worker carries on; done() is called either way.
 */
export class WorkerPool {
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly queue: WorkQueue,
    private readonly handle: (key: string) => Promise<void>,
    private readonly onError: (key: string, error: unknown) => void = () => undefined,
  ) {}

  get size(): number {
    return this.loops.length;
  }

  add(workers: number): void {
    for (let i = 0; i < workers; i++) this.loops.push(this.loop());
  }

  /** Resolves when every loop, those added meanwhile too, has ended and nothing is in flight. */
  async done(): Promise<void> {
    for (let i = 0; i < this.loops.length; i++) await this.loops[i];
    await this.queue.drain();
  }

  private async loop(): Promise<void> {
    const { queue } = this;
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await this.handle(key);
      } catch (error) {
        this.onError(key, error);
      } finally {
        queue.done(key);
      }
    }
  }
}

/** `workers` loops of a WorkerPool, until the queue is shut down and drained. */
export async function runWorkers(
  queue: WorkQueue,
  workers: number,
  handle: (key: string) => Promise<void>,
  onError: (key: string, error: unknown) => void = () => undefined,
): Promise<void> {
  const pool = new WorkerPool(queue, handle, onError);
  pool.add(workers);
  await pool.done();
}
