import { describe, expect, it } from "vitest";
import { callsTo, totalsFor, writeCalls, type CallCounts } from "../env/aws-proxy-control.js";
import {
  DEFAULT_ACCOUNT_ID,
  ProxyState,
  faultResponse,
  forwardableHeaders,
  identifyCall,
  needsBodyToIdentify,
  parseFaultRule,
  seededRandom,
  type CallIdentity,
} from "../env/aws-proxy.js";

const auth = (accessKeyId: string, service: string) =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

describe("identifyCall", () => {
  it("reads JSON-protocol calls from X-Amz-Target and the credential scope", () => {
    const headers = {
      "x-amz-target": "AmazonEC2ContainerServiceV20141113.CreateCluster",
      "content-type": "application/x-amz-json-1.1",
      authorization: auth("210000000001", "ecs"),
    };
    expect(needsBodyToIdentify(headers)).toBe(false);
    expect(identifyCall(headers, "/")).toEqual({
      protocol: "json",
      service: "ecs",
      operation: "CreateCluster",
      accountId: "210000000001",
      accessKeyId: "210000000001",
      contentType: "application/x-amz-json-1.1",
    });
  });

  it("falls back to the target prefix when the call is unsigned", () => {
    const call = identifyCall({ "x-amz-target": "Route53AutoNaming_v20170314.CreateHttpNamespace" }, "/");
    expect([call.service, call.operation, call.accountId]).toEqual([
      "servicediscovery",
      "CreateHttpNamespace",
      DEFAULT_ACCOUNT_ID,
    ]);
  });

  it("reads query-protocol calls from the form body", () => {
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      authorization: auth("AKIDEXAMPLE", "elasticloadbalancing"),
    };
    expect(needsBodyToIdentify(headers)).toBe(true);
    const call = identifyCall(headers, "/", "Action=CreateTargetGroup&Version=2015-12-01&Name=tg");
    expect(call).toEqual({
      protocol: "query",
      service: "elasticloadbalancing",
      operation: "CreateTargetGroup",
      queryVersion: "2015-12-01",
      accountId: DEFAULT_ACCOUNT_ID,
      accessKeyId: "AKIDEXAMPLE",
    });
    expect(identifyCall({}, "/", "Action=DescribeTargetGroups&Version=2015-12-01").service).toBe("elasticloadbalancing");
  });

  it("takes the account from a presigned URL too", () => {
    const url = `/?Action=ListClusters&X-Amz-Credential=${encodeURIComponent("123456789099/20250101/us-east-1/ecs/aws4_request")}`;
    expect(identifyCall({}, url)).toMatchObject({ service: "ecs", operation: "ListClusters", accountId: "123456789099" });
  });

  it("names EventBridge Scheduler's REST operations by method and path", () => {
    const scheduler = { authorization: auth("123456789012", "scheduler") };
    expect(identifyCall(scheduler, "/schedules/nightly?groupName=g", undefined, undefined, "GET")).toMatchObject({ service: "scheduler", operation: "GetSchedule" });
    expect(identifyCall(scheduler, "/schedules/nightly", undefined, undefined, "PUT")).toMatchObject({ operation: "UpdateSchedule" });
    expect(identifyCall(scheduler, "/schedule-groups/g", undefined, undefined, "POST")).toMatchObject({ operation: "CreateScheduleGroup" });
    expect(identifyCall(scheduler, "/tags/arn%3Aaws", undefined, undefined, "GET")).toMatchObject({ operation: "ListTagsForResource" });
  });

  it("leaves other calls unknown but still attributed", () => {
    expect(identifyCall({ authorization: auth("x", "s3") }, "/bucket")).toMatchObject({
      protocol: "other",
      service: "s3",
      operation: "Unknown",
      accountId: DEFAULT_ACCOUNT_ID,
    });
  });
});

describe("faultResponse", () => {
  const json: CallIdentity = {
    protocol: "json",
    service: "ecs",
    operation: "CreateCluster",
    accountId: DEFAULT_ACCOUNT_ID,
    contentType: "application/x-amz-json-1.1",
  };
  const query: CallIdentity = {
    protocol: "query",
    service: "elasticloadbalancing",
    operation: "CreateTargetGroup",
    accountId: DEFAULT_ACCOUNT_ID,
    queryVersion: "2015-12-01",
  };

  it("throttles JSON-protocol calls like AWS", () => {
    expect(faultResponse("throttle", json, "req-1")).toEqual({
      status: 400,
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amzn-ErrorType": "ThrottlingException",
        "x-amzn-RequestId": "req-1",
      },
      body: '{"__type":"ThrottlingException","message":"Rate exceeded"}',
    });
  });

  it("throttles query-protocol calls like AWS", () => {
    expect(faultResponse("throttle", query, "req-2")).toEqual({
      status: 400,
      headers: { "content-type": "text/xml", "x-amzn-RequestId": "req-2" },
      body:
        '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type>' +
        "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>req-2</RequestId></ErrorResponse>",
    });
  });

  it("shapes 5xx faults per protocol", () => {
    const e500 = faultResponse("error500", json, "r");
    expect([e500.status, e500.headers["x-amzn-ErrorType"], JSON.parse(e500.body)]).toEqual([
      500,
      "InternalFailure",
      { __type: "InternalFailure", message: expect.any(String) as unknown },
    ]);
    const e503 = faultResponse("error503", query, "r");
    expect(e503.status).toBe(503);
    expect(e503.body).toContain("<Type>Receiver</Type><Code>ServiceUnavailable</Code>");
  });

  it("echoes the awsJson 1.0 content type", () => {
    expect(faultResponse("throttle", { ...json, contentType: "application/x-amz-json-1.0" }, "r").headers["content-type"]).toBe(
      "application/x-amz-json-1.0",
    );
  });
});

describe("forwardableHeaders", () => {
  it("drops hop-by-hop headers and those named in Connection, keeping case and duplicates", () => {
    const raw = [
      "Host", "proxy:1", "Connection", "keep-alive, X-Private", "Keep-Alive", "timeout=5", "X-Private", "1",
      "Transfer-Encoding", "chunked", "Set-Cookie", "a=1", "Set-Cookie", "b=2", "X-Amz-Target", "T.Op",
    ];
    expect(forwardableHeaders(raw, ["x-amz-target"])).toEqual(["Host", "proxy:1", "Set-Cookie", "a=1", "Set-Cookie", "b=2"]);
  });
});

describe("ProxyState", () => {
  const call = (operation: string, accountId = "210000000001"): CallIdentity => ({
    protocol: "json",
    service: "ecs",
    operation,
    accountId,
  });

  it("applies a rule at most `remaining` times, only to its account and operations", () => {
    const state = new ProxyState(seededRandom(1));
    state.addFault({ kind: "throttle", operations: ["ecs:CreateCluster"], accountId: "210000000001", remaining: 2 });
    expect(state.decide(call("CreateCluster", "210000000002")).action).toBe("forward");
    expect(state.decide(call("ListClusters")).action).toBe("forward");
    expect([1, 2, 3].map(() => state.decide(call("CreateCluster")).action)).toEqual(["throttle", "throttle", "forward"]);
  });

  it("adds latency and lets the first terminal rule decide", () => {
    const state = new ProxyState(seededRandom(1));
    state.addFault({ kind: "latency", latencyMs: 50 });
    state.addFault({ kind: "latency", latencyMs: 25, operations: ["DeleteService"] });
    state.addFault({ kind: "error503", operations: ["ecs:*"] });
    expect(state.decide(call("DeleteService"))).toEqual({ latencyMs: 75, answerDelayMs: 0, action: "error503" });
  });

  it("makes fault rates reproducible from the seed", () => {
    const run = (seed: number) => {
      const state = new ProxyState(seededRandom(seed));
      state.addFault({ kind: "drop", rate: 0.3 });
      return Array.from({ length: 40 }, () => state.decide(call("ListClusters")).action);
    };
    const first = run(42);
    expect(run(42)).toEqual(first);
    expect(first.filter((a) => a === "drop").length).toBeGreaterThan(4);
    expect(first.filter((a) => a === "drop").length).toBeLessThan(20);
  });

  it("refills token buckets per account and prefers the most specific bucket", () => {
    let now = 0;
    const state = new ProxyState(seededRandom(1), () => now);
    state.setBuckets([
      { match: "*", ratePerSecond: 100, burst: 100 },
      { match: "ecs:CreateService", ratePerSecond: 2, burst: 2 },
    ]);
    const take = (accountId?: string) => state.decide(call("CreateService", accountId)).action;
    expect([take(), take(), take(), take("210000000009")]).toEqual(["forward", "forward", "throttle", "forward"]);
    now = 500;
    expect([take(), take()]).toEqual(["forward", "throttle"]);
    state.setBuckets([]);
    expect(take()).toBe("forward");
  });

  it("counts outcomes per account and operation", () => {
    const state = new ProxyState(seededRandom(1));
    state.record(call("CreateCluster"), "throttled");
    state.record(call("CreateCluster"), "ok");
    state.record(call("ListClusters", "210000000002"), "upstreamError");
    expect(state.counts("210000000001")).toEqual({
      "210000000001": { "ecs:CreateCluster": { calls: 2, ok: 1, throttled: 1, injected: 0, upstreamError: 0 } },
    });
    state.reset("210000000001");
    expect(Object.keys(state.counts())).toEqual(["210000000002"]);
  });

  it("rejects malformed rules", () => {
    expect(() => parseFaultRule({ kind: "explode" })).toThrow(/kind/);
    expect(() => parseFaultRule({ kind: "throttle", rate: 2 })).toThrow(/rate/);
    expect(() => parseFaultRule({ kind: "latency" })).toThrow(/latencyMs/);
    expect(() => parseFaultRule({ kind: "drop", operations: "ListClusters" })).toThrow(/operations/);
  });
});

describe("count helpers", () => {
  const counts: CallCounts = {
    "210000000001": {
      "ecs:CreateCluster": { calls: 3, ok: 1, throttled: 2, injected: 0, upstreamError: 0 },
      "ecs:ListClusters": { calls: 4, ok: 4, throttled: 0, injected: 0, upstreamError: 0 },
    },
    "210000000002": {
      "ecs:CreateCluster": { calls: 1, ok: 1, throttled: 0, injected: 0, upstreamError: 0 },
      "servicediscovery:GetOperation": { calls: 5, ok: 5, throttled: 0, injected: 0, upstreamError: 0 },
    },
  };

  it("sums over accounts by operation name", () => {
    expect(callsTo(counts, "ecs:CreateCluster")).toBe(4);
    expect(callsTo(counts, "CreateCluster")).toBe(4);
    expect(callsTo(counts, "ecs:*")).toBe(8);
    expect(totalsFor(counts, "ecs:CreateCluster")).toEqual({ calls: 4, ok: 2, throttled: 2, injected: 0, upstreamError: 0 });
    expect(writeCalls(counts)).toBe(4);
  });
});
