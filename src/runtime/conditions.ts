import type { Condition } from "./object.js";

/** Complete and Failed are written by run-to-completion kinds (EcsTask), as a Job's are. */
export type ConditionType = "Ready" | "Synced" | "Progressing" | "Complete" | "Failed";

/**
 * The reasons the runtime itself writes (docs/design.md, section 2). Kinds contribute their own
 * (e.g. RolloutInProgress) through their readiness, and the operator's error classification its
 * own (AwsError, Throttled); every reason is CamelCase and listed in docs/design.md.
 */
export const RUNTIME_REASONS = ["Creating", "Updating", "Available", "WaitingForDependency", "InvalidSpec", "ConflictExistingResource", "NotFound", "Deleting"] as const;
export type RuntimeReason = (typeof RUNTIME_REASONS)[number];

export interface DesiredCondition {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

/**
 * Merges desired conditions into the current list. `lastTransitionTime` moves only when the
 * status flips, as metav1.Condition requires; otherwise an unchanged reconcile would rewrite
 * status every time and wake every watcher.
 */
export function mergeConditions(current: readonly Condition[] | undefined, desired: readonly DesiredCondition[], generation: number | undefined, now: Date): Condition[] {
  const byType = new Map((current ?? []).map((c) => [c.type, c]));
  for (const want of desired) {
    const have = byType.get(want.type);
    const lastTransitionTime = have && have.status === want.status ? have.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
    byType.set(want.type, {
      type: want.type,
      status: want.status,
      reason: want.reason,
      message: want.message,
      lastTransitionTime,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    });
  }
  const order: string[] = ["Ready", "Synced", "Progressing", "Complete", "Failed"];
  return [...byType.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isReady(status: { conditions?: Condition[]; observedGeneration?: number } | undefined, generation: number | undefined): boolean {
  return findCondition(status?.conditions, "Ready")?.status === "True" && status?.observedGeneration === generation;
}
