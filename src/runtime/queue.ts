// The work queue between watches and reconcilers, after client-go's workqueue: a key waiting is
// queued once, a key being processed is never handed out again until done(), and failures back off
// per key. Time comes from setTimeout and performance.now() so tests drive it with fake timers.

/** "change" work (a watch event, a retry) is served before "resync" work (a periodic re-check). */
export type Lane = "change" | "resync";

export interface QueueOptions {
  baseDelayMs?: number;
  /** Cap on the backoff delay before jitter, so keys at the cap still spread out. */
  maxDelayMs?: number;
  /** Proportional jitter: a delay d becomes uniform in [d·(1−jitter), d·(1+jitter)]. */
  jitter?: number;
  random?: () => number;
}

interface Pending {
  due: number;
  lane: Lane;
  timer: ReturnType<typeof setTimeout>;
}

const urgent = (a: Lane, b: Lane | undefined): Lane => (a === "change" || b === "change" ? "change" : "resync");

export class WorkQueue {
  private readonly lanes: Record<Lane, Set<string>> = { change: new Set(), resync: new Set() };
  private readonly processing = new Set<string>();
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

  constructor(options: QueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
  }

  add(key: string, lane: Lane = "change"): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.set(key, urgent(lane, this.dirty.get(key)));
      return;
    }
    if (this.lanes.change.has(key)) return;
    if (this.lanes.resync.has(key)) {
      if (lane === "resync") return;
      this.lanes.resync.delete(key);
    }
    this.lanes[lane].add(key);
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
    if (!this.processing.delete(key)) return;
    const lane = this.dirty.get(key);
    this.dirty.delete(key);
    if (lane !== undefined) this.add(key, lane);
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

  /** Keys ready to be handed out. */
  depth(): number {
    return this.lanes.change.size + this.lanes.resync.size;
  }

  inFlight(): number {
    return this.processing.size;
  }

  delayed(): number {
    return this.pending.size;
  }

  private take(): string | undefined {
    const lane = this.lanes.change.size > 0 ? this.lanes.change : this.lanes.resync;
    const next = lane.values().next();
    if (next.done === true) return undefined;
    lane.delete(next.value);
    this.processing.add(next.value);
    return next.value;
  }

  private dispatch(): void {
    while (this.getters.length > 0 && this.depth() > 0) {
      this.getters.shift()?.(this.take());
    }
  }
}

/**
 * Runs `workers` loops of get() → handle → done() until the queue is shut down and drained.
 * Contract: `handle` owns the outcome of a key — it calls forget, addRateLimited or addAfter itself.
 * A throw is a bug in `handle`, not a retry request: it is passed to onError, the key is not
 * requeued, and the worker carries on; done() is called either way.
 */
export async function runWorkers(
  queue: WorkQueue,
  workers: number,
  handle: (key: string) => Promise<void>,
  onError: (key: string, error: unknown) => void = () => undefined,
): Promise<void> {
  const loop = async (): Promise<void> => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await handle(key);
      } catch (error) {
        onError(key, error);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  await queue.drain();
}
