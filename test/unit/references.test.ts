import { describe, expect, it } from "vitest";
import { ReferenceIndex } from "../../src/runtime/references.js";

const svc = { kind: "EcsService", namespace: "ns", name: "web" };
const td = { kind: "TaskDefinition", namespace: "ns", name: "web" };
const tg = { kind: "TargetGroup", namespace: "ns", name: "web" };
const tg2 = { kind: "TargetGroup", namespace: "ns", name: "web2" };

describe("ReferenceIndex", () => {
  it("finds referrers of a target", () => {
    const index = new ReferenceIndex();
    index.set(svc, [td, tg]);
    expect(index.referrersOf(tg)).toEqual([svc]);
    expect(index.referrersOf(td)).toEqual([svc]);
    expect(index.referrersOf(tg2)).toEqual([]);
  });

  it("replaces old references when an object changes", () => {
    const index = new ReferenceIndex();
    index.set(svc, [tg]);
    index.set(svc, [tg2]);
    expect(index.referrersOf(tg)).toEqual([]);
    expect(index.referrersOf(tg2)).toEqual([svc]);
  });

  it("returns the former targets on removal so they can be woken", () => {
    const index = new ReferenceIndex();
    index.set(svc, [td, tg]);
    expect(index.remove(svc)).toEqual([td, tg]);
    expect(index.referrersOf(tg)).toEqual([]);
  });

  it("keys by namespace: same names in two namespaces do not mix", () => {
    const index = new ReferenceIndex();
    index.set(svc, [tg]);
    expect(index.referrersOf({ ...tg, namespace: "other" })).toEqual([]);
  });
});
