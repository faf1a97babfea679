import { describe, expect, it } from "vitest";
import { SharedListing } from "../../src/aws/shared-listing.js";

function listing(opts: { listingCalls?: number; minMisses?: number } = {}) {
  let now = 0;
  const store = new Map<string, string[]>([
    ["a", ["a:1"]],
    ["b", ["b:1", "b:2"]],
    ["c", ["c:1"]],
    ["d", ["d:1"]],
  ]);
  const calls: string[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const l = new SharedListing<string[]>({
    listGroup: (group) => {
      calls.push(`group:${group}`);
      return Promise.resolve([...(store.get(group) ?? [])]);
    },
    listAll: async () => {
      calls.push("all");
      const snapshot = new Map([...store].map(([g, v]) => [g, [...v]]));
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return { groups: snapshot, calls: opts.listingCalls ?? 1 };
    },
    empty: [],
    maxAgeMs: 1000,
    minMisses: opts.minMisses ?? 3,
    now: () => now,
  });
  return {
    l,
    calls,
    store,
    advance: (ms: number) => (now += ms),
    holdListings: () => (hold = true),
    release: () => release?.(),
  };
}

describe("SharedListing", () => {
  it("reads a lone group with one narrow call", async () => {
    const { l, calls } = listing();
    expect(await l.read("b")).toEqual(["b:1", "b:2"]);
    expect(calls).toEqual(["group:b"]);
  });

  it("lists everything once reads come in numbers, and answers the rest from that listing", async () => {
    const { l, calls } = listing({ minMisses: 3 });
    expect(await l.read("a")).toEqual(["a:1"]);
    expect(await l.read("b")).toEqual(["b:1", "b:2"]);
    expect(await l.read("c")).toEqual(["c:1"]);
    expect(await l.read("d")).toEqual(["d:1"]);
    expect(await l.read("a")).toEqual(["a:1"]);
    expect(await l.read("nothing")).toEqual([]);
    expect(calls).toEqual(["group:a", "group:b", "all"]);
  });

  it("counts only the narrow reads of the last maxAgeMs as demand", async () => {
    const { l, calls, advance } = listing({ minMisses: 3 });
    await l.read("a");
    advance(600);
    await l.read("b");
    advance(600);
    await l.read("c");
    expect(calls).toEqual(["group:a", "group:b", "group:c"]);
  });

  it("does not answer from a listing older than maxAgeMs", async () => {
    const { l, calls, advance } = listing({ minMisses: 1 });
    await l.read("a");
    advance(1001);
    await l.read("b");
    expect(calls).toEqual(["all", "all"]);
  });

  it("never answers a group from a listing that began before a write to it", async () => {
    const { l, calls, store, advance } = listing({ minMisses: 1 });
    await l.read("a");
    advance(10);
    store.set("a", ["a:1", "a:2"]);
    l.invalidate("a");
    advance(10);
    expect(await l.read("b")).toEqual(["b:1", "b:2"]);
    expect(await l.read("a")).toEqual(["a:1", "a:2"]);
    expect(calls).toEqual(["all", "all"]);
    // The second listing began after the write: it answers for the group again.
    expect(await l.read("a")).toEqual(["a:1", "a:2"]);
    expect(calls).toHaveLength(2);
  });

  it("falls back to a narrow call for a group written while the listing was under way", async () => {
    const { l, calls, store, holdListings, release, advance } = listing({ minMisses: 1 });
    holdListings();
    const first = l.read("c");
    await Promise.resolve();
    advance(5);
    store.set("c", ["c:1", "c:2"]);
    l.invalidate("c");
    const waiting = l.read("d");
    release();
    expect(await waiting).toEqual(["d:1"]);
    expect(await first).toEqual(["c:1", "c:2"]);
    expect(calls).toEqual(["all", "group:c"]);
  });

  it("lets reads that arrive during a listing wait for it instead of calling", async () => {
    const { l, calls, holdListings, release } = listing({ minMisses: 1 });
    holdListings();
    const reads = [l.read("a"), l.read("b"), l.read("c")];
    await Promise.resolve();
    release();
    expect(await Promise.all(reads)).toEqual([["a:1"], ["b:1", "b:2"], ["c:1"]]);
    expect(calls).toEqual(["all"]);
  });

  it("asks for as many narrow reads as a listing costs before listing again", async () => {
    const { l, calls, advance } = listing({ minMisses: 1, listingCalls: 3 });
    await l.read("a");
    advance(1001);
    await l.read("a");
    await l.read("b");
    await l.read("c");
    expect(calls).toEqual(["all", "group:a", "group:b", "all"]);
  });
});
