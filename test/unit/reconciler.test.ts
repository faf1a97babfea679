import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Driver, ManagedObject, ManagedStatus, Observation } from "../../src/runtime/driver.js";
import { ReconcileError } from "../../src/runtime/errors.js";
import type { EventRecorder } from "../../src/runtime/events.js";
import { StaleObjectError, type ObjectWriter } from "../../src/runtime/object-writer.js";
import { FINALIZER, reconcile, type ReconcilerContext } from "../../src/runtime/reconciler.js";
import { runCancellable } from "../../src/runtime/cancellation.js";

/** The generic reconcile contract, with an in-memory driver and writer: no network. */

interface Remote {
  owner?: string;
  value: string;
}

type ThingSpec = { value?: string; depRef?: { name: string }; deletionPolicy?: "Delete" | "Retain"; managementPolicy?: "Manage" | "Observe"; adopt?: boolean };
type Thing = ManagedObject<ThingSpec> & { spec: ThingSpec };

function object(spec: Record<string, unknown> = {}, extra: Partial<ManagedObject["metadata"]> = {}, status?: ManagedStatus): Thing {
  return { apiVersion: "test/v1", kind: "Thing", metadata: { name: "t", namespace: "ns", uid: "uid-1", generation: 1, resourceVersion: "1", ...extra }, spec: { value: "a", ...spec }, ...(status ? { status } : {}) };
}

/** A referenced object of kind Dep whose status.depId a Thing reads through spec.depRef. */
function dep(ready: boolean, depId: string | undefined = "dep-1"): ManagedObject {
  return {
    apiVersion: "test/v1",
    kind: "Dep",
    metadata: { name: "d", namespace: "ns", uid: "uid-d", generation: 1 },
    status: { observedGeneration: 1, ...(depId ? { depId } : {}), conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: ready ? "Available" : "Creating", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] },
  };
}

const thingReferences = { dep: { kind: "Dep", statusField: "depId", path: "spec.depRef", names: (spec: ThingSpec) => [spec.depRef?.name] } };

function harness(initial: Remote | undefined, failures: Partial<Record<"create" | "update" | "observe" | "delete", ReconcileError>> = {}, deps: ManagedObject[] = []) {
  const calls: string[] = [];
  let remote = initial;
  const observation = (obj: Thing): Observation<Remote> => {
    if (!remote) return { exists: false };
    const ownership = remote.owner === undefined ? "unowned" : remote.owner === obj.metadata.uid ? "ours" : "foreign";
    return { exists: true, ownership, differences: remote.value === obj.spec.value ? [] : [`value ${remote.value} -> ${obj.spec.value ?? ""}`], observed: remote };
  };
  const fail = (op: keyof typeof failures): void => {
    const err = failures[op];
    if (err) throw err;
  };
  const driver: Driver<Thing, string | null, Remote, typeof thingReferences> = {
    kind: "Thing",
    references: thingReferences,
    resolve: (_obj, refs) => refs.dep[0] ?? null,
    // The deletion contract: status first, then the referenced object whatever its readiness.
    locate: (obj, refs) => {
      if (!obj.spec.depRef) return null;
      const where = (obj.status?.depId as string | undefined) ?? refs.dep[0];
      return where ?? { unlocated: "the Dep of this thing is unknown" };
    },
    observe: (obj) => {
      calls.push("observe");
      fail("observe");
      return Promise.resolve(observation(obj));
    },
    create: (obj) => {
      calls.push("create");
      fail("create");
      remote = { owner: obj.metadata.uid, value: obj.spec.value ?? "" };
      return Promise.resolve(remote);
    },
    update: (obj) => {
      calls.push("update");
      fail("update");
      remote = { owner: obj.metadata.uid, value: obj.spec.value ?? "" };
      return Promise.resolve(remote);
    },
    adopt: (obj, _d, r) => {
      calls.push("adopt");
      remote = { ...r, owner: obj.metadata.uid };
      return Promise.resolve(remote);
    },
    delete: () => {
      calls.push("delete");
      fail("delete");
      remote = undefined;
      return Promise.resolve(true);
    },
    status: (obj, r) => ({ value: r.value, ...(obj.spec.depRef ? { depId: "dep-1" } : {}) }),
    readiness: () => ({ ready: true, reason: "Available", message: "ok" }),
  };
  const statuses: ManagedStatus[] = [];
  const finalizers: string[] = [];
  const writer: ObjectWriter = {
    addFinalizer: (obj, f) => {
      calls.push("addFinalizer");
      finalizers.push(f);
      return Promise.resolve({ ...obj, metadata: { ...obj.metadata, finalizers: [f] } });
    },
    removeFinalizer: () => {
      calls.push("removeFinalizer");
      return Promise.resolve();
    },
    deleteObject: () => Promise.resolve(),
    replaceStatus: (_obj, status) => {
      statuses.push(status);
      return Promise.resolve();
    },
  };
  const events: { type: string; reason: string }[] = [];
  const recorder: EventRecorder = {
    normal: (_o, reason) => events.push({ type: "Normal", reason }),
    warning: (_o, reason) => events.push({ type: "Warning", reason }),
  };
  const ctx: ReconcilerContext = { writer, events: recorder, logger: pino({ enabled: false }), lookup: { get: (kind, namespace, name) => deps.find((d) => d.kind === kind && d.metadata.namespace === namespace && d.metadata.name === name), list: () => deps }, resyncMs: 60_000, random: () => 0.5, now: () => new Date("2026-01-01T00:00:00Z") };
  return { driver, ctx, calls, statuses, events, finalizers, remote: () => remote };
}

const condition = (status: ManagedStatus | undefined, type: string) => status?.conditions?.find((c) => c.type === type);

describe("reconcile", () => {
  it("adds the finalizer before creating, then reports Ready and Synced and requeues for the re-check", async () => {
    const h = harness(undefined);
    const result = await reconcile(object(), h.driver, h.ctx);
    expect(h.calls).toEqual(["addFinalizer", "observe", "create"]);
    expect(h.finalizers).toEqual([FINALIZER]);
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "True", reason: "Available", observedGeneration: 1 });
    expect(condition(h.statuses[0], "Synced")).toMatchObject({ status: "True" });
    expect(h.statuses[0]?.observedGeneration).toBe(1);
    expect(h.events).toEqual([{ type: "Normal", reason: "Created" }]);
    // The next grid point of the 60 s resync after 00:00:00, plus half of the 5 s spread.
    expect(result).toEqual({ outcome: "success", requeueAfterMs: 62_500 });
  });

  it("writes no status when nothing changed", async () => {
    const h = harness(undefined);
    await reconcile(object(), h.driver, h.ctx);
    const converged = object({}, { finalizers: [FINALIZER] }, h.statuses[0]);
    await reconcile(converged, h.driver, h.ctx);
    expect(h.statuses).toHaveLength(1);
    expect(h.calls.filter((c) => c === "update" || c === "create")).toEqual(["create"]);
  });

  it("calls a change in AWS after a successful sync drift, and a new generation an update", async () => {
    const synced = harness({ owner: "uid-1", value: "changed-in-aws" });
    const status: ManagedStatus = { observedGeneration: 1, conditions: [{ type: "Synced", status: "True", reason: "Available", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] };
    await reconcile(object({}, { finalizers: [FINALIZER] }, status), synced.driver, synced.ctx);
    expect(synced.events.map((e) => e.reason)).toEqual(["DriftCorrected"]);

    const edited = harness({ owner: "uid-1", value: "a" });
    await reconcile(object({ value: "b" }, { finalizers: [FINALIZER], generation: 2 }, status), edited.driver, edited.ctx);
    expect(edited.events.map((e) => e.reason)).toEqual(["Updated"]);
    expect(edited.remote()?.value).toBe("b");
  });

  it("turns a terminal error into Synced=False InvalidSpec without requeue, and skips the generation after", async () => {
    const h = harness(undefined, { create: new ReconcileError("CreateThing: ClientException: bad memory", "terminal", "InvalidSpec") });
    const result = await reconcile(object(), h.driver, h.ctx);
    expect(result.outcome).toBe("error");
    expect(result.error?.errorClass).toBe("terminal");
    expect(result.requeueAfterMs).toBeUndefined();
    const written = h.statuses.at(-1);
    expect(condition(written, "Synced")).toMatchObject({ status: "False", reason: "InvalidSpec", message: expect.stringContaining("bad memory") as string });
    expect(condition(written, "Ready")).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(h.events).toContainEqual({ type: "Warning", reason: "InvalidSpec" });

    const calls = h.calls.length;
    await reconcile(object({}, { finalizers: [FINALIZER] }, written), h.driver, h.ctx);
    expect(h.calls.length).toBe(calls);
    // A new generation is tried again.
    await reconcile(object({ value: "fixed" }, { finalizers: [FINALIZER], generation: 2 }, written), h.driver, h.ctx);
    expect(h.calls.length).toBeGreaterThan(calls);
  });

  it("keeps Ready on a transient error only when it speaks of the current generation", async () => {
    const readyAt = (generation: number): ManagedStatus => ({
      observedGeneration: generation,
      value: "a",
      conditions: [{ type: "Ready", status: "True", reason: "Available", message: "", lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: generation }],
    });
    const throttled = () => ({ observe: new ReconcileError("DescribeThing: Throttling", "throttled", "Throttled") });
    const h = harness({ owner: "uid-1", value: "a" }, throttled());
    const result = await reconcile(object({}, { finalizers: [FINALIZER] }, readyAt(1)), h.driver, h.ctx);
    expect(result.error?.errorClass).toBe("throttled");
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "True", observedGeneration: 1 });
    expect(condition(h.statuses[0], "Synced")).toMatchObject({ status: "False", reason: "Throttled" });

    // A new spec that was never applied: an older Ready must not claim it (Argo CD would say Healthy).
    const edited = harness({ owner: "uid-1", value: "a" }, throttled());
    await reconcile(object({ value: "b" }, { finalizers: [FINALIZER], generation: 2 }, readyAt(1)), edited.driver, edited.ctx);
    expect(condition(edited.statuses[0], "Ready")).toMatchObject({ status: "False", reason: "Throttled", observedGeneration: 2 });
    // The observed identity stays.
    expect(edited.statuses[0]?.value).toBe("a");
  });

  it("reports an unowned resource as a conflict unless adopt is set, and never touches a foreign one", async () => {
    const unowned = harness({ value: "a" });
    await reconcile(object(), unowned.driver, unowned.ctx);
    expect(condition(unowned.statuses[0], "Ready")).toMatchObject({ reason: "ConflictExistingResource" });
    expect(unowned.calls).not.toContain("update");

    const adopting = harness({ value: "a" });
    await reconcile(object({ adopt: true }), adopting.driver, adopting.ctx);
    expect(adopting.calls).toContain("adopt");
    expect(adopting.remote()?.owner).toBe("uid-1");

    const foreign = harness({ owner: "other", value: "x" });
    await reconcile(object({ adopt: true }), foreign.driver, foreign.ctx);
    await reconcile(object({ adopt: true }, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [FINALIZER] }), foreign.driver, foreign.ctx);
    expect(foreign.calls.filter((c) => ["adopt", "update", "delete", "create"].includes(c))).toEqual([]);
    expect(foreign.remote()).toEqual({ owner: "other", value: "x" });
    expect(foreign.calls.at(-1)).toBe("removeFinalizer");
  });

  it("never writes in Observe mode, and adds no finalizer", async () => {
    const h = harness({ value: "different" });
    await reconcile(object({ managementPolicy: "Observe" }), h.driver, h.ctx);
    expect(h.calls).toEqual(["observe"]);
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "True" });
    expect(condition(h.statuses[0], "Synced")?.message).toMatch(/differs from spec/);

    const missing = harness(undefined);
    await reconcile(object({ managementPolicy: "Observe" }), missing.driver, missing.ctx);
    expect(condition(missing.statuses[0], "Ready")).toMatchObject({ status: "False", reason: "NotFound" });
    expect(missing.calls).toEqual(["observe"]);
  });

  it("deletes its own resource on deletion with Delete, keeps it with Retain, then releases the finalizer", async () => {
    const deleting = harness({ owner: "uid-1", value: "a" });
    await reconcile(object({}, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [FINALIZER] }), deleting.driver, deleting.ctx);
    expect(deleting.calls).toEqual(["observe", "delete", "removeFinalizer"]);

    const retaining = harness({ owner: "uid-1", value: "a" });
    await reconcile(object({ deletionPolicy: "Retain" }, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [FINALIZER] }), retaining.driver, retaining.ctx);
    expect(retaining.calls).toEqual(["removeFinalizer"]);
    expect(retaining.remote()).toBeDefined();
  });

  it("keeps the finalizer and retries when the delete fails", async () => {
    const h = harness({ owner: "uid-1", value: "a" }, { delete: new ReconcileError("DeleteThing: ResourceInUse", "retryable", "AwsError") });
    const result = await reconcile(object({}, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [FINALIZER] }), h.driver, h.ctx);
    expect(result.outcome).toBe("error");
    expect(h.calls).not.toContain("removeFinalizer");
  });

  it("retries soon, without an Event or a status write, when its copy of the object was stale", async () => {
    const h = harness(undefined);
    const stale = { ...h.ctx, writer: { ...h.ctx.writer, addFinalizer: () => Promise.reject(new StaleObjectError("adding the finalizer")) } };
    const result = await reconcile(object(), h.driver, stale);
    expect(result).toEqual({ outcome: "success", requeueAfterMs: 250 });
    expect(h.statuses).toEqual([]);
    expect(h.events).toEqual([]);
    expect(h.calls).not.toContain("create");
  });

  it("waits for a dependency that is not Ready, naming it, with one Event, and adds no finalizer before anything was written", async () => {
    const h = harness(undefined, {}, [dep(false)]);
    await reconcile(object({ depRef: { name: "d" } }), h.driver, h.ctx);
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "False", reason: "WaitingForDependency", message: "waiting for Dep ns/d to be Ready (Creating)" });
    expect(h.calls).toEqual([]);
    expect(h.events).toEqual([{ type: "Normal", reason: "WaitingForDependency" }]);
    // The same wait again: no status write, no second Event.
    await reconcile(object({ depRef: { name: "d" } }, {}, h.statuses[0]), h.driver, h.ctx);
    expect(h.statuses).toHaveLength(1);
    expect(h.events).toHaveLength(1);
  });

  it("says a missing reference is not found, with one Event", async () => {
    const h = harness(undefined);
    await reconcile(object({ depRef: { name: "typo" } }), h.driver, h.ctx);
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ reason: "WaitingForDependency", message: "waiting for Dep ns/typo (spec.depRef) not found" });
    expect(h.events).toEqual([{ type: "Normal", reason: "WaitingForDependency" }]);
  });

  it("never erases the observed identity when a status write changes only conditions (waiting, conflict, failure)", async () => {
    const converged: ManagedStatus = { observedGeneration: 1, value: "a", depId: "dep-1", conditions: [{ type: "Ready", status: "True", reason: "Available", message: "", lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: 1 }] };
    const waiting = harness({ owner: "uid-1", value: "a" }, {}, [dep(false)]);
    await reconcile(object({ depRef: { name: "d" } }, { finalizers: [FINALIZER], generation: 2 }, converged), waiting.driver, waiting.ctx);
    expect(waiting.statuses[0]).toMatchObject({ value: "a", depId: "dep-1" });
    expect(condition(waiting.statuses[0], "Ready")).toMatchObject({ reason: "WaitingForDependency" });

    const foreign = harness({ owner: "someone-else", value: "a" });
    await reconcile(object({}, { finalizers: [FINALIZER] }, converged), foreign.driver, foreign.ctx);
    expect(foreign.statuses[0]).toMatchObject({ value: "a", depId: "dep-1" });

    const failing = harness({ owner: "uid-1", value: "a" }, { observe: new ReconcileError("boom", "retryable", "AwsError") });
    await reconcile(object({}, { finalizers: [FINALIZER] }, converged), failing.driver, failing.ctx);
    expect(failing.statuses[0]).toMatchObject({ value: "a", depId: "dep-1" });
  });

  it("turns a driver's WaitingForDependency error into a quiet wait with backoff: no Warning, no error", async () => {
    const h = harness(undefined, { observe: new ReconcileError("cluster typo (spec.cluster) does not exist in AWS", "retryable", "WaitingForDependency") });
    const result = await reconcile(object(), h.driver, h.ctx);
    expect(result.outcome).toBe("waiting");
    expect(h.calls).not.toContain("create");
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "False", reason: "WaitingForDependency", message: expect.stringContaining("spec.cluster") as string });
    expect(h.events).toEqual([{ type: "Normal", reason: "WaitingForDependency" }]);
    await reconcile(object({}, { finalizers: [FINALIZER] }, h.statuses[0]), h.driver, h.ctx);
    expect(h.statuses).toHaveLength(1);
    expect(h.events).toHaveLength(1);
  });

  it("finds the resource to delete from status or from the referenced object whatever its readiness", async () => {
    const gone = harness({ owner: "uid-1", value: "a" }, {}, [dep(false)]);
    await reconcile(object({ depRef: { name: "d" } }, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [FINALIZER] }), gone.driver, gone.ctx);
    expect(gone.calls).toEqual(["observe", "delete", "removeFinalizer"]);
  });

  it("keeps the finalizer and says why when it cannot tell where the resource is", async () => {
    const h = harness({ owner: "uid-1", value: "a" });
    const status: ManagedStatus = { observedGeneration: 1, value: "a", conditions: [] };
    const deleting = object({ depRef: { name: "d" } }, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [FINALIZER] }, status);
    await reconcile(deleting, h.driver, h.ctx);
    expect(h.calls).toEqual([]);
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "False", reason: "Deleting", message: "deletion waits: the Dep of this thing is unknown" });
    expect(h.statuses[0]?.value).toBe("a");
    expect(h.events).toEqual([{ type: "Normal", reason: "Deleting" }]);
  });

  it("holds a deletion while a referrer exists, saying who, with one Event", async () => {
    const h = harness({ owner: "uid-1", value: "a" });
    const ctx = { ...h.ctx, blockingReferrers: () => ["EcsService ns/web"] };
    const deleting = object({}, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [FINALIZER] }, { observedGeneration: 1, value: "a", conditions: [] });
    await reconcile(deleting, h.driver, ctx);
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ reason: "Deleting", message: "deletion waits until EcsService ns/web no longer uses it" });
    expect(h.statuses[0]?.value).toBe("a");
    await reconcile({ ...deleting, status: h.statuses[0] }, h.driver, ctx);
    expect(h.events).toEqual([{ type: "Normal", reason: "Deleting" }]);
    expect(h.calls).toEqual([]);
  });

  it("writes nothing once its reconcile is cancelled (shutdown, a lost lease)", async () => {
    const controller = new AbortController();
    const h = harness(undefined);
    const cancelling = {
      ...h.driver,
      observe: () => {
        controller.abort();
        return Promise.reject(new Error("aborted"));
      },
    };
    const result = await runCancellable(controller.signal, () => reconcile(object(), cancelling, h.ctx));
    expect(result.outcome).toBe("cancelled");
    expect(h.statuses).toEqual([]);
    expect(h.events).toEqual([]);
  });
});
