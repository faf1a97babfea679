import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import type { HttpRequest, HttpResponse } from "@smithy/types";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { CloudMapNamespace } from "../../src/api/cloudmapnamespace.js";
import type { CloudMapService } from "../../src/api/cloudmapservice.js";
import { cloudMapNamespaceDriver } from "../../src/controllers/cloudmapnamespace/driver.js";
import { cloudMapServiceDriver } from "../../src/controllers/cloudmapservice/driver.js";
import type { ManagedObject, ManagedStatus } from "../../src/runtime/driver.js";
import type { ObjectWriter } from "../../src/runtime/object-writer.js";
import { FINALIZER, reconcile, type ReconcilerContext } from "../../src/runtime/reconciler.js";

/**
 * Cloud Map's asynchronous path through the real drivers and the generic reconciler, against a
 * scripted Cloud Map endpoint that answers with AWS's JSON (and AWS's errors, such as
 * DuplicateRequest with DuplicateOperationId). moto completes every operation at once and never
 * answers DuplicateRequest or ServiceAlreadyExists, so none of this could be seen against it.
 */

type Reply = { status?: number; body: Record<string, unknown> };
type Responder = (input: Record<string, unknown>) => Reply;

const NOW = new Date("2025-03-01T12:00:00Z");
const epoch = (date: Date) => date.getTime() / 1000;
const secondsAgo = (s: number) => epoch(new Date(NOW.getTime() - s * 1000));
const awsError = (type: string, message: string, fields: Record<string, unknown> = {}): Reply => ({ status: 400, body: { __type: type, Message: message, ...fields } });

/** A Cloud Map endpoint that answers each operation from a script and records every call. */
function fakeCloudMap(script: Record<string, Responder>) {
  const calls: { operation: string; input: Record<string, unknown> }[] = [];
  const handler = {
    handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      const operation = (request.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
      const body: unknown = request.body;
      const input = JSON.parse(body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body)) as Record<string, unknown>;
      calls.push({ operation, input });
      const responder = script[operation];
      const reply = responder ? responder(input) : awsError("InvalidInput", `the script has no answer for ${operation}`);
      return Promise.resolve({
        response: { statusCode: reply.status ?? 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: new TextEncoder().encode(JSON.stringify(reply.body)) },
      });
    },
  };
  const client = new ServiceDiscoveryClient({ region: "us-east-1", endpoint: "http://cloudmap.test", credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1, requestHandler: handler });
  return { client, calls, operations: () => calls.map((c) => c.operation) };
}

/** The reconciler's writer and events, in memory; the object's status follows what was written. */
function harness<T extends ManagedObject>(initial: T) {
  let obj = initial;
  const events: string[] = [];
  let finalizerRemoved = false;
  const writer: ObjectWriter = {
    addFinalizer: (o, f) => Promise.resolve({ ...o, metadata: { ...o.metadata, finalizers: [f] } }),
    removeFinalizer: () => {
      finalizerRemoved = true;
      return Promise.resolve();
    },
    deleteObject: () => Promise.resolve(),
    replaceStatus: (_o, status: ManagedStatus) => {
      obj = { ...obj, status };
      return Promise.resolve();
    },
  };
  const ctx: ReconcilerContext = {
    writer,
    events: { normal: (_o, reason) => events.push(reason), warning: (_o, reason) => events.push(reason) },
    logger: pino({ level: "silent" }),
    lookup: { get: () => undefined, list: () => [] },
    resyncMs: 600_000,
    now: () => NOW,
    random: () => 0.5,
  };
  return {
    ctx,
    events,
    get obj() {
      return obj;
    },
    set obj(next: T) {
      obj = next;
    },
    finalizerRemoved: () => finalizerRemoved,
    condition: (type: string) => obj.status?.conditions?.find((c) => c.type === type),
  };
}

const UID = "5f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const ARN = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc";
const OUR_TAGS = [
  { Key: "ecs-operator.dev/owner", Value: "team-a/apps" },
  { Key: "ecs-operator.dev/uid", Value: UID },
  { Key: "ecs-operator.dev/kind", Value: "CloudMapNamespace" },
];

function namespaceObject(spec: Partial<CloudMapNamespace["spec"]> = {}, generation = 1, status?: CloudMapNamespace["status"]): CloudMapNamespace {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "CloudMapNamespace",
    metadata: { name: "apps", namespace: "team-a", uid: UID, generation, finalizers: [FINALIZER] },
    spec: { type: "Http", name: "apps", ...spec },
    ...(status ? { status } : {}),
  };
}

const getOperation = (status: string, fields: Record<string, unknown> = {}): Reply => ({
  body: { Operation: { Id: "op-1", Type: "CREATE_NAMESPACE", Status: status, CreateDate: secondsAgo(5), UpdateDate: secondsAgo(1), Targets: { NAMESPACE: "ns-abc" }, ...fields } },
});
const namespaceBody = (fields: Record<string, unknown> = {}) => ({ Id: "ns-abc", Arn: ARN, Name: "apps", Type: "HTTP", CreateDate: secondsAgo(60), ...fields });

describe("CloudMapNamespace asynchronous operations (AWS-shaped answers)", () => {
  it("creates once with the uid- and generation-derived creator request id and waits for the PENDING operation", async () => {
    const aws = fakeCloudMap({
      ListNamespaces: () => ({ body: { Namespaces: [] } }),
      CreateHttpNamespace: () => ({ body: { OperationId: "op-1" } }),
      GetOperation: () => getOperation("SUBMITTED", { CreateDate: epoch(NOW) }),
    });
    const h = harness(namespaceObject());
    const result = await reconcile(h.obj, cloudMapNamespaceDriver(aws.client, () => NOW), h.ctx);

    expect(aws.operations()).toEqual(["ListNamespaces", "CreateHttpNamespace", "GetOperation"]);
    expect(aws.calls[1]?.input).toMatchObject({ Name: "apps", CreatorRequestId: `${UID}-1` });
    expect(h.obj.status).toMatchObject({ id: "ns-abc", operationId: "op-1", operationGeneration: 1 });
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "Creating" });
    expect(result.requeueAfterMs).toBe(1000);
  });

  it("after a restart with the operation still PENDING, polls GetOperation and never creates again", async () => {
    const aws = fakeCloudMap({
      GetOperation: () => getOperation("PENDING"),
      GetNamespace: () => awsError("NamespaceNotFound", "ns-abc"),
      ListNamespaces: () => ({ body: { Namespaces: [] } }),
    });
    // What the process that died had written: the operation id and the generation that started it.
    const h = harness(namespaceObject({}, 1, { id: "ns-abc", operationId: "op-1", operationGeneration: 1, observedGeneration: 1 }));
    const result = await reconcile(h.obj, cloudMapNamespaceDriver(aws.client, () => NOW), h.ctx);

    expect(aws.calls[0]).toEqual({ operation: "GetOperation", input: { OperationId: "op-1" } });
    expect(aws.operations().filter((op) => op.startsWith("Create"))).toEqual([]);
    expect(h.obj.status).toMatchObject({ operationId: "op-1", operationGeneration: 1 });
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "Creating" });
    // Five seconds into the operation, the next poll is five seconds away.
    expect(result.requeueAfterMs).toBe(5000);
  });

  it("turns Ready with the namespace's id once the operation reports SUCCESS, and forgets the operation", async () => {
    const aws = fakeCloudMap({
      GetOperation: () => getOperation("SUCCESS"),
      GetNamespace: () => ({ body: { Namespace: namespaceBody() } }),
      ListTagsForResource: () => ({ body: { Tags: OUR_TAGS } }),
    });
    const h = harness(namespaceObject({}, 1, { id: "ns-abc", operationId: "op-1", operationGeneration: 1 }));
    await reconcile(h.obj, cloudMapNamespaceDriver(aws.client, () => NOW), h.ctx);

    expect(aws.operations()).toEqual(["GetOperation", "GetNamespace", "ListTagsForResource"]);
    expect(h.obj.status).toMatchObject({ id: "ns-abc", arn: ARN });
    expect(h.obj.status).not.toHaveProperty("operationId");
    expect(h.condition("Ready")).toMatchObject({ status: "True", reason: "Available" });
  });

  it("reports a FAIL as Synced=False InvalidSpec with AWS's ErrorMessage and does not retry the same spec", async () => {
    const aws = fakeCloudMap({
      GetOperation: () => getOperation("FAIL", { ErrorCode: "CANNOT_CREATE_HOSTED_ZONE", ErrorMessage: "The VPC is not in this region." }),
    });
    const h = harness(namespaceObject({}, 1, { id: "ns-abc", operationId: "op-1", operationGeneration: 1 }));
    const driver = cloudMapNamespaceDriver(aws.client, () => NOW);
    const result = await reconcile(h.obj, driver, h.ctx);

    expect(result.error?.errorClass).toBe("terminal");
    expect(h.condition("Synced")).toMatchObject({ status: "False", reason: "InvalidSpec", message: expect.stringContaining("The VPC is not in this region.") as unknown });
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "InvalidSpec" });

    const callsBefore = aws.calls.length;
    await reconcile(h.obj, driver, h.ctx);
    expect(aws.calls.length).toBe(callsBefore);
  });

  it("tries a corrected spec afresh after a FAIL, with a new creator request id", async () => {
    const aws = fakeCloudMap({
      GetOperation: (input) => (input.OperationId === "op-1" ? getOperation("FAIL", { ErrorMessage: "bad" }) : getOperation("PENDING", { Id: "op-2", CreateDate: epoch(NOW) })),
      GetNamespace: () => awsError("NamespaceNotFound", "ns-abc"),
      ListNamespaces: () => ({ body: { Namespaces: [] } }),
      CreateHttpNamespace: () => ({ body: { OperationId: "op-2" } }),
    });
    const h = harness(namespaceObject({ description: "fixed" }, 2, { id: "ns-abc", operationId: "op-1", operationGeneration: 1, observedGeneration: 1 }));
    await reconcile(h.obj, cloudMapNamespaceDriver(aws.client, () => NOW), h.ctx);

    expect(aws.calls.filter((c) => c.operation === "CreateHttpNamespace").map((c) => c.input.CreatorRequestId)).toEqual([`${UID}-2`]);
    expect(h.obj.status).toMatchObject({ operationId: "op-2", operationGeneration: 2 });
  });

  it("resumes the operation AWS names in DuplicateRequest when a create's answer was lost, creating nothing twice", async () => {
    const aws = fakeCloudMap({
      ListNamespaces: () => ({ body: { Namespaces: [] } }),
      CreateHttpNamespace: () => awsError("DuplicateRequest", "The operation is already in progress.", { DuplicateOperationId: "op-1" }),
      GetOperation: () => getOperation("PENDING"),
    });
    // The first process sent CreateHttpNamespace and died before writing status.
    const h = harness(namespaceObject());
    const result = await reconcile(h.obj, cloudMapNamespaceDriver(aws.client, () => NOW), h.ctx);

    expect(result.outcome).toBe("success");
    expect(aws.calls.filter((c) => c.operation === "CreateHttpNamespace").map((c) => c.input.CreatorRequestId)).toEqual([`${UID}-1`]);
    expect(h.obj.status).toMatchObject({ operationId: "op-1", operationGeneration: 1 });
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "Creating" });
  });

  it("retries, rather than rejecting the spec, when AWS says the name exists but observe did not see it yet", async () => {
    const aws = fakeCloudMap({
      ListNamespaces: () => ({ body: { Namespaces: [] } }),
      CreateHttpNamespace: () => awsError("NamespaceAlreadyExists", "Namespace already exists", { CreatorRequestId: "other", NamespaceId: "ns-other" }),
    });
    const h = harness(namespaceObject());
    const result = await reconcile(h.obj, cloudMapNamespaceDriver(aws.client, () => NOW), h.ctx);

    expect(result.error?.errorClass).toBe("retryable");
    expect(h.condition("Synced")).toMatchObject({ status: "False", reason: "AwsError" });
  });

  it("updates the description asynchronously and does not repeat the update while UPDATE_NAMESPACE is pending", async () => {
    const updating = getOperation("PENDING", { Id: "op-u", Type: "UPDATE_NAMESPACE", CreateDate: epoch(NOW) });
    const aws = fakeCloudMap({
      GetNamespace: () => ({ body: { Namespace: namespaceBody({ Type: "DNS_PRIVATE", Name: "app.local", Description: "old" }) } }),
      ListTagsForResource: () => ({ body: { Tags: OUR_TAGS } }),
      UpdatePrivateDnsNamespace: () => ({ body: { OperationId: "op-u" } }),
      GetOperation: () => updating,
    });
    const spec = { type: "DnsPrivate" as const, name: "app.local", vpc: "vpc-0abc", description: "new" };
    const h = harness(namespaceObject(spec, 2, { id: "ns-abc", observedGeneration: 1 }));
    const driver = cloudMapNamespaceDriver(aws.client, () => NOW);
    await reconcile(h.obj, driver, h.ctx);

    expect(aws.calls.find((c) => c.operation === "UpdatePrivateDnsNamespace")?.input).toMatchObject({ Id: "ns-abc", Namespace: { Description: "new" } });
    expect(h.obj.status).toMatchObject({ id: "ns-abc", operationId: "op-u", operationGeneration: 2 });
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "Updating" });

    await reconcile(h.obj, driver, h.ctx);
    expect(aws.operations().filter((op) => op === "UpdatePrivateDnsNamespace")).toHaveLength(1);
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "Updating" });
  });

  it("keeps the finalizer while DELETE_NAMESPACE runs, follows it through DuplicateRequest, and lets go on SUCCESS", async () => {
    let deleteStatus = "PENDING";
    const aws = fakeCloudMap({
      GetNamespace: () => ({ body: { Namespace: namespaceBody() } }),
      ListTagsForResource: () => ({ body: { Tags: OUR_TAGS } }),
      DeleteNamespace: () =>
        aws.operations().filter((op) => op === "DeleteNamespace").length === 1
          ? { body: { OperationId: "op-d" } }
          : awsError("DuplicateRequest", "The operation is already in progress.", { DuplicateOperationId: "op-d" }),
      GetOperation: () => getOperation(deleteStatus, { Id: "op-d", Type: "DELETE_NAMESPACE" }),
    });
    const obj = namespaceObject({}, 1, { id: "ns-abc" });
    const h = harness({ ...obj, metadata: { ...obj.metadata, deletionTimestamp: "2025-03-01T11:59:00Z" } });
    const driver = cloudMapNamespaceDriver(aws.client, () => NOW);

    await reconcile(h.obj, driver, h.ctx);
    expect(h.finalizerRemoved()).toBe(false);
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "Deleting" });

    deleteStatus = "SUCCESS";
    await reconcile(h.obj, driver, h.ctx);
    expect(h.finalizerRemoved()).toBe(true);
    expect(aws.calls.filter((c) => c.operation === "GetOperation").map((c) => c.input.OperationId)).toEqual(["op-d", "op-d"]);
  });

  it("does not take another operation named by DuplicateRequest for the deletion", async () => {
    const aws = fakeCloudMap({
      GetNamespace: () => ({ body: { Namespace: namespaceBody() } }),
      ListTagsForResource: () => ({ body: { Tags: OUR_TAGS } }),
      DeleteNamespace: () => awsError("DuplicateRequest", "The operation is already in progress.", { DuplicateOperationId: "op-u" }),
      GetOperation: () => getOperation("SUCCESS", { Id: "op-u", Type: "UPDATE_NAMESPACE" }),
    });
    const obj = namespaceObject({}, 1, { id: "ns-abc" });
    const h = harness({ ...obj, metadata: { ...obj.metadata, deletionTimestamp: "2025-03-01T11:59:00Z" } });
    await reconcile(h.obj, cloudMapNamespaceDriver(aws.client, () => NOW), h.ctx);
    expect(h.finalizerRemoved()).toBe(false);
  });
});

const SERVICE_ARN = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1";
const SERVICE_TAGS = [
  { Key: "ecs-operator.dev/owner", Value: "team-a/backend" },
  { Key: "ecs-operator.dev/uid", Value: UID },
  { Key: "ecs-operator.dev/kind", Value: "CloudMapService" },
];

function serviceObject(ttl: number, status?: CloudMapService["status"]): CloudMapService {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "CloudMapService",
    metadata: { name: "backend", namespace: "team-a", uid: UID, generation: 2, finalizers: [FINALIZER] },
    spec: { namespaceId: "ns-abc", dnsConfig: { dnsRecords: [{ type: "A", ttl }] } },
    ...(status ? { status } : {}),
  };
}

const serviceBody = (ttl: number) => ({
  Id: "srv-1",
  Arn: SERVICE_ARN,
  Name: "backend",
  NamespaceId: "ns-abc",
  DnsConfig: { NamespaceId: "ns-abc", RoutingPolicy: "MULTIVALUE", DnsRecords: [{ Type: "A", TTL: ttl }] },
  Type: "DNS_HTTP",
  CreatorRequestId: UID,
});


describe("CloudMapService asynchronous updates and idempotent creation (AWS-shaped answers)", () => {
  it("follows an UpdateService that AWS is still applying, named by DuplicateRequest, as Updating", async () => {
    const aws = fakeCloudMap({
      GetService: () => ({ body: { Service: serviceBody(60) } }),
      ListTagsForResource: () => ({ body: { Tags: SERVICE_TAGS } }),
      UpdateService: () => awsError("DuplicateRequest", "The operation is already in progress.", { DuplicateOperationId: "op-s" }),
      GetOperation: () => getOperation("PENDING", { Id: "op-s", Type: "UPDATE_SERVICE", Targets: { SERVICE: "srv-1" } }),
    });
    const h = harness(serviceObject(10, { id: "srv-1", namespaceId: "ns-abc", observedGeneration: 1 }));
    const result = await reconcile(h.obj, cloudMapServiceDriver(aws.client, () => NOW), h.ctx);

    expect(aws.calls.find((c) => c.operation === "UpdateService")?.input).toEqual({ Id: "srv-1", Service: { Description: "", DnsConfig: { DnsRecords: [{ Type: "A", TTL: 10 }] } } });
    expect(h.condition("Ready")).toMatchObject({ status: "False", reason: "Updating" });
    expect(h.condition("Synced")).toMatchObject({ status: "True" });
    expect(result.requeueAfterMs).toBe(5000);
  });

  it("reports a failed UPDATE_SERVICE operation as Synced=False InvalidSpec with AWS's message", async () => {
    const aws = fakeCloudMap({
      GetService: () => ({ body: { Service: serviceBody(60) } }),
      ListTagsForResource: () => ({ body: { Tags: SERVICE_TAGS } }),
      UpdateService: () => ({ body: { OperationId: "op-s" } }),
      GetOperation: () => getOperation("FAIL", { Id: "op-s", Type: "UPDATE_SERVICE", ErrorCode: "INVALID_CHANGE_BATCH", ErrorMessage: "TTL not allowed" }),
    });
    const h = harness(serviceObject(10, { id: "srv-1", namespaceId: "ns-abc", observedGeneration: 1 }));
    const result = await reconcile(h.obj, cloudMapServiceDriver(aws.client, () => NOW), h.ctx);

    expect(result.error?.errorClass).toBe("terminal");
    expect(h.condition("Synced")).toMatchObject({ status: "False", reason: "InvalidSpec", message: expect.stringContaining("TTL not allowed") as unknown });
  });

  it("takes the service AWS names in ServiceAlreadyExists when it carries our creator request id", async () => {
    const aws = fakeCloudMap({
      ListServices: () => ({ body: { Services: [] } }),
      CreateService: () => awsError("ServiceAlreadyExists", "Service already exists", { CreatorRequestId: UID, ServiceId: "srv-1" }),
      GetService: () => ({ body: { Service: serviceBody(10) } }),
      ListTagsForResource: () => ({ body: { Tags: SERVICE_TAGS } }),
    });
    const h = harness(serviceObject(10));
    await reconcile(h.obj, cloudMapServiceDriver(aws.client, () => NOW), h.ctx);

    expect(aws.operations().filter((op) => op === "CreateService")).toHaveLength(1);
    expect(h.obj.status).toMatchObject({ id: "srv-1", arn: SERVICE_ARN, namespaceId: "ns-abc" });
    expect(h.condition("Ready")).toMatchObject({ status: "True", reason: "Available" });
  });

  it("treats ServiceAlreadyExists for someone else's request as retryable, leaving the verdict to the next observe", async () => {
    const aws = fakeCloudMap({
      ListServices: () => ({ body: { Services: [] } }),
      CreateService: () => awsError("ServiceAlreadyExists", "Service already exists", { CreatorRequestId: "someone-else", ServiceId: "srv-9" }),
    });
    const h = harness(serviceObject(10));
    const result = await reconcile(h.obj, cloudMapServiceDriver(aws.client, () => NOW), h.ctx);

    expect(result.error?.errorClass).toBe("retryable");
    expect(aws.operations()).toEqual(["ListServices", "CreateService"]);
  });
});
