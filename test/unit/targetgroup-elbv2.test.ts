import { ElasticLoadBalancingV2Client, ElasticLoadBalancingV2ServiceException } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import { describeElbv2Tags } from "../../src/aws/elbv2.js";
import { classifyAwsError, isAwsError } from "../../src/aws/errors.js";

/** An ELBv2 error as the SDK deserialises it: named after the modelled shape, not the wire code. */
function elbv2Error(name: string, status = 400): ElasticLoadBalancingV2ServiceException {
  return new ElasticLoadBalancingV2ServiceException({ name, $fault: status < 500 ? "client" : "server", $metadata: { httpStatusCode: status }, message: "m" });
}

describe("ELBv2 helpers", () => {
  it("reads tags 20 ARNs per DescribeTags call", async () => {
    const client = new ElasticLoadBalancingV2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const batches: string[][] = [];
    client.middlewareStack.add(
      (_next, context) => (args) => {
        const input = args.input as { ResourceArns?: string[] };
        expect(context.commandName).toBe("DescribeTagsCommand");
        batches.push(input.ResourceArns ?? []);
        return Promise.resolve({ output: { $metadata: {}, TagDescriptions: (input.ResourceArns ?? []).map((arn) => ({ ResourceArn: arn, Tags: [{ Key: "of", Value: arn }] })) }, response: {} });
      },
      { step: "initialize", name: "fakeElbv2" },
    );
    const arns = Array.from({ length: 45 }, (_, i) => `arn:rule/${i}`);
    const tags = await describeElbv2Tags(client, arns);
    expect(batches.map((b) => b.length)).toEqual([20, 20, 5]);
    expect(tags.size).toBe(45);
    expect(tags.get("arn:rule/44")).toEqual({ of: "arn:rule/44" });
    expect(await describeElbv2Tags(client, [])).toEqual(new Map());
    expect(batches).toHaveLength(3);
  });

  it("recognises ELBv2 errors by the SDK's names", () => {
    expect(isAwsError(elbv2Error("RuleNotFoundException"), "RuleNotFoundException")).toBe(true);
    expect(isAwsError(elbv2Error("PriorityInUseException"), "RuleNotFoundException")).toBe(false);
    expect(isAwsError("RuleNotFoundException", "RuleNotFoundException")).toBe(false);
  });

  it.each(["TargetGroupNotFoundException", "ListenerNotFoundException", "LoadBalancerNotFoundException", "ResourceInUseException", "DuplicateTargetGroupNameException"])(
    "retries %s, a state that clears up, rather than calling the spec invalid",
    (name) => {
      expect(classifyAwsError(elbv2Error(name), "Op").errorClass).toBe("retryable");
    },
  );

  it("calls an input ELBv2 rejects invalid", () => {
    const err = classifyAwsError(elbv2Error("InvalidConfigurationRequestException"), "ModifyTargetGroupAttributes");
    expect(err.errorClass).toBe("terminal");
    expect(err.reason).toBe("InvalidSpec");
  });
});
