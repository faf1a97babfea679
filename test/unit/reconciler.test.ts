import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Driver, ManagedObject, ManagedStatus, Observation } from "../../src/runtime/driver.js";
import { ReconcileError } from "../../src/runtime/errors.js";
import type { EventRecorder } from "../../src/runtime/events.js";
import { StaleObjectError, type ObjectWriter } from "../../src/runtime/object-writer.js";
import { FINALIZER, reconcile, type ReconcilerContext } from "../../src/runtime/reconciler.js";

/** The generic reconcile contract, with an in-memory driver and writer: no network. */

interface Remote {
  owner?: string;
  value: string;
}

function object(spec: Record<string, unknown> = {}, extra: Partial<ManagedObject["metadata"]> = {}, status?: ManagedStatus): ManagedObject & { spec: { value?: string } } {
  return { apiVersion: "test/v1", kind: "Thing", metadata: { name: "t", namespace: "ns", uid: "uid-1", generation: 1, resourceVersion: "1", ...extra }, spec: { value: "a", ...spec }, ...(status ? { status } : {}) };
}

function harness(initial: Remote | undefined, failures: Partial<Record<"create" | "update" | "observe" | "delete", ReconcileError>> = {}) {
  const calls: string[] = [];
  let remote = initial;
  const observation = (obj: ManagedObject & { spec: { value?: string } }): Observation<Remote> => {
    if (!remote) return { exists: false };
    const ownership = remote.owner === undefined ? "unowned" : remote.owner === obj.metadata.uid ? "ours" : "foreign";
    return { exists: true, ownership, differences: remote.value === obj.spec.value ? [] : [`value ${remote.value} -> ${obj.spec.value ?? ""}`], observed: remote };
  };
  const fail = (op: keyof typeof failures): void => {
    const err = failures[op];
    if (err) throw err;
  };
  const driver: Driver<ManagedObject & { spec: { value?: string } }, null, Remote> = {
    kind: "Thing",
    resolve: () => ({ ready: true, deps: null }),
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
    status: (_obj, r) => (r ? { value: r.value } : {}),
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
  const ctx: ReconcilerContext = { writer, events: recorder, logger: pino({ enabled: false }), resyncMs: 60_000, random: () => 0.5, now: () => new Date("2026-01-01T00:00:00Z") };
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

  it("keeps Ready as it was on a transient error", async () => {
    const h = harness({ owner: "uid-1", value: "a" }, { observe: new ReconcileError("DescribeThing: Throttling", "throttled", "Throttled") });
    const ready: ManagedStatus = { observedGeneration: 1, conditions: [{ type: "Ready", status: "True", reason: "Available", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] };
    const result = await reconcile(object({}, { finalizers: [FINALIZER] }, ready), h.driver, h.ctx);
    expect(result.error?.errorClass).toBe("throttled");
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "True" });
    expect(condition(h.statuses[0], "Synced")).toMatchObject({ status: "False", reason: "Throttled" });
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

  it("waits for a dependency with WaitingForDependency naming it", async () => {
    const h = harness(undefined);
    const waiting = { ...h.driver, resolve: () => ({ ready: false as const, waitingFor: "EcsCluster ns/main" }) };
    await reconcile(object(), waiting, h.ctx);
    expect(condition(h.statuses[0], "Ready")).toMatchObject({ status: "False", reason: "WaitingForDependency", message: "waiting for EcsCluster ns/main" });
    expect(h.calls).not.toContain("create");
  });
});
