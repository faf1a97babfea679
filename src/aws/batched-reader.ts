export interface BatchedReaderOptions<V> {
  /** The most keys one call may ask for (DescribeServices: 10 per cluster). */
  maxBatch: number;
  /** A cached answer at most this old is served without a call. */
  maxAgeMs: number;
  /** One call for several keys of a group; keys absent from the answer do not exist. */
  fetch(group: string, keys: string[]): Promise<Map<string, V>>;
  /** Other keys of the group worth reading in the same call (objects known to live there). */
  candidates?(group: string): string[];
  /** How long reads wait for company before the call goes out. */
  windowMs?: number;
  now?: () => number;
}

interface Entry<V> {
  value: V | undefined;
  fetchedAt: number;
}

interface Pending<V> {
  keys: Set<string>;
  result: Promise<Map<string, V>>;
}

/** A call under way, numbered in the order of calls and invalidations. */
interface Flight<V> {
  keys: ReadonlySet<string>;
  seq: number;
  result: Promise<Map<string, V>>;
}

/**
 * Reads many small things with few calls: concurrent reads of one group are coalesced into one
 * call of up to `maxBatch` keys, and each call fills its spare room with the group's other known
 * keys, least recently read first, whose answers are served from the cache while fresh. With
 * periodic re-checks that come due together, a fleet of N costs about N / maxBatch calls. A read
 * of a key that a call under way is already fetching waits for that call, and a call never fetches
 * again what another has under way. What was invalidated is never answered, nor cached, from a
 * call that began before the invalidation.
 */
export class BatchedReader<V> {
  private readonly cache = new Map<string, Map<string, Entry<V>>>();
  private readonly pending = new Map<string, Pending<V>>();
  private readonly flights = new Map<string, Set<Flight<V>>>();
  /** group \0 key → the sequence number of its last invalidation. */
  private readonly invalidated = new Map<string, number>();
  private seq = 0;
  private readonly now: () => number;
  private forgetTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BatchedReaderOptions<V>) {
    this.now = options.now ?? Date.now;
  }

  async read(group: string, key: string): Promise<V | undefined> {
    const cached = this.cache.get(group)?.get(key);
    if (cached && this.now() - cached.fetchedAt <= this.options.maxAgeMs) return cached.value;
    const since = this.invalidated.get(`${group}\0${key}`) ?? 0;
    const flight = [...(this.flights.get(group) ?? [])].find((f) => f.keys.has(key) && f.seq > since);
    const answers = await (flight ? flight.result : this.join(group, key));
    return answers.get(key);
  }

  /** Drops a cached answer, after a write that changed the thing. */
  invalidate(group: string, key: string): void {
    this.cache.get(group)?.delete(key);
    this.invalidated.set(`${group}\0${key}`, ++this.seq);
  }

  private join(group: string, key: string): Promise<Map<string, V>> {
    const open = this.pending.get(group);
    if (open && (open.keys.has(key) || open.keys.size < this.options.maxBatch)) {
      open.keys.add(key);
      return open.result;
    }
    const keys = new Set([key]);
    const result = new Promise<void>((resolve) => setTimeout(resolve, this.options.windowMs ?? 5)).then(() => {
      // Closed for joiners from here on: this call's keys are final.
      if (this.pending.get(group)?.keys === keys) this.pending.delete(group);
      this.fill(group, keys);
      return this.call(group, [...keys]);
    });
    this.pending.set(group, { keys, result });
    return result;
  }

  private fill(group: string, keys: Set<string>): void {
    const known = this.cache.get(group);
    const flying = [...(this.flights.get(group) ?? [])];
    const extra = (this.options.candidates?.(group) ?? [])
      .filter((k) => !keys.has(k) && !flying.some((f) => f.keys.has(k)))
      .map((k) => ({ k, at: known?.get(k)?.fetchedAt ?? -Infinity }))
      .sort((a, b) => a.at - b.at);
    for (const { k } of extra) {
      if (keys.size >= this.options.maxBatch) break;
      keys.add(k);
    }
  }

  /**
   * An answer past maxAgeMs is never served again, so it is not kept: only when it was read stays
   * (fill() orders candidates by it). A service's description carries its deployments and up to 100
   * events; kept for ever, a fleet's descriptions would be most of the operator's heap.
   */
  /** Returns whether answers are still held (fresh ones, to forget later). */
  private forgetStaleAnswers(): boolean {
    const now = this.now();
    let held = false;
    for (const entries of this.cache.values()) {
      for (const [k, entry] of entries) {
        if (entry.value === undefined) continue;
        if (now - entry.fetchedAt > this.options.maxAgeMs) entries.set(k, { value: undefined, fetchedAt: entry.fetchedAt });
        else held = true;
      }
    }
    return held;
  }

  /** One timer for the whole cache, while it holds answers; it does not keep the process alive. */
  private scheduleForgetting(): void {
    if (this.forgetTimer) return;
    this.forgetTimer = setTimeout(() => {
      this.forgetTimer = undefined;
      if (this.forgetStaleAnswers()) this.scheduleForgetting();
    }, this.options.maxAgeMs + 1);
    this.forgetTimer.unref();
  }

  /** Answers held in the cache (whether fresh or not yet forgotten), for tests. */
  heldAnswers(): number {
    let held = 0;
    for (const entries of this.cache.values()) for (const entry of entries.values()) if (entry.value !== undefined) held++;
    return held;
  }

  private async call(group: string, keys: string[]): Promise<Map<string, V>> {
    const flights = this.flights.get(group) ?? new Set<Flight<V>>();
    this.flights.set(group, flights);
    const flight: Flight<V> = { keys: new Set(keys), seq: ++this.seq, result: this.options.fetch(group, keys) };
    flights.add(flight);
    try {
      const answers = await flight.result;
      const fetchedAt = this.now();
      const entries = this.cache.get(group) ?? new Map<string, Entry<V>>();
      for (const k of keys) {
        // An answer from before a write to the thing must not pass for a fresh one.
        if ((this.invalidated.get(`${group}\0${k}`) ?? 0) < flight.seq) entries.set(k, { value: answers.get(k), fetchedAt });
      }
      this.cache.set(group, entries);
      this.scheduleForgetting();
      return answers;
    } finally {
      flights.delete(flight);
    }
  }
}
