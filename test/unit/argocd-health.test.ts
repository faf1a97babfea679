import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { kinds } from "../../src/api/index.js";
import type { Reason } from "../../src/controllers/reasons.js";
import { argoHealth, healthScript, LineCoverage, runHealthScript, type ArgoHealth } from "../env/argocd.js";
import { repoRoot } from "../env/paths.js";

const at = "2026-01-01T00:00:00Z";
const GEN = 3;
const FINALIZER = "ecs.operator.dev/finalizer";

function object(status?: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "EcsService",
    metadata: { name: "web", namespace: "team", generation: GEN, finalizers: [FINALIZER], ...metadata },
    spec: {},
    ...(status ? { status } : {}),
  };
}
/** observedGeneration null: a condition written without one. */
function condition(type: string, status: string, reason: string, message: string, observedGeneration: number | null = GEN) {
  return { type, status, reason, message, lastTransitionTime: at, ...(observedGeneration !== null ? { observedGeneration } : {}) };
}
const current = (...conditions: ReturnType<typeof condition>[]) => ({ observedGeneration: GEN, conditions });
const deleting = (status?: Record<string, unknown>, finalizers: string[] = [FINALIZER]) => object(status, { deletionTimestamp: at, finalizers });
const readyTrue = condition("Ready", "True", "Available", "rollout completed: 2 of 2 tasks running");
const syncedTrue = condition("Synced", "True", "Available", "the last reconcile applied the spec");
const waitingMessage = `waiting for the operator to reconcile generation ${GEN}`;

/** One case per branch of docs/argocd/health.lua; the last test checks that together they run every line. */
const cases: { name: string; obj: unknown; health: ArgoHealth }[] = [
  { name: "Healthy: Ready and Synced True for the current generation", obj: object(current(readyTrue, syncedTrue)), health: { status: "Healthy", message: "rollout completed: 2 of 2 tasks running" } },
  { name: "Healthy in Observe mode even where AWS differs from spec", obj: object(current(condition("Ready", "True", "Available", "cluster is ACTIVE"), condition("Synced", "True", "Available", "observed; differs from spec (not corrected in Observe mode): tags"))), health: { status: "Healthy", message: "cluster is ACTIVE" } },

  {
    name: "Suspended: a release paused by its hook, waiting for a person",
    obj: object({
      ...current(condition("Ready", "False", "RolloutInProgress", "paused"), syncedTrue, condition("Progressing", "True", "RolloutInProgress", "blue/green: paused at POST_TEST_TRAFFIC_SHIFT with 0% on web:7: annotate ecs.operator.dev/continue=web:7 to go on")),
      release: { awaitingAction: [{ hookId: "h-1", stage: "POST_TEST_TRAFFIC_SHIFT" }] },
    }),
    health: { status: "Suspended", message: "blue/green: paused at POST_TEST_TRAFFIC_SHIFT with 0% on web:7: annotate ecs.operator.dev/continue=web:7 to go on" },
  },
  { name: "Progressing: no status at all", obj: object(), health: { status: "Progressing", message: waitingMessage } },
  { name: "Progressing: status without observedGeneration", obj: object({ conditions: [readyTrue, syncedTrue] }), health: { status: "Progressing", message: waitingMessage } },
  { name: "Progressing: status written for an older generation, even Ready", obj: object({ observedGeneration: GEN - 1, conditions: [condition("Ready", "True", "Available", "", GEN - 1), condition("Synced", "True", "Available", "", GEN - 1)] }), health: { status: "Progressing", message: `${waitingMessage} (status is for generation ${GEN - 1})` } },
  {
    // Issue 13, defect 3: a retryable error moves status.observedGeneration but keeps the older Ready=True.
    name: "Progressing: Ready=True kept from an older generation through a retryable error",
    obj: object(current(condition("Ready", "True", "Available", "rollout completed", GEN - 1), condition("Synced", "False", "AwsError", "UpdateService: ServiceUnavailableException"))),
    health: { status: "Progressing", message: `${waitingMessage}: AwsError: UpdateService: ServiceUnavailableException` },
  },
  { name: "Progressing: Synced from an older generation", obj: object(current(readyTrue, condition("Synced", "True", "Available", "", GEN - 1))), health: { status: "Progressing", message: waitingMessage } },
  { name: "Progressing: conditions without observedGeneration", obj: object(current(condition("Ready", "True", "Available", "", null), condition("Synced", "True", "Available", "", null))), health: { status: "Progressing", message: waitingMessage } },
  { name: "Progressing: no Synced condition", obj: object(current(readyTrue)), health: { status: "Progressing", message: waitingMessage } },
  {
    name: "Progressing: a terminal reason from an older generation is not Degraded",
    obj: object(current(condition("Ready", "False", "InvalidSpec", "Invalid memory", GEN - 1), condition("Synced", "False", "Throttled", "Rate exceeded"))),
    health: { status: "Progressing", message: `${waitingMessage}: Throttled: Rate exceeded` },
  },

  { name: "Progressing: Creating", obj: object(current(condition("Ready", "False", "Creating", "cluster is PROVISIONING"), syncedTrue)), health: { status: "Progressing", message: "Creating: cluster is PROVISIONING" } },
  { name: "Progressing: Updating", obj: object(current(condition("Ready", "False", "Updating", "waiting for Cloud Map operation op-1 (update)"), syncedTrue)), health: { status: "Progressing", message: "Updating: waiting for Cloud Map operation op-1 (update)" } },
  {
    name: "Progressing: RolloutInProgress, with the rollout's own message",
    obj: object(current(condition("Ready", "False", "RolloutInProgress", "rolling out web:3"), syncedTrue, condition("Progressing", "True", "RolloutInProgress", "rolling out web:3: 1 of 2 tasks running"))),
    health: { status: "Progressing", message: "rolling out web:3: 1 of 2 tasks running" },
  },
  {
    name: "Progressing: WaitingForDependency, naming it",
    obj: object(current(condition("Ready", "False", "WaitingForDependency", "waiting for TargetGroup team/web"), condition("Synced", "False", "WaitingForDependency", "waiting for TargetGroup team/web"))),
    health: { status: "Progressing", message: "WaitingForDependency: waiting for TargetGroup team/web" },
  },
  { name: "Progressing: Deleting in AWS out of band (the service is draining)", obj: object(current(condition("Ready", "False", "Deleting", "service is draining"), syncedTrue)), health: { status: "Progressing", message: "Deleting: service is draining" } },
  {
    name: "Progressing: AwsError being retried before anything was created",
    obj: object(current(condition("Ready", "False", "AwsError", "CreateService: InternalError"), condition("Synced", "False", "AwsError", "CreateService: InternalError"))),
    health: { status: "Progressing", message: "AwsError: CreateService: InternalError" },
  },
  {
    // The resource matched this spec at its last look; a re-check that could not read AWS says nothing against that.
    name: "Healthy: Throttled on a re-check of an object Ready for this generation",
    obj: object(current(readyTrue, condition("Synced", "False", "Throttled", "DescribeServices: Rate exceeded"))),
    health: { status: "Healthy", message: `${readyTrue.message} (the last re-check failed and is retried: Throttled: DescribeServices: Rate exceeded)` },
  },

  {
    name: "Degraded: InvalidSpec",
    obj: object(current(condition("Ready", "False", "InvalidSpec", "RegisterTaskDefinition: ClientException: Invalid memory"), condition("Synced", "False", "InvalidSpec", "RegisterTaskDefinition: ClientException: Invalid memory"))),
    health: { status: "Degraded", message: "InvalidSpec: RegisterTaskDefinition: ClientException: Invalid memory" },
  },
  {
    name: "Degraded: RolloutFailed",
    obj: object(current(condition("Ready", "False", "RolloutFailed", "rollout of web:3 failed: tasks failed to start"), syncedTrue, condition("Progressing", "False", "RolloutFailed", "rollout of web:3 failed"))),
    health: { status: "Degraded", message: "RolloutFailed: rollout of web:3 failed: tasks failed to start" },
  },
  {
    name: "Degraded: ConflictExistingResource",
    obj: object(current(condition("Ready", "False", "ConflictExistingResource", "set spec.adopt: true to take it over"), condition("Synced", "False", "ConflictExistingResource", "set spec.adopt: true to take it over"))),
    health: { status: "Degraded", message: "ConflictExistingResource: set spec.adopt: true to take it over" },
  },
  {
    name: "Degraded: ConflictExistingResource on Synced only, Ready kept from an older generation",
    obj: object(current(condition("Ready", "True", "Available", "", GEN - 1), condition("Synced", "False", "ConflictExistingResource", "owned by another object"))),
    health: { status: "Degraded", message: "ConflictExistingResource: owned by another object" },
  },
  {
    name: "Degraded: NotFound (managementPolicy: Observe)",
    obj: object(current(condition("Ready", "False", "NotFound", "no such EcsService in AWS"), condition("Synced", "True", "NotFound", "no such EcsService in AWS"))),
    health: { status: "Degraded", message: "NotFound: no such EcsService in AWS" },
  },

  {
    name: "deleting: waits for a referrer, in the operator's words",
    obj: deleting(current(condition("Ready", "False", "Deleting", "deletion waits until EcsService team/web no longer uses it"), condition("Synced", "True", "Available", "", GEN - 1))),
    health: { status: "Progressing", message: "deletion waits until EcsService team/web no longer uses it", deletionMessage: "deletion waits until EcsService team/web no longer uses it" },
  },
  {
    name: "deleting: deleting in AWS",
    obj: deleting(current(condition("Ready", "False", "Deleting", "deleting EcsService in AWS"))),
    health: { status: "Progressing", message: "deleting EcsService in AWS", deletionMessage: "deleting EcsService in AWS" },
  },
  {
    name: "deleting: the last attempt failed",
    obj: deleting(current(condition("Ready", "True", "Available", "", GEN - 1), condition("Synced", "False", "AwsError", "DeleteService: InternalError"))),
    health: { status: "Progressing", message: "deleting; the last attempt failed, retrying: AwsError: DeleteService: InternalError", deletionMessage: "deleting; the last attempt failed, retrying: AwsError: DeleteService: InternalError" },
  },
  {
    name: "deleting: before the operator wrote a word, naming its finalizer",
    obj: deleting({ observedGeneration: GEN - 1, conditions: [condition("Ready", "True", "Available", "", GEN - 1), condition("Synced", "True", "Available", "", GEN - 1)] }),
    health: {
      status: "Progressing",
      message: `waiting for the operator to delete the AWS resource (or keep it, with deletionPolicy: Retain) and remove finalizer ${FINALIZER}`,
      deletionMessage: `waiting for the operator to delete the AWS resource (or keep it, with deletionPolicy: Retain) and remove finalizer ${FINALIZER}`,
    },
  },
  { name: "deleting: held by other finalizers only", obj: deleting(undefined, ["foregroundDeletion", "example.com/backup"]), health: { status: "Progressing", message: "waiting for finalizers: foregroundDeletion, example.com/backup", deletionMessage: "waiting for finalizers: foregroundDeletion, example.com/backup" } },
  { name: "deleting: no finalizer left", obj: deleting(undefined, []), health: { status: "Progressing", message: "being deleted", deletionMessage: "being deleted" } },
];

describe("the Argo CD sandbox (test/env/argocd.ts) runs a script as Argo CD runs a custom check", () => {
  const healthy = (obj = object(current(readyTrue, syncedTrue))) => obj;
  /** The shipped script with one more line at its top. */
  const withLine = (line: string) => `${line}\n${healthScript}`;

  it("refuses string.format, which Argo CD's custom checks do not have", () => {
    const script = withLine(`local _ = string.format("%d", 1)`);
    expect(runHealthScript(script, healthy())).toMatchObject({ status: "Unknown", message: expect.stringContaining("string") as string });
    // The same script passes with every library open (argocd-cm's useOpenLibs): the sandbox is what refuses it.
    expect(runHealthScript(script, healthy(), { openLibs: true }).status).toBe("Healthy");
  });

  it("refuses string methods through the string metatable too", () => {
    for (const line of [`local _ = ("x"):format()`, `local _ = ("x"):upper()`]) {
      expect(runHealthScript(withLine(line), healthy()).status, line).toBe("Unknown");
      expect(runHealthScript(withLine(line), healthy(), { openLibs: true }).status, line).toBe("Healthy");
    }
  });

  it("opens exactly base, package and table (Lua 5.1 ∩ 5.3), no global os, and the safe os through require", () => {
    const listing = `
      local function keys(t) local names = {} for k in pairs(t) do names[#names + 1] = k end table.sort(names) return table.concat(names, " ") end
      local os = require("os")
      return { status = "Healthy", message = keys(_G) .. " | table: " .. keys(table) .. " | os: " .. keys(os) .. " | " .. type(os.time()) }`;
    expect(runHealthScript(listing, {}).message).toBe(
      "_G _VERSION assert collectgarbage dofile error getmetatable ipairs load loadfile next obj package pairs pcall print rawequal rawget rawset require select setmetatable table tonumber tostring type xpcall" +
        " | table: concat insert remove sort | os: date time | number",
    );
  });

  it("reads the result as Argo CD does: errors, non-tables and unknown statuses are Unknown", () => {
    expect(runHealthScript(`return { status = "Healthy", message = "ok" }`, {})).toEqual({ status: "Healthy", message: "ok" });
    expect(runHealthScript(`error("boom")`, {})).toMatchObject({ status: "Unknown", message: expect.stringContaining("boom") as string });
    expect(runHealthScript(`return "Healthy"`, {})).toEqual({ status: "Unknown", message: "expect table output from Lua script, not string" });
    expect(runHealthScript(`return { status = "Fine" }`, {})).toEqual({ status: "Unknown", message: "Lua returned an invalid health status" });
    expect(runHealthScript(`return { status = "Healthy", message = 1 }`, {}).status).toBe("Unknown");
    expect(runHealthScript(`return { status = "Progressing", deletionMessage = "bye" }`, {})).toEqual({ status: "Progressing", message: "", deletionMessage: "bye" });
  });

  it("passes obj as a global, with integers printed as gopher-lua prints them", () => {
    expect(runHealthScript(`return { status = "Healthy", message = obj.metadata.name .. " " .. obj.metadata.generation .. " " .. #obj.items }`, { metadata: { name: "web", generation: 2 }, items: [1, 2, 3] }).message).toBe("web 2 3");
  });

  it("stops a script at Argo CD's one-second deadline", () => {
    expect(runHealthScript(`while true do end`, {})).toEqual({ status: "Unknown", message: "context deadline exceeded" });
  });
});

describe("Argo CD health (docs/argocd/health.lua)", () => {
  it.each(cases)("$name", ({ obj, health }) => {
    expect(argoHealth(obj)).toEqual(health);
  });

  it("has a case that runs every line of the script", () => {
    const coverage = new LineCoverage();
    for (const { obj } of cases) argoHealth(obj, { coverage });
    expect(coverage.active.size).toBeGreaterThan(40);
    expect(coverage.missed().map((line) => `${line}: ${healthScript.split("\n")[line - 1]?.trim() ?? ""}`)).toEqual([]);
  });

  it("classifies every reason the operator writes when Ready is False for the current generation", () => {
    // A new Reason fails to compile here until it is given a health.
    const expected: Record<Reason, "Progressing" | "Degraded"> = {
      Creating: "Progressing",
      Updating: "Progressing",
      Available: "Progressing",
      RolloutInProgress: "Progressing",
      WaitingForDependency: "Progressing",
      AwsError: "Progressing",
      Throttled: "Progressing",
      ReconcileError: "Progressing",
      Deleting: "Progressing",
      RolloutFailed: "Degraded",
      InvalidSpec: "Degraded",
      ConflictExistingResource: "Degraded",
      NotFound: "Degraded",
      TaskRunning: "Progressing",
      TaskSucceeded: "Progressing",
      TaskFailed: "Degraded",
    };
    for (const [reason, status] of Object.entries(expected)) {
      expect(argoHealth(object(current(condition("Ready", "False", reason, "m"), syncedTrue))).status, `Ready=False ${reason}`).toBe(status);
      expect(argoHealth(object(current(condition("Ready", "False", reason, "m"), condition("Synced", "False", reason, "m")))).status, `Synced=False ${reason}`).toBe(status);
    }
  });

  it("is shipped for every kind in the argocd-cm snippet", () => {
    const snippet = parse(readFileSync(join(repoRoot, "docs/argocd/argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
    for (const def of kinds) expect(snippet.data[`resource.customizations.health.ecs.operator.dev_${def.kind}`]?.trim(), def.kind).toBe(healthScript.trim());
  });
});
