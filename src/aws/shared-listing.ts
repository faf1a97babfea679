export interface SharedListingOptions<V> {
  /** One group's items with one narrow call (e.g. ListTaskDefinitions of one family). */
  listGroup(group: string): Promise<V>;
  /**
   * Every group's items at once (e.g. ListTaskDefinitions of the whole account, page by page),
   * with the number of calls that took. A group absent from the answer has `empty` items.
   */
  listAll(): Promise<{ groups: Map<string, V>; calls: number }>;
  empty: V;
  /** A listing at most this old (from its start) answers without a call. */
  maxAgeMs: number;
  /** Narrow reads that are enough, within maxAgeMs, to make listing everything pay off, before
   * the cost of a whole listing is known (afterwards: that cost, if higher). */
  minMisses?: number;
  now?: () => number;
}

interface Listing<V> {
  startedAt: number;
  groups: Map<string, V>;
}

/**
 * Answers per-group reads from one listing of everything when reads come in numbers, as the
 * periodic re-checks of a fleet do (they fall due together): N groups then cost the pages of one
 * listing per period instead of N calls. A lone read (a single change) stays one narrow call. The
 * demand is judged from the narrow reads of the last maxAgeMs: once they are as many as a whole
 * listing costs, the next read lists everything. A group written since a listing started is never
 * answered from it.
 */
export class SharedListing<V> {
  private listing: Listing<V> | undefined;
  private pending: Promise<Listing<V>> | undefined;
  private listingCalls = 0;
  private misses: number[] = [];
  private readonly writtenAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: SharedListingOptions<V>) {
    this.now = options.now ?? Date.now;
  }

  async read(group: string): Promise<V> {
    const fresh = this.answer(this.listing, group);
    if (fresh !== undefined) return fresh;
    if (this.pending) {
      const joined = this.answer(await this.pending, group);
      if (joined !== undefined) return joined;
    }
    const now = this.now();
    this.misses = this.misses.filter((at) => now - at < this.options.maxAgeMs);
    this.misses.push(now);
    if (this.misses.length >= Math.max(this.options.minMisses ?? 8, this.listingCalls)) {
      this.misses = [];
      const listed = this.answer(await this.listEverything(), group);
      if (listed !== undefined) return listed;
    }
    return this.options.listGroup(group);
  }

  /** After a write to the group: later reads see it, never a listing from before. */
  invalidate(group: string): void {
    this.writtenAt.set(group, this.now());
  }

  private answer(listing: Listing<V> | undefined, group: string): V | undefined {
    if (!listing || this.now() - listing.startedAt > this.options.maxAgeMs) return undefined;
    if ((this.writtenAt.get(group) ?? -Infinity) >= listing.startedAt) return undefined;
    return listing.groups.get(group) ?? this.options.empty;
  }

  private listEverything(): Promise<Listing<V>> {
    this.pending ??= (async () => {
      try {
        const startedAt = this.now();
        const { groups, calls } = await this.options.listAll();
        this.listingCalls = calls;
        this.listing = { startedAt, groups };
        // Groups written before this listing began are answered by it from now on.
        for (const [group, at] of this.writtenAt) if (at < startedAt) this.writtenAt.delete(group);
        return this.listing;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}
