import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { AGGREGATION_WINDOW_MS, kubeEventRecorder } from "../../src/runtime/events.js";
import type { KubeClient, KubeRequest } from "../../src/runtime/kube-client.js";

const object = (name: string): ManagedObject => ({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name, namespace: "ns", uid: `uid-${name}` } });

function setup() {
  const requests: KubeRequest[] = [];
  let created = 0;
  const kube: KubeClient = {
    request: <T>(req: KubeRequest): Promise<T> => {
      requests.push(req);
      return Promise.resolve((req.method === "POST" ? { metadata: { name: `event-${String(++created)}` } } : {}) as T);
    },
  };
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const recorder = kubeEventRecorder(kube, pino({ enabled: false }), () => new Date(clock));
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return { requests, recorder, settle, advance: (ms: number) => (clock += ms) };
}

describe("kubeEventRecorder", () => {
  it("counts a repeat within the aggregation window on the event it already wrote", async () => {
    const { requests, recorder, settle, advance } = setup();
    recorder.normal(object("a"), "Created", "created EcsCluster in AWS");
    await settle();
    advance(AGGREGATION_WINDOW_MS - 1000);
    recorder.normal(object("a"), "Created", "created EcsCluster in AWS");
    await settle();
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /api/v1/namespaces/ns/events", "PATCH /api/v1/namespaces/ns/events/event-1"]);
    expect(requests[1]?.body).toMatchObject({ count: 2 });
  });

  it("forgets events past the window, so that a fleet's worth of them does not stay in memory", async () => {
    const { requests, recorder, settle, advance } = setup();
    recorder.normal(object("a"), "Created", "created EcsCluster in AWS");
    await settle();
    advance(AGGREGATION_WINDOW_MS / 2);
    recorder.normal(object("b"), "Created", "created EcsCluster in AWS");
    await settle();
    // a was used again last: it stays however old its first write, b goes once past the window.
    advance(AGGREGATION_WINDOW_MS / 2 - 1000);
    recorder.normal(object("a"), "Created", "created EcsCluster in AWS");
    await settle();
    advance(AGGREGATION_WINDOW_MS / 2 + 2000);
    recorder.warning(object("c"), "AwsError", "boom");
    await settle();
    expect(recorder.remembered()).toBe(2);
    recorder.normal(object("b"), "Created", "created EcsCluster in AWS");
    await settle();
    expect(requests.map((r) => r.method)).toEqual(["POST", "POST", "PATCH", "POST", "POST"]);
  });
});
