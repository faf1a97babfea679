import { describe, expect, it } from "vitest";
import { BatchedReader } from "../../src/aws/batched-reader.js";

function reader(opts: { candidates?: string[]; now?: () => number } = {}) {
  const calls: string[][] = [];
  const r = new BatchedReader<string>({
    maxBatch: 3,
    maxAgeMs: 1000,
    windowMs: 1,
    fetch: (_group, keys) => {
      calls.push([...keys]);
      return Promise.resolve(new Map(keys.filter((k) => k !== "missing").map((k) => [k, `v-${k}`])));
    },
    ...(opts.candidates ? { candidates: () => opts.candidates ?? [] } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { r, calls };
}

describe("BatchedReader", () => {
  it("coalesces concurrent reads of a group into calls of at most maxBatch keys", async () => {
    const { r, calls } = reader();
    const values = await Promise.all(["a", "b", "c", "d", "e"].map((k) => r.read("g", k)));
    expect(values).toEqual(["v-a", "v-b", "v-c", "v-d", "v-e"]);
    expect(calls).toEqual([["a", "b", "c"], ["d", "e"]]);
  });

  it("keeps groups apart", async () => {
    const { r, calls } = reader();
    await Promise.all([r.read("g1", "a"), r.read("g2", "a")]);
    expect(calls).toHaveLength(2);
  });

  it("reports a key the call did not answer as absent, and caches that too", async () => {
    const { r, calls } = reader();
    expect(await r.read("g", "missing")).toBeUndefined();
    expect(await r.read("g", "missing")).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it("fills spare room with the least recently read candidates and serves them from cache while fresh", async () => {
    let t = 0;
    const { r, calls } = reader({ candidates: ["a", "b", "c", "d"], now: () => t });
    await r.read("g", "a");
    expect(calls[0]).toEqual(["a", "b", "c"]);
    t = 500;
    expect(await r.read("g", "b")).toBe("v-b");
    expect(await r.read("g", "c")).toBe("v-c");
    expect(calls).toHaveLength(1);
    // d was never read: the next call takes it first, before the older a.
    await r.read("g", "d");
    expect(calls[1]).toEqual(["d", "a", "b"]);
  });

  it("calls again once the cached answer is too old, or after invalidate", async () => {
    let t = 0;
    const { r, calls } = reader({ now: () => t });
    await r.read("g", "a");
    t = 1500;
    await r.read("g", "a");
    expect(calls).toHaveLength(2);
    r.invalidate("g", "a");
    await r.read("g", "a");
    expect(calls).toHaveLength(3);
  });
});

describe("BatchedReader memory", () => {
  it("does not keep answers past maxAgeMs, only when they were read", async () => {
    const calls: string[][] = [];
    const r = new BatchedReader<string>({
      maxBatch: 3,
      maxAgeMs: 20,
      windowMs: 1,
      candidates: () => ["a", "b", "c"],
      fetch: (_group, keys) => {
        calls.push([...keys]);
        return Promise.resolve(new Map(keys.map((k) => [k, `v-${k}`])));
      },
    });
    await r.read("g", "a");
    expect(r.heldAnswers()).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(r.heldAnswers()).toBe(0);
    // Read again from AWS, and the least recently read candidates still fill the call.
    expect(await r.read("g", "a")).toBe("v-a");
    expect(calls).toEqual([["a", "b", "c"], ["a", "b", "c"]]);
  });
});
