import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsProxyControl } from "../env/aws-proxy-control.js";
import { ProxyState, parseBuckets, seededRandom, startAwsProxy, type AwsProxy, type CallIdentity } from "../env/aws-proxy.js";

const call = (operation: string, accountId = "210000000001", service = "ecs"): CallIdentity => ({ protocol: "json", service, operation, accountId });

describe("the proxy's call log", () => {
  it("keeps arrivals in order with their time, account and operation, filtered by account and time", () => {
    let now = 1000;
    const state = new ProxyState(seededRandom(1), () => 0, () => now);
    state.logCall(call("ListClusters"));
    now = 1010;
    state.logCall(call("CreateService", "210000000002"));
    now = 1020;
    state.logCall(call("UpdateService"));
    expect(state.calls()).toEqual([
      { at: 1000, accountId: "210000000001", operation: "ecs:ListClusters" },
      { at: 1010, accountId: "210000000002", operation: "ecs:CreateService" },
      { at: 1020, accountId: "210000000001", operation: "ecs:UpdateService" },
    ]);
    expect(state.calls("210000000001", 1010).map((c) => c.operation)).toEqual(["ecs:UpdateService"]);
    expect(state.calls(undefined, 1010).map((c) => c.at)).toEqual([1010, 1020]);
    expect(state.calls(undefined, 2000)).toEqual([]);
  });

  it("forgets the oldest calls once full", () => {
    let now = 0;
    const state = new ProxyState(seededRandom(1), () => 0, () => now, 3);
    for (const op of ["A", "B", "C", "D", "E"]) {
      now += 1;
      state.logCall(call(op));
    }
    expect(state.calls().map((c) => c.operation)).toEqual(["ecs:C", "ecs:D", "ecs:E"]);
    expect(state.calls(undefined, 4).map((c) => c.operation)).toEqual(["ecs:D", "ecs:E"]);
  });
});

describe("buckets shared by several operations", () => {
  it("draws one bucket for every pattern in its list, and still prefers the most specific bucket", () => {
    let now = 0;
    const state = new ProxyState(seededRandom(1), () => now);
    state.setBuckets(parseBuckets([
      { match: ["ecs:CreateService", "ecs:UpdateService"], ratePerSecond: 1, burst: 2 },
      { match: "ecs:DeleteService", ratePerSecond: 1, burst: 1 },
    ]));
    const take = (op: string) => state.decide(call(op)).action;
    expect([take("CreateService"), take("UpdateService"), take("CreateService"), take("DeleteService")]).toEqual(["forward", "forward", "throttle", "forward"]);
    now = 1000;
    expect([take("UpdateService"), take("CreateService")]).toEqual(["forward", "throttle"]);
    expect(() => parseBuckets([{ match: [], ratePerSecond: 1, burst: 1 }])).toThrow(/match/);
    expect(() => parseBuckets([{ match: ["ecs:*", 3], ratePerSecond: 1, burst: 1 }])).toThrow(/match/);
  });
});

describe("GET /__proxy/calls", () => {
  let upstream: http.Server;
  let proxy: AwsProxy;
  let control: AwsProxyControl;

  beforeAll(async () => {
    // A stand-in for moto that answers every call with an empty JSON object.
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end("{}"));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    proxy = await startAwsProxy({ target: `http://127.0.0.1:${String((upstream.address() as AddressInfo).port)}` });
    control = new AwsProxyControl(proxy.url);
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const send = (operation: string, accountId: string) =>
    fetch(proxy.url, {
      method: "POST",
      headers: {
        "x-amz-target": `AmazonEC2ContainerServiceV20141113.${operation}`,
        "content-type": "application/x-amz-json-1.1",
        authorization: `AWS4-HMAC-SHA256 Credential=${accountId}/20250101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x`,
      },
      body: "{}",
    }).then((r) => r.text());

  it("answers with the calls of an account since a time, oldest first", async () => {
    const before = performance.timeOrigin + performance.now();
    await send("DescribeServices", "210000000001");
    await send("UpdateService", "210000000002");
    const between = performance.timeOrigin + performance.now();
    await send("UpdateService", "210000000001");
    const after = performance.timeOrigin + performance.now();

    const mine = await control.calls("210000000001", before);
    expect(mine.map((c) => c.operation)).toEqual(["ecs:DescribeServices", "ecs:UpdateService"]);
    for (const c of mine) expect(c.at).toBeGreaterThanOrEqual(before);
    expect((mine[1]?.at ?? 0) <= after).toBe(true);
    expect((await control.calls("210000000001", between)).map((c) => c.operation)).toEqual(["ecs:UpdateService"]);
    expect((await control.calls(undefined, before)).map((c) => c.accountId)).toEqual(["210000000001", "210000000002", "210000000001"]);
    expect(proxy.calls("210000000002").map((c) => c.operation)).toEqual(["ecs:UpdateService"]);
  });

  it("rejects a since that is not a number", async () => {
    const res = await fetch(`${proxy.url}/__proxy/calls?since=yesterday`);
    expect(res.status).toBe(400);
  });
});
