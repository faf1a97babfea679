import type { Deployment, Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { rolloutVerdict } from "../../src/controllers/ecsservice/rollout.js";

/*
 * moto does not simulate deployments (its deployment list is fixed at create), so the rollout
 * state machine is tested here against DescribeServices answers in the shape AWS gives them.
 */
const rev = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${n}`;

function deployment(d: Partial<Deployment>): Deployment {
  return { id: `ecs-svc/${d.taskDefinition ?? ""}`, status: "PRIMARY", runningCount: 2, desiredCount: 2, pendingCount: 0, failedTasks: 0, ...d };
}

function service(s: Partial<Service>, deployments: Deployment[]): Service {
  return { serviceName: "web", status: "ACTIVE", desiredCount: 2, runningCount: 2, pendingCount: 0, taskDefinition: deployments.find((d) => d.status === "PRIMARY")?.taskDefinition, deployments, ...s };
}

const progressingOf = (v: ReturnType<typeof rolloutVerdict>) => v.conditions?.find((c) => c.type === "Progressing");

describe("rolloutVerdict", () => {
  it("is in progress while the PRIMARY deployment is IN_PROGRESS, and asks to look again soon", () => {
    const v = rolloutVerdict({
      service: service({ runningCount: 3 }, [
        deployment({ taskDefinition: rev(2), rolloutState: "IN_PROGRESS", runningCount: 1, rolloutStateReason: "ECS deployment ecs-svc/2 in progress." }),
        deployment({ status: "ACTIVE", taskDefinition: rev(1), rolloutState: "COMPLETED", runningCount: 2 }),
      ]),
      desiredTaskDefinition: rev(2),
    });
    expect(v).toMatchObject({ ready: false, reason: "RolloutInProgress", recheckAfterMs: 5000 });
    expect(v.message).toContain("1 of 2 tasks running");
    expect(progressingOf(v)).toMatchObject({ status: "True", reason: "RolloutInProgress" });
  });

  it("is Ready once the PRIMARY deployment COMPLETED with running = desired", () => {
    const v = rolloutVerdict({ service: service({}, [deployment({ taskDefinition: rev(2), rolloutState: "COMPLETED" })]), desiredTaskDefinition: rev(2) });
    expect(v).toMatchObject({ ready: true, reason: "Available" });
    expect(progressingOf(v)).toMatchObject({ status: "False" });
  });

  it("is not Ready when COMPLETED but tasks are missing", () => {
    const v = rolloutVerdict({ service: service({ runningCount: 1 }, [deployment({ taskDefinition: rev(2), rolloutState: "COMPLETED", runningCount: 1 })]), desiredTaskDefinition: rev(2) });
    expect(v).toMatchObject({ ready: false, reason: "Updating" });
  });

  it("reports a circuit-breaker rollback as RolloutFailed with ECS's reason, and remembers the revision", () => {
    const v = rolloutVerdict({
      service: service({}, [
        deployment({ taskDefinition: rev(1), rolloutState: "IN_PROGRESS", rolloutStateReason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1." }),
        deployment({ status: "ACTIVE", taskDefinition: rev(2), rolloutState: "FAILED", failedTasks: 6, rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start." }),
      ]),
      desiredTaskDefinition: rev(2),
    });
    expect(v).toMatchObject({ ready: false, reason: "RolloutFailed", failedTaskDefinition: rev(2) });
    expect(v.message).toContain("tasks failed to start");
    expect(v.message).toContain("rolled back to web:1");
    expect(progressingOf(v)).toMatchObject({ status: "False", reason: "RolloutFailed" });
  });

  it("stays RolloutFailed after ECS drops the failed deployment from the list", () => {
    const v = rolloutVerdict({ service: service({}, [deployment({ taskDefinition: rev(1), rolloutState: "COMPLETED" })]), desiredTaskDefinition: rev(2), knownFailedTaskDefinition: rev(2) });
    expect(v).toMatchObject({ ready: false, reason: "RolloutFailed", failedTaskDefinition: rev(2) });
  });

  it("forgets an old failure once a new revision is wanted", () => {
    const v = rolloutVerdict({ service: service({}, [deployment({ taskDefinition: rev(3), rolloutState: "COMPLETED" })]), desiredTaskDefinition: rev(3), knownFailedTaskDefinition: rev(2) });
    expect(v).toMatchObject({ ready: true, reason: "Available" });
    expect(v.failedTaskDefinition).toBeUndefined();
  });

  it("reports a draining service as Deleting", () => {
    expect(rolloutVerdict({ service: service({ status: "DRAINING" }, []), desiredTaskDefinition: rev(1) })).toMatchObject({ ready: false, reason: "Deleting" });
  });
});
