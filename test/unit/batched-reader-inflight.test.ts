import { describe, expect, it } from "vitest";
import { BatchedReader } from "../../src/aws/batched-reader.js";

/** A reader whose calls stay open until released, so that reads can arrive while one is under way. */
function heldReader(candidates: string[]) {
  const calls: { keys: string[]; release: () => void }[] = [];
  let version = "1";
  const r = new BatchedReader<string>({
    maxBatch: 3,
    maxAgeMs: 10_000,
    windowMs: 1,
    candidates: () => candidates,
    fetch: (_group, keys) => {
      const answer = new Map(keys.map((k) => [k, `${k}@${version}`]));
      return new Promise((resolve) => {
        calls.push({ keys: [...keys], release: () => { resolve(answer); } });
      });
    },
  });
  const callStarted = async (count: number): Promise<void> => {
    while (calls.length < count) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  return { r, calls, callStarted, setVersion: (v: string) => (version = v) };
}

describe("BatchedReader with calls under way", () => {
  it("lets a read of a key a call is already fetching wait for that call", async () => {
    const { r, calls, callStarted } = heldReader(["a", "b", "c", "d", "e"]);
    const a = r.read("g", "a");
    await callStarted(1);
    expect(calls[0]?.keys).toEqual(["a", "b", "c"]);
    const b = r.read("g", "b");
    calls[0]?.release();
    expect(await Promise.all([a, b])).toEqual(["a@1", "b@1"]);
    expect(calls).toHaveLength(1);
  });

  it("does not fetch again in a second call what the first has under way", async () => {
    const { r, calls, callStarted } = heldReader(["a", "b", "c", "d", "e", "f"]);
    const a = r.read("g", "a");
    await callStarted(1);
    const d = r.read("g", "d");
    await callStarted(2);
    expect(calls[1]?.keys).toEqual(["d", "e", "f"]);
    for (const c of calls) c.release();
    expect(await Promise.all([a, d])).toEqual(["a@1", "d@1"]);
  });

  it("never answers nor caches an invalidated key from a call that began before the invalidation", async () => {
    const { r, calls, callStarted, setVersion } = heldReader(["a", "b", "c"]);
    const a = r.read("g", "a");
    await callStarted(1);
    // b is written (and invalidated) while the first call, which prefetches it, is still out.
    setVersion("2");
    r.invalidate("g", "b");
    const b = r.read("g", "b");
    await callStarted(2);
    expect(calls[1]?.keys[0]).toBe("b");
    calls[1]?.release();
    expect(await b).toBe("b@2");
    calls[0]?.release();
    expect(await a).toBe("a@1");
    // The first call landed last, with b as it was before the write: the cache kept the new b.
    expect(await r.read("g", "b")).toBe("b@2");
    expect(calls).toHaveLength(2);
  });
});
