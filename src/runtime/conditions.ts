import type { Condition } from "../api/common.js";

export type ConditionType = "Ready" | "Synced" | "Progressing";

/** The finite set of reasons a condition may carry (design.md, section 2). */
export type Reason =
  | "Creating"
  | "Updating"
  | "Available"
  | "RolloutInProgress"
  | "RolloutFailed"
  | "WaitingForDependency"
  | "InvalidSpec"
  | "AwsError"
  | "Throttled"
  | "ConflictExistingResource"
  | "NotFound"
  | "Deleting";

export interface DesiredCondition {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  reason: Reason;
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
  const order: string[] = ["Ready", "Synced", "Progressing"];
  return [...byType.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isReady(status: { conditions?: Condition[]; observedGeneration?: number } | undefined, generation: number | undefined): boolean {
  return findCondition(status?.conditions, "Ready")?.status === "True" && status?.observedGeneration === generation;
}
