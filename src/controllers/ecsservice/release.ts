import type { ServiceDeployment } from "@aws-sdk/client-ecs";
import type { EcsService, ServiceReleaseStatus } from "../../api/ecsservice.js";
import { revisionName, sameRevision } from "../../aws/task-definition-revisions.js";

/**
 * Where a release stands, from the service-deployment APIs (ListServiceDeployments,
 * DescribeServiceDeployments: the ServiceDeployment of the API reference), and the manual steps a
 * user or a GitOps tool asks for with annotations. Pure functions; the driver does the I/O.
 */

/** Statuses of a service deployment that is still moving (API reference: ServiceDeploymentStatus). */
export const UNDER_WAY = ["PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED"] as const;
/** Statuses that end a release without the new revision: RolloutFailed. */
export const FAILED_RELEASE = ["ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED", "STOP_REQUESTED"] as const;

/** Annotations for ECS's manual steps; the value names the revision they are meant for (e.g. web:7). */
export const CONTINUE_ANNOTATION = "ecs.operator.dev/continue";
export const ROLLBACK_ANNOTATION = "ecs.operator.dev/rollback";

const LABELS: Record<string, string> = { ROLLING: "rolling", BLUE_GREEN: "blue/green", CANARY: "canary", LINEAR: "linear" };

export function isUnderWay(status: string | undefined): boolean {
  return (UNDER_WAY as readonly (string | undefined)[]).includes(status);
}

function num(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 10) / 10;
}

/**
 * The bake in progress, in minutes: the release's bake time at BAKE_TIME, a canary or linear step's
 * while production traffic is partly shifted; undefined when nothing bakes.
 */
export function bakeMinutes(d: ServiceDeployment): number | undefined {
  const c = d.deploymentConfiguration;
  const traffic = d.targetServiceRevision?.requestedProductionTrafficWeight ?? 0;
  if (d.lifecycleStage === "BAKE_TIME") return c?.bakeTimeInMinutes ?? 0;
  if (d.lifecycleStage !== "PRODUCTION_TRAFFIC_SHIFT" || traffic <= 0 || traffic >= 100) return undefined;
  // ECS's defaults (API reference: CanaryConfiguration, LinearConfiguration).
  if (c?.strategy === "CANARY") return c.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10;
  if (c?.strategy === "LINEAR") return c.linearConfiguration?.stepBakeTimeInMinutes ?? 6;
  return undefined;
}

/**
 * The release in status: what ECS says of the service deployment, plus when the operator first saw
 * its current stage and traffic share (kept from `previous` while they hold), from which the bake
 * time left is counted.
 */
export function releaseStatus(d: ServiceDeployment, previous: ServiceReleaseStatus | undefined, taskDefinition: string | undefined, now: Date): ServiceReleaseStatus {
  const arn = d.serviceDeploymentArn ?? "";
  const stage = d.lifecycleStage;
  const traffic = num(d.targetServiceRevision?.requestedProductionTrafficWeight);
  const same = previous?.serviceDeploymentArn === arn && previous.stage === stage && previous.trafficPercent === traffic;
  const since = same && previous.stageSince !== undefined ? previous.stageSince : now.toISOString();
  const bake = bakeMinutes(d);
  const left = bake === undefined ? undefined : Math.max(0, Math.round((bake - (now.getTime() - Date.parse(since)) / 60_000) * 10) / 10);
  const awaiting = (d.lifecycleHookDetails ?? []).filter((h) => h.status === "AWAITING_ACTION" && h.hookId !== undefined);
  const triggered = d.alarms?.triggeredAlarmNames ?? [];
  const failed = (FAILED_RELEASE as readonly string[]).includes(d.status ?? "");
  const rollbackReason = d.rollback?.reason ?? (failed ? d.statusReason : undefined);
  const test = num(d.targetServiceRevision?.requestedTestTrafficWeight);
  const revision = taskDefinition ?? (previous?.serviceDeploymentArn === arn ? previous.taskDefinition : undefined);
  return {
    serviceDeploymentArn: arn,
    strategy: d.deploymentConfiguration?.strategy ?? "ROLLING",
    status: d.status ?? "",
    ...(stage !== undefined ? { stage } : {}),
    ...(stage !== undefined ? { stageSince: since } : {}),
    ...(revision !== undefined ? { taskDefinition: revision } : {}),
    ...(traffic !== undefined ? { trafficPercent: traffic } : {}),
    ...(test !== undefined && stage !== undefined ? { testTrafficPercent: test } : {}),
    ...(left !== undefined && isUnderWay(d.status) ? { bakeMinutesLeft: left } : {}),
    ...(awaiting.length > 0 && isUnderWay(d.status) ? { awaitingAction: awaiting.map((h) => ({ hookId: h.hookId ?? "", stage: stage ?? "" })) } : {}),
    ...(rollbackReason !== undefined ? { rollbackReason } : {}),
    ...(triggered.length > 0 ? { alarms: triggered } : {}),
  };
}

function minutesLeft(left: number): string {
  return left < 1 ? "under 1m left" : `${Math.ceil(left)}m left`;
}

/**
 * The Progressing message for a release under way, naming its stage:
 * "canary: 10% on web:7, baking 4m left".
 */
export function releaseMessage(r: ServiceReleaseStatus, fallbackRevision: string): string {
  const label = LABELS[r.strategy] ?? r.strategy.toLowerCase();
  const revision = revisionName(r.taskDefinition ?? fallbackRevision);
  const traffic = `${String(r.trafficPercent ?? 0)}% on ${revision}`;
  if (r.awaitingAction && r.awaitingAction.length > 0) {
    return `${label}: paused at ${r.stage ?? "?"} with ${traffic}: annotate ${CONTINUE_ANNOTATION}=${revision} to go on, or ${ROLLBACK_ANNOTATION}=${revision} to roll back`;
  }
  if (r.status.startsWith("ROLLBACK")) return `${label}: rolling back from ${revision} (${r.rollbackReason ?? "rollback requested"})`;
  if (r.bakeMinutesLeft !== undefined) return `${label}: ${traffic}, baking ${minutesLeft(r.bakeMinutesLeft)}`;
  return `${label}: ${traffic}, ${r.stage ?? r.status}`;
}

/** The Event for a release that moved since the last status: a new stage or a new share of traffic. */
export function stageChange(previous: ServiceReleaseStatus | undefined, next: ServiceReleaseStatus | undefined, fallbackRevision: string): string | undefined {
  if (next?.stage === undefined) return undefined;
  if (previous?.serviceDeploymentArn === next.serviceDeploymentArn && previous.stage === next.stage && previous.trafficPercent === next.trafficPercent && previous.status === next.status) return undefined;
  const label = LABELS[next.strategy] ?? next.strategy.toLowerCase();
  return `${label} ${revisionName(next.taskDefinition ?? fallbackRevision)}: ${next.stage}, ${String(next.trafficPercent ?? 0)}% of production traffic (${next.status})`;
}

export interface ManualStep {
  action: "CONTINUE" | "ROLLBACK";
  /** Paused hooks to answer; empty for a rollback of a release that is not paused (StopServiceDeployment). */
  hookIds: string[];
  serviceDeploymentArn: string;
}

/**
 * What the annotations ask of the release under way, if anything is left to do: idempotent, since
 * an answered hook no longer awaits action and a stopped release is no longer under way. An
 * annotation naming another revision (left from an earlier release) asks nothing.
 */
export function manualStep(obj: EcsService, release: ServiceReleaseStatus | undefined): ManualStep | undefined {
  if (!release || !isUnderWay(release.status) || release.status.startsWith("ROLLBACK") || release.taskDefinition === undefined) return undefined;
  const annotations = obj.metadata.annotations ?? {};
  const names = (key: string): boolean => {
    const value = annotations[key]?.trim();
    return value !== undefined && sameRevision(value, release.taskDefinition);
  };
  const hookIds = (release.awaitingAction ?? []).map((h) => h.hookId);
  if (names(ROLLBACK_ANNOTATION)) return { action: "ROLLBACK", hookIds, serviceDeploymentArn: release.serviceDeploymentArn };
  if (names(CONTINUE_ANNOTATION) && hookIds.length > 0) return { action: "CONTINUE", hookIds, serviceDeploymentArn: release.serviceDeploymentArn };
  return undefined;
}
