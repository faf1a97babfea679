import { describe, expect, it } from "vitest";
import { classifyAwsError } from "../../src/aws/errors.js";

/** Errors in the shape AWS SDK v3 gives them (name, $fault, $metadata), as the SDK deserialises them. */
function sdkError(name: string, fault: "client" | "server", status: number, message = "m") {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

describe("classifyAwsError", () => {
  it.each([
    ["ThrottlingException", 400],
    ["Throttling", 400],
    ["TooManyRequestsException", 429],
    ["RequestLimitExceeded", 400],
  ])("treats %s as throttled", (name, status) => {
    const err = classifyAwsError(sdkError(name, "client", status), "Op");
    expect(err.errorClass).toBe("throttled");
    expect(err.reason).toBe("Throttled");
  });

  it("treats a rejected input as terminal InvalidSpec, keeping AWS's message", () => {
    const err = classifyAwsError(sdkError("ClientException", "client", 400, "Invalid memory value"), "RegisterTaskDefinition");
    expect(err.errorClass).toBe("terminal");
    expect(err.reason).toBe("InvalidSpec");
    expect(err.message).toContain("Invalid memory value");
    expect(err.message).toContain("RegisterTaskDefinition");
  });

  it("treats a placement expression ECS refuses as terminal InvalidSpec with ECS's message (moto accepts any expression)", () => {
    // The static checks are CEL's (bad-input fixtures); what the cluster query language refuses
    // beyond them comes back as InvalidParameterException, which is not one of the "another
    // resource is not there yet" rejections. The message stands for ECS's, passed on unchanged.
    const refused = "Invalid constraint expression: attribute:ecs.instance-type =~ (t3";
    const err = classifyAwsError(sdkError("InvalidParameterException", "client", 400, refused), "CreateService");
    expect(err.errorClass).toBe("terminal");
    expect(err.reason).toBe("InvalidSpec");
    expect(err.message).toBe(`CreateService: InvalidParameterException: ${refused}`);
  });

  it.each(["ExpiredTokenException", "ExpiredToken", "AccessDeniedException", "AccessDenied"])("retries %s: credentials and permissions are fixed outside the spec", (name) => {
    const err = classifyAwsError(sdkError(name, "client", 400), "DescribeClusters");
    expect(err.errorClass).toBe("retryable");
    expect(err.reason).toBe("AwsError");
  });

  it("treats server faults and network errors as retryable", () => {
    expect(classifyAwsError(sdkError("ServerException", "server", 500), "Op").errorClass).toBe("retryable");
    expect(classifyAwsError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "Op").errorClass).toBe("retryable");
  });

  it("treats state conflicts that clear up by themselves as retryable", () => {
    expect(classifyAwsError(sdkError("ClusterContainsServicesException", "client", 400), "DeleteCluster").errorClass).toBe("retryable");
    expect(classifyAwsError(sdkError("ResourceInUse", "client", 400), "DeleteTargetGroup").errorClass).toBe("retryable");
    expect(classifyAwsError(sdkError("ConcurrentUpdateException", "client", 400), "RegisterScalableTarget").errorClass).toBe("retryable");
    expect(classifyAwsError(sdkError("ObjectNotFoundException", "client", 400), "PutScalingPolicy").errorClass).toBe("retryable");
    expect(classifyAwsError(sdkError("FailedResourceAccessException", "client", 400), "RegisterScalableTarget").errorClass).toBe("retryable");
  });

  it("retries, as waiting for a dependency, an input AWS rejects only because another resource is not there yet", () => {
    const noLoadBalancer = classifyAwsError(
      sdkError("InvalidParameterException", "client", 400, "The target group with targetGroupArn arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef does not have an associated load balancer."),
      "CreateService",
    );
    expect(noLoadBalancer.errorClass).toBe("retryable");
    expect(noLoadBalancer.reason).toBe("WaitingForDependency");
    expect(noLoadBalancer.message).toContain("does not have an associated load balancer");
    const roleNotYet = classifyAwsError(sdkError("InvalidParameterException", "client", 400, "Unable to assume the service linked role. Please verify that the ECS service linked role exists."), "CreateService");
    expect(roleNotYet.errorClass).toBe("retryable");
    // The same error name with another message is still a rejected input.
    expect(classifyAwsError(sdkError("InvalidParameterException", "client", 400, "Invalid revision number."), "CreateService").errorClass).toBe("terminal");
  });
});
