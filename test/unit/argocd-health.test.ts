import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { kinds } from "../../src/api/index.js";
import { argoHealth, healthScript, runHealthScript } from "../env/argocd.js";
import { repoRoot } from "../env/paths.js";

const at = "2026-01-01T00:00:00Z";
function object(generation: number, status?: Record<string, unknown>) {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "web", namespace: "team", generation }, spec: {}, ...(status ? { status } : {}) };
}
const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: at, observedGeneration: 2 });

describe("the Argo CD sandbox (test/env/argocd.ts) runs a script as Argo CD runs a custom check", () => {
  const healthy = () => object(2, { observedGeneration: 2, conditions: [condition("Ready", "True", "Available", "ok"), condition("Synced", "True", "Available", "")] });
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
  it("is Healthy when Ready=True for the current generation", () => {
    const obj = object(2, { observedGeneration: 2, conditions: [condition("Ready", "True", "Available", "rollout completed: 2 of 2 tasks running"), condition("Synced", "True", "Available", "")] });
    expect(argoHealth(obj)).toEqual({ status: "Healthy", message: "rollout completed: 2 of 2 tasks running" });
  });

  it("is Progressing while a rollout is under way", () => {
    const obj = object(2, {
      observedGeneration: 2,
      conditions: [condition("Ready", "False", "RolloutInProgress", "rolling out web:3"), condition("Synced", "True", "Available", ""), condition("Progressing", "True", "RolloutInProgress", "rolling out web:3: 1 of 2 tasks running")],
    });
    expect(argoHealth(obj)).toEqual({ status: "Progressing", message: "rolling out web:3: 1 of 2 tasks running" });
  });

  it("is Degraded when the circuit breaker rolled the rollout back", () => {
    const obj = object(2, { observedGeneration: 2, conditions: [condition("Ready", "False", "RolloutFailed", "rollout of web:3 failed: tasks failed to start"), condition("Progressing", "False", "RolloutFailed", "")] });
    expect(argoHealth(obj)).toMatchObject({ status: "Degraded", message: expect.stringContaining("RolloutFailed") as string });
  });

  it("is Degraded when AWS rejected the spec", () => {
    const obj = object(2, { observedGeneration: 2, conditions: [condition("Ready", "False", "InvalidSpec", "RegisterTaskDefinition: ClientException: Invalid memory"), condition("Synced", "False", "InvalidSpec", "RegisterTaskDefinition: ClientException: Invalid memory")] });
    expect(argoHealth(obj)).toMatchObject({ status: "Degraded", message: expect.stringContaining("Invalid memory") as string });
  });

  it("is Progressing while waiting for a dependency, naming it", () => {
    const obj = object(2, { observedGeneration: 2, conditions: [condition("Ready", "False", "WaitingForDependency", "waiting for TargetGroup team/web"), condition("Synced", "False", "WaitingForDependency", "waiting for TargetGroup team/web")] });
    expect(argoHealth(obj)).toEqual({ status: "Progressing", message: "WaitingForDependency: waiting for TargetGroup team/web" });
  });

  it("is Progressing before the operator has seen the latest generation, even if it was Ready", () => {
    const obj = object(3, { observedGeneration: 2, conditions: [condition("Ready", "True", "Available", "")] });
    expect(argoHealth(obj).status).toBe("Progressing");
    expect(argoHealth(object(1)).status).toBe("Progressing");
  });

  it("is shipped for every kind in the argocd-cm snippet", () => {
    const snippet = parse(readFileSync(join(repoRoot, "docs/argocd/argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
    for (const def of kinds) expect(snippet.data[`resource.customizations.health.ecs.operator.dev_${def.kind}`]?.trim(), def.kind).toBe(healthScript.trim());
  });
});
