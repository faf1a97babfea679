import type { Deployment, Service } from "@aws-sdk/client-ecs";
import type { ServiceReleaseStatus } from "../../api/ecsservice.js";
import { revisionName, sameRevision } from "../../aws/task-definition-revisions.js";
import type { DesiredCondition } from "../../runtime/conditions.js";
import type { Readiness } from "../../runtime/driver.js";
import { FAILED_RELEASE, isUnderWay, releaseMessage } from "./release.js";

/** The condition reasons this kind contributes beside the runtime's (docs/design.md, section 2). */
export const ROLLOUT_REASONS = ["RolloutInProgress", "RolloutFailed"] as const;

/** How often to look while ECS rolls out: a rollout is minutes, a user watches it live. */
export const ROLLOUT_POLL_MS = 5000;

export interface RolloutInput {
  service: Service;
  /** The revision the spec asks for (resolved reference or literal). */
  desiredTaskDefinition: string;
  /** A revision whose rollout failed before, remembered in status. */
  knownFailedTaskDefinition?: string;
  /** The deployment that rolls out the desired revision, remembered while it is listed. */
  rolloutDeploymentId?: string;
  /** The latest release as the service-deployment APIs tell it (strategies other than ROLLING). */
  release?: ServiceReleaseStatus;
}

export interface RolloutVerdict extends Readiness {
  /** The revision to remember as failed (not deployed again until the spec or revision changes). */
  failedTaskDefinition?: string;
}

function primaryOf(service: Service): Deployment | undefined {
  return service.deployments?.find((d) => d.status === "PRIMARY");
}

/**
 * Why ECS says the deployment failed, from its service event "(service s) (deployment d)
 * deployment failed: <reason>"; undefined when it says nothing of the kind (yet).
 */
export function deploymentFailedEvent(service: Service, deploymentId: string | undefined): string | undefined {
  if (deploymentId === undefined) return undefined;
  const marker = `(deployment ${deploymentId}) deployment failed`;
  const message = service.events?.find((e) => e.message?.includes(marker))?.message;
  if (message === undefined) return undefined;
  const reason = message.slice(message.indexOf(marker) + marker.length).replace(/^:\s*/, "").trim();
  return reason === "" ? "the deployment failed" : reason;
}

/**
 * The deployment rolling out the desired revision: the one listed for it, else the one remembered
 * for the same revision (it may have left the list, rolled back, between two reads).
 */
export function rolloutDeploymentOf(service: Service, desiredTaskDefinition: string, remembered: { id: string; taskDefinition: string } | undefined): { id: string; taskDefinition: string } | undefined {
  const listed = service.deployments?.find((d) => d.id !== undefined && sameRevision(d.taskDefinition, desiredTaskDefinition));
  if (listed?.id) return { id: listed.id, taskDefinition: listed.taskDefinition ?? desiredTaskDefinition };
  return remembered && sameRevision(remembered.taskDefinition, desiredTaskDefinition) ? remembered : undefined;
}

function progressing(status: DesiredCondition["status"], reason: string, message: string): DesiredCondition {
  return { type: "Progressing", status, reason, message };
}

/**
 * The service's rollout as conditions. ECS reports each deployment's rolloutState; a circuit
 * breaker that trips marks the new deployment FAILED and, with rollback, makes the previous
 * revision PRIMARY again, after which the failed deployment soon vanishes from the list. So a
 * failure is detected from the FAILED deployment while it is listed and remembered afterwards.
 */
export function rolloutVerdict({ service, desiredTaskDefinition, knownFailedTaskDefinition, rolloutDeploymentId, release }: RolloutInput): RolloutVerdict {
  const deployments = service.deployments ?? [];
  const primary = primaryOf(service);
  const desired = revisionName(desiredTaskDefinition);
  const failed = deployments.find((d) => d.rolloutState === "FAILED" && sameRevision(d.taskDefinition, desiredTaskDefinition));
  // Once a rollback completes, the failed deployment leaves the list; ECS's event about it stays.
  const failedEvent = failed ? undefined : deploymentFailedEvent(service, rolloutDeploymentId);
  // A release rolled back (an alarm, a hook, a stop) says why in its service deployment.
  const ownRelease = release && sameRevision(release.taskDefinition, desiredTaskDefinition) ? release : undefined;
  const releaseFailed = ownRelease !== undefined && (FAILED_RELEASE as readonly string[]).includes(ownRelease.status);
  if (failed || failedEvent !== undefined || releaseFailed || sameRevision(knownFailedTaskDefinition, desiredTaskDefinition)) {
    const reason = (releaseFailed ? ownRelease.rollbackReason : undefined) ?? failed?.rolloutStateReason ?? failedEvent ?? "an earlier rollout of this revision failed";
    const rolledBack = primary?.taskDefinition && !sameRevision(primary.taskDefinition, desiredTaskDefinition) ? `; rolled back to ${revisionName(primary.taskDefinition)}` : "";
    const message = `rollout of ${desired} failed: ${reason}${rolledBack}. Change the task definition or the spec to try again.`;
    return {
      ready: false,
      reason: "RolloutFailed",
      failure: true,
      message,
      failedTaskDefinition: desiredTaskDefinition,
      conditions: [progressing("False", "RolloutFailed", message)],
    };
  }
  if (service.status === "DRAINING") {
    return { ready: false, reason: "Deleting", message: "service is draining", recheckAfterMs: ROLLOUT_POLL_MS, conditions: [progressing("False", "Deleting", "service is draining")] };
  }
  const running = service.runningCount ?? 0;
  const wanted = service.desiredCount ?? 0;
  // service.taskDefinition is the PRIMARY deployment's revision, updated by UpdateService at once.
  const inProgress = primary?.rolloutState === "IN_PROGRESS" || deployments.length > 1;
  if (ownRelease && isUnderWay(ownRelease.status) && ownRelease.stage !== undefined) {
    const message = releaseMessage(ownRelease, desiredTaskDefinition);
    return { ready: false, reason: "RolloutInProgress", message, recheckAfterMs: ROLLOUT_POLL_MS, conditions: [progressing("True", "RolloutInProgress", message)] };
  }
  if (inProgress || !sameRevision(service.taskDefinition, desiredTaskDefinition)) {
    const rolling = service.taskDefinition ? revisionName(service.taskDefinition) : desired;
    const message = `rolling out ${rolling}: ${primary?.runningCount ?? running} of ${primary?.desiredCount ?? wanted} tasks running${primary?.rolloutStateReason ? ` (${primary.rolloutStateReason})` : ""}`;
    return { ready: false, reason: "RolloutInProgress", message, recheckAfterMs: ROLLOUT_POLL_MS, conditions: [progressing("True", "RolloutInProgress", message)] };
  }
  if (running !== wanted) {
    const message = `${running} of ${wanted} tasks running ${desired}`;
    return { ready: false, reason: "Updating", message, recheckAfterMs: ROLLOUT_POLL_MS * 3, conditions: [progressing("False", "Available", "no rollout under way")] };
  }
  return {
    ready: true,
    reason: "Available",
    message: `rollout completed: ${running} of ${wanted} tasks running ${desired}`,
    conditions: [progressing("False", "Available", "no rollout under way")],
  };
}
