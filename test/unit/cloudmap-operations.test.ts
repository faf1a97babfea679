import { DuplicateRequest, NamespaceNotFound, type Operation } from "@aws-sdk/client-servicediscovery";
import { describe, expect, it } from "vitest";
import { awsCall } from "../../src/aws/errors.js";
import { decideOnOperation, duplicateOperationId, namespaceCreatorRequestId, pollDelayMs } from "../../src/aws/cloudmap-operations.js";
import { ReconcileError } from "../../src/runtime/errors.js";

/**
 * Cloud Map's asynchronous operations. moto completes every operation at once, so the states in
 * between (SUBMITTED, PENDING) and failures (FAIL with ErrorCode/ErrorMessage) are only seen here,
 * as GetOperation reports them in AWS.
 */
function operation(fields: Partial<Operation>): Operation {
  return {
    Id: "op-1",
    Type: "CREATE_NAMESPACE",
    Status: "SUBMITTED",
    CreateDate: new Date("2025-01-01T00:00:00Z"),
    UpdateDate: new Date("2025-01-01T00:00:00Z"),
    Targets: { NAMESPACE: "ns-abc" },
    ...fields,
  };
}

async function rejectedWith(err: Error): Promise<unknown> {
  return awsCall("CreateHttpNamespace", () => Promise.reject(err)).catch((e: unknown) => e);
}

describe("Cloud Map operations", () => {
  it.each(["SUBMITTED", "PENDING"] as const)("waits for a %s operation, keeping its start and its namespace", (status) => {
    const decision = decideOnOperation(operation({ Status: status }), { id: "op-1", generation: 3 }, 3);
    expect(decision).toEqual({
      next: "wait",
      operation: { id: "op-1", generation: 3, type: "CREATE_NAMESPACE", startedAt: new Date("2025-01-01T00:00:00Z"), namespaceId: "ns-abc" },
    });
  });

  it("goes back to reading the resource once the operation succeeded or AWS forgot it", () => {
    expect(decideOnOperation(operation({ Status: "SUCCESS" }), { id: "op-1", generation: 1 }, 1)).toEqual({ next: "observe" });
    expect(decideOnOperation(undefined, { id: "op-1", generation: 1 }, 1)).toEqual({ next: "observe" });
  });

  it("turns a FAIL for the current spec into a terminal InvalidSpec with AWS's ErrorCode and ErrorMessage", () => {
    const decision = decideOnOperation(
      operation({ Status: "FAIL", ErrorCode: "CANNOT_CREATE_HOSTED_ZONE", ErrorMessage: "The VPC vpc-1 is not in this region." }),
      { id: "op-1", generation: 2 },
      2,
    );
    expect(decision.next).toBe("fail");
    if (decision.next !== "fail") return;
    expect(decision.error.errorClass).toBe("terminal");
    expect(decision.error.reason).toBe("InvalidSpec");
    expect(decision.error.message).toBe("CREATE_NAMESPACE op-1 failed: CANNOT_CREATE_HOSTED_ZONE: The VPC vpc-1 is not in this region.");
  });

  it("leaves a FAIL of an older spec behind, so that a corrected spec is tried afresh", () => {
    expect(decideOnOperation(operation({ Status: "FAIL", ErrorMessage: "x" }), { id: "op-1", generation: 2 }, 3)).toEqual({ next: "observe" });
  });

  it("polls at a pace that doubles with the operation's age, from 1 s up to 30 s", () => {
    const start = new Date("2025-01-01T00:00:00Z");
    const at = (ms: number) => new Date(start.getTime() + ms);
    expect(pollDelayMs(undefined, start)).toBe(1000);
    expect(pollDelayMs(start, at(0))).toBe(1000);
    expect(pollDelayMs(start, at(2000))).toBe(2000);
    expect(pollDelayMs(start, at(4000))).toBe(4000);
    expect(pollDelayMs(start, at(16_000))).toBe(16_000);
    expect(pollDelayMs(start, at(600_000))).toBe(30_000);
  });

  it("derives the creator request id from the uid and generation: stable across restarts, new for a new spec, within AWS's 64 characters", () => {
    const uid = "0b5a4c4e-93f4-4b8e-a9a1-6f0e6c1d2e3f";
    expect(namespaceCreatorRequestId(uid, 1)).toBe(namespaceCreatorRequestId(uid, 1));
    expect(namespaceCreatorRequestId(uid, 2)).not.toBe(namespaceCreatorRequestId(uid, 1));
    expect(namespaceCreatorRequestId(uid, Number.MAX_SAFE_INTEGER).length).toBeLessThanOrEqual(64);
  });

  it("reads the running operation's id from a DuplicateRequest, through awsCall's classification", async () => {
    const duplicate = new DuplicateRequest({ message: "The operation is already in progress.", $metadata: { httpStatusCode: 400 }, DuplicateOperationId: "op-9" });
    const classified = await rejectedWith(duplicate);
    expect(classified).toBeInstanceOf(ReconcileError);
    expect(duplicateOperationId(classified)).toBe("op-9");
    expect(duplicateOperationId(await rejectedWith(new NamespaceNotFound({ message: "ns-1", $metadata: { httpStatusCode: 400 } })))).toBeUndefined();
  });
});
