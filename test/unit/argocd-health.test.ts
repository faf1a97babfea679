import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { kinds } from "../../src/api/index.js";
import { argoHealth, healthScript } from "../env/argocd.js";
import { repoRoot } from "../env/paths.js";

const at = "2026-01-01T00:00:00Z";
function object(generation: number, status?: Record<string, unknown>) {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "web", namespace: "team", generation }, spec: {}, ...(status ? { status } : {}) };
}
const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: at, observedGeneration: 2 });

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
