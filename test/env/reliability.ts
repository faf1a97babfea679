// The reliability scenarios of issue 9 (design.md section 3), parametrised by size: the short
// versions in test/integration/reliability-*.test.ts and the long ones in test/reliability/ call
// the same functions. Each scenario runs the operator under the Helm chart's RBAC, checks what it
// promises with `expect`, and returns the figures it measured (docs/reliability.md quotes them).
import { CreateTargetGroupCommand, DeleteRuleCommand, DeleteTargetGroupCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { CreateClusterCommand, DeleteClusterCommand, DeleteServiceCommand, DeregisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { CreateHttpNamespaceCommand, DeleteNamespaceCommand, DeleteServiceCommand as DeleteCloudMapServiceCommand } from "@aws-sdk/client-servicediscovery";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { API_VERSION } from "../../src/api/common.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { AwsProxyControl, callsTo, type CallCounts, totalsFor, writeCalls } from "./aws-proxy-control.js";
import { checkExactlyOnce, CREATE_OPERATIONS, listAwsResources, type AwsResource } from "./aws-inventory.js";
import { testAwsClients, uniqueAccountId } from "./aws.js";
import { operatorUnderChartRbac } from "./chart-rbac.js";
import { seededRandom } from "./aws-proxy.js";
import { applyManifests, applyManifestsAsync, countByKind, exampleManifests, fleet, isConverged, KINDS, kubectlOn, kubectlOnAsync, listObjects, PLURALS, prepareAccount, unit, waitConverged, type Kind, type Manifest, type MotoIds } from "./fleet.js";
import { startControlPlane } from "./controlplane.js";
import { installCrds, loadCrdFiles } from "./crds.js";
import { createTestNamespace, getObject, waitFor, waitForCondition } from "./kube.js";
import type { OperatorProcess } from "./operator-process.js";
import { repoRoot } from "./paths.js";
import { TcpProxy } from "./tcp-proxy.js";
import type { StackInfo } from "./stack.js";

export type Figures = Record<string, unknown>;

/** Prints a scenario's figures as one line that docs/reliability.md can quote. */
export function report(scenario: string, figures: Figures): void {
  process.stdout.write(`[reliability] ${scenario}: ${JSON.stringify(figures)}\n`);
}

export function logger(scenario: string): (line: string) => void {
  return (line) => process.stdout.write(`[reliability] ${scenario}: ${line}\n`);
}

/** RELIABILITY_SEED replays a run; otherwise a fresh seed, printed by the scenario. */
export function scenarioSeed(): number {
  const fromEnv = process.env.RELIABILITY_SEED;
  if (fromEnv !== undefined && fromEnv !== "") {
    const seed = Number(fromEnv);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`RELIABILITY_SEED must be a non-negative integer, got ${fromEnv}`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** Creates that reached moto, and those it answered with success, per kind. */
export function createsByKind(counts: CallCounts): Record<string, { forwarded: number; ok: number }> {
  const out: Record<string, { forwarded: number; ok: number }> = {};
  for (const [kind, operations] of Object.entries(CREATE_OPERATIONS)) {
    let forwarded = 0;
    let ok = 0;
    for (const op of operations) {
      const t = totalsFor(counts, op);
      forwarded += t.ok + t.upstreamError;
      ok += t.ok;
    }
    out[kind] = { forwarded, ok };
  }
  return out;
}

/**
 * The exactly-once evidence for a converged fleet: every resource type listed with its owner
 * tags (one resource per object, no orphan, no unowned resource), and every object's resource
 * created by exactly one create call that reached moto (answered or not: a kill may cut the answer). The second half matters because moto is
 * more forgiving than AWS: its CreateService silently replaces a service of the same name, so a
 * duplicate create would leave one service behind and the listing alone could not see it.
 */
export async function assertExactlyOnce(
  stack: StackInfo,
  accountId: string,
  objects: Awaited<ReturnType<typeof listObjects>>,
  opts: { listenerArns: string[]; counts: CallCounts },
): Promise<{ resources: number; owned: Record<string, number>; creates: Record<string, { forwarded: number; ok: number }> }> {
  const resources = await listAwsResources(stack, accountId, opts.listenerArns);
  const checked = checkExactlyOnce(resources, objects, { oneRevisionEach: true });
  expect(checked.problems, "one AWS resource per object, no orphans").toEqual([]);
  const creates = createsByKind(opts.counts);
  const perKind = countByKind(objects);
  for (const kind of KINDS) {
    // `ok` falls short of `forwarded` when a kill cut the answer to a create that AWS carried out:
    // the operator found the resource afterwards instead of creating it again.
    expect(creates[kind]?.forwarded, `${kind}: create calls that reached moto, one per object`).toBe(perKind[kind] ?? 0);
    expect(creates[kind]?.ok, `${kind}: create calls answered`).toBeLessThanOrEqual(perKind[kind] ?? 0);
  }
  return { resources: resources.length, owned: checked.owned, creates };
}

export interface CrashSafetyOptions {
  objects: number;
  kills: number;
  /** Bounds of the random delay between applying a batch and the SIGKILL (for half the kills;
   * the other half fall at a random delay after the next create call). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Latency added to every AWS call, so that kills land inside reconciles more often. */
  latencyMs?: number;
  convergeTimeoutMs?: number;
}

/**
 * Promise 4 (exactly once in AWS) under crashes: a fleet of `objects` objects of every kind is
 * applied in batches while the operator is SIGKILLed at seeded random moments and restarted
 * `kills` times. After the last restart every object must be Ready, and AWS must hold exactly one
 * resource per object, none without an owner, each made by a single create call.
 */
export async function crashSafety(stack: StackInfo, opts: CrashSafetyOptions): Promise<Figures> {
  const log = logger("crash-safety");
  const seed = scenarioSeed();
  log(`seed ${seed} (replay with RELIABILITY_SEED=${seed}), ${opts.objects} objects, ${opts.kills} kills`);
  const random = seededRandom(seed);
  const minDelayMs = opts.minDelayMs ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 3000;
  const accountId = uniqueAccountId();
  const proxy = new AwsProxyControl(stack.awsEndpoint);
  const namespace = await createTestNamespace(stack, "crash");
  const ids = await prepareAccount(stack, accountId, "reliability-alb", { dnsVpcs: Math.ceil(opts.objects / 14) });
  const operator = operatorUnderChartRbac(stack, { accountId, namespaces: [namespace], resyncSeconds: 10, workers: 4 });
  const manifests = fleet(opts.objects, ids, namespace);
  const batches: Manifest[][] = Array.from({ length: opts.kills }, (_, k) => manifests.filter((_m, i) => Math.floor((i * opts.kills) / manifests.length) === k));
  await proxy.reset(accountId);
  const slow = opts.latencyMs ? await proxy.addFault({ kind: "latency", latencyMs: opts.latencyMs, accountId }) : undefined;

  const started = Date.now();
  const delays: number[] = [];
  const notReadyAtKill: number[] = [];
  // Objects whose AWS resource existed while their status did not name it yet: the kill landed
  // between a create and the status write, the window that idempotent creates are for.
  const unrecordedAtKill: number[] = [];
  const createOps = new Set(Object.values(CREATE_OPERATIONS).flat());
  let afterCreate = 0;
  for (const batch of batches) {
    const op = await operator.start();
    const appliedAt = Date.now();
    applyManifests(stack, namespace, batch);
    // Half the kills fall at a random delay after the batch is applied, half at a random delay
    // after the next create call reaches AWS: inside the create, or between it and the status write.
    if (random() < 0.5) {
      const delay = Math.round(minDelayMs + random() * (maxDelayMs - minDelayMs));
      delays.push(delay);
      await sleep(delay);
    } else {
      const delay = Math.round(random() * (opts.latencyMs ?? 0) * 4);
      const deadline = Date.now() + maxDelayMs * 2;
      while (!(await proxy.calls(accountId, appliedAt)).some((c) => createOps.has(c.operation)) && Date.now() < deadline) await sleep(50);
      afterCreate++;
      delays.push(Date.now() - appliedAt + delay);
      await sleep(delay);
    }
    const diedByItself = await Promise.race([op.exited.then(() => true), sleep(0).then(() => false)]);
    expect(diedByItself, `the operator exited on its own before kill ${delays.length}:\n${op.output().slice(-3000)}`).toBe(false);
    await op.kill();
    const [objects, resources] = await Promise.all([listObjects(stack, namespace), listAwsResources(stack, accountId, [ids.listenerArn])]);
    const inAws = new Set(resources.map((r) => r.tags["ecs-operator.dev/uid"]));
    notReadyAtKill.push(objects.filter((o) => o.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True").length);
    unrecordedAtKill.push(objects.filter((o) => inAws.has(o.metadata.uid) && (o.kind === "TaskDefinition" ? o.status?.taskDefinitionArn : o.status?.arn) === undefined).length);
  }
  const killPhaseMs = Date.now() - started;
  if (slow) await proxy.removeFault(slow);
  log(`${opts.kills} kills in ${killPhaseMs} ms (delays ${Math.min(...delays)}-${Math.max(...delays)} ms); at each kill, objects not Ready: ${notReadyAtKill.join(",")}; created in AWS but not yet in status: ${unrecordedAtKill.join(",")}`);

  const op = await operator.start();
  try {
    const objects = await waitConverged(stack, namespace, { timeoutMs: opts.convergeTimeoutMs ?? 180_000, expect: manifests.length, log });
    const convergedMs = Date.now() - started;
    const evidence = await assertExactlyOnce(stack, accountId, objects, { listenerArns: [ids.listenerArn], counts: await proxy.counts(accountId) });
    expect(op.output()).not.toMatch(/forbidden/i);
    const figures = {
      seed,
      objects: manifests.length,
      byKind: countByKind(manifests),
      kills: opts.kills,
      killDelaysMs: { min: Math.min(...delays), max: Math.max(...delays) },
      killsTriggeredByACreate: afterCreate,
      killsWhileObjectsNotReady: notReadyAtKill.filter((n) => n > 0).length,
      killsBetweenCreateAndStatusWrite: unrecordedAtKill.filter((n) => n > 0).length,
      createAnswersLostToKills: Object.values(evidence.creates).reduce((n, c) => n + c.forwarded - c.ok, 0),
      killPhaseMs,
      convergedAfterMs: convergedMs,
      ...evidence,
    };
    report("crash-safety", figures);
    return figures;
  } finally {
    await op.stop();
  }
}


export interface AwsFaultsOptions {
  objects: number;
  /** Share of AWS calls answered with a fault, split evenly between throttling, 503 and a dropped connection. */
  rate?: number;
  /** Keep the faults on at least until the work queue has retried this many times... */
  minQueueRetries?: number;
  /** ...and for at least this long (periodic re-checks go on under the faults meanwhile). */
  minFaultyMs?: number;
  convergeTimeoutMs?: number;
}

/**
 * Promise 8 and 4 under AWS faults: with `rate` of the account's AWS calls answered by the proxy
 * with ThrottlingException/Throttling, a 503 or a dropped connection, a fleet of every kind still
 * converges; the operator's metrics show the throttling and the work queue's backoff; once the
 * faults stop no object is left in error, and AWS holds exactly one resource per object.
 */
export async function awsFaults(stack: StackInfo, opts: AwsFaultsOptions): Promise<Figures> {
  const log = logger("aws-faults");
  const rate = opts.rate ?? 0.2;
  const accountId = uniqueAccountId();
  const proxy = new AwsProxyControl(stack.awsEndpoint);
  const namespace = await createTestNamespace(stack, "awsfaults");
  const ids = await prepareAccount(stack, accountId, "reliability-alb", { dnsVpcs: Math.ceil(opts.objects / 14) });
  const operator = operatorUnderChartRbac(stack, { accountId, namespaces: [namespace], resyncSeconds: 3, workers: 4 });
  const manifests = fleet(opts.objects, ids, namespace);
  const op = await operator.start();
  try {
    await proxy.reset(accountId);
    for (const kind of ["throttle", "error503", "drop"] as const) await proxy.addFault({ kind, rate: rate / 3, accountId });
    const started = Date.now();
    applyManifests(stack, namespace, manifests);
    await waitConverged(stack, namespace, { timeoutMs: opts.convergeTimeoutMs ?? 180_000, expect: manifests.length, log });
    const convergedUnderFaultsMs = Date.now() - started;
    // Periodic re-checks go on under the faults: wait until the work queue has visibly backed off.
    const minRetries = opts.minQueueRetries ?? 1;
    const deadline = Date.now() + Math.max(60_000, (opts.minFaultyMs ?? 0) + 30_000);
    while (((await op.metric("ecs_operator_workqueue_retries_total")) < minRetries || Date.now() - started < (opts.minFaultyMs ?? 0)) && Date.now() < deadline) await sleep(1000);
    const faultyPhaseMs = Date.now() - started;
    // A transient failure says nothing about the resource: Ready stays as it was (only Synced says it).
    const lostReady = (await listObjects(stack, namespace)).filter((o) => !isConverged(o)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(lostReady, "objects that lost Ready under the faults").toEqual([]);
    await proxy.clearFaults(accountId);
    const faultCounts = await proxy.counts(accountId);
    const all = totalsFor(faultCounts, "*");

    const objects = await waitConverged(stack, namespace, { timeoutMs: 60_000, synced: true, expect: manifests.length, log });
    const recoveredMs = Date.now() - started - faultyPhaseMs;
    const evidence = await assertExactlyOnce(stack, accountId, objects, { listenerArns: [ids.listenerArn], counts: await proxy.counts(accountId) });
    const metrics = {
      throttledCalls: await op.metric("ecs_operator_aws_calls_total", { outcome: "throttled" }),
      failedCalls: await op.metric("ecs_operator_aws_calls_total", { outcome: "error" }),
      queueRetries: await op.metric("ecs_operator_workqueue_retries_total"),
      reconcileErrorsThrottled: await op.metric("ecs_operator_reconcile_errors_total", { class: "throttled" }),
      reconcileErrorsRetryable: await op.metric("ecs_operator_reconcile_errors_total", { class: "retryable" }),
      reconcileErrorsTerminal: await op.metric("ecs_operator_reconcile_errors_total", { class: "terminal" }),
    };
    expect(all.throttled, "the proxy answered calls with throttling").toBeGreaterThan(0);
    expect(all.injected, "the proxy answered calls with 503 or dropped them").toBeGreaterThan(0);
    expect(metrics.throttledCalls, "throttled calls counted in ecs_operator_aws_calls_total").toBeGreaterThan(0);
    expect(metrics.queueRetries, "keys put back in the work queue with backoff").toBeGreaterThanOrEqual(minRetries);
    // A fault is never the spec's fault: nothing may be parked as terminally invalid.
    expect(metrics.reconcileErrorsTerminal, "transient faults classified as terminal").toBe(0);
    expect(op.output()).not.toMatch(/forbidden/i);
    const figures = {
      objects: manifests.length,
      byKind: countByKind(manifests),
      faultRate: rate,
      awsCalls: all.calls,
      throttledByProxy: all.throttled,
      failedOrDroppedByProxy: all.injected,
      convergedUnderFaultsMs,
      faultyPhaseMs,
      recoveredAfterFaultsMs: recoveredMs,
      operatorMetrics: metrics,
      ...evidence,
    };
    report("aws-faults", figures);
    return figures;
  } finally {
    await proxy.clearFaults(accountId);
    await op.stop();
  }
}

/** The AWS resource that carries an object's uid tag (for a task definition, its newest revision). */
async function ownedResource(stack: StackInfo, accountId: string, listenerArns: string[], uid: string): Promise<AwsResource | undefined> {
  const owned = (await listAwsResources(stack, accountId, listenerArns)).filter((r) => r.tags["ecs-operator.dev/uid"] === uid);
  return owned.sort((a, b) => a.arn.localeCompare(b.arn, undefined, { numeric: true })).at(-1);
}

export interface OutOfBandOptions {
  /** How many times each AWS resource is deleted behind the operator's back. */
  rounds: number;
  resyncSeconds?: number;
}

/**
 * Out-of-band changes: each kind's AWS resource deleted behind the operator's back is recreated on
 * the next periodic re-check (promise 1), an Observe object whose resource goes reports NotFound,
 * and deleting objects whose AWS resources are already gone completes: no finalizer waits for
 * ever on something that no longer exists, not even a service whose cluster never existed.
 */
export async function outOfBand(stack: StackInfo, opts: OutOfBandOptions): Promise<Figures> {
  const log = logger("out-of-band");
  const resyncSeconds = opts.resyncSeconds ?? 3;
  const accountId = uniqueAccountId();
  const proxy = new AwsProxyControl(stack.awsEndpoint);
  const aws = testAwsClients(stack, accountId);
  const namespace = await createTestNamespace(stack, "oob");
  const ids = await prepareAccount(stack, accountId);
  const listeners = [ids.listenerArn];
  const operator = operatorUnderChartRbac(stack, { accountId, namespaces: [namespace], resyncSeconds, workers: 4 });

  // One unit with an HTTP namespace (no service registry), so that recreating one resource does
  // not change another's identity under it, plus a standalone cluster, group and namespace.
  const managed = [
    ...unit(1, ids, namespace),
    { apiVersion: API_VERSION, kind: "EcsCluster" as const, metadata: { name: "lonely" }, spec: {} },
    { apiVersion: API_VERSION, kind: "TargetGroup" as const, metadata: { name: "lonely" }, spec: { protocol: "HTTP", port: 8080, vpcId: ids.vpc } },
    { apiVersion: API_VERSION, kind: "CloudMapNamespace" as const, metadata: { name: "lonely" }, spec: { type: "Http", name: `lonely-${namespace}` } },
  ];
  // A service in a cluster that does not exist: it can never be created (it waits, naming the
  // cluster, with backoff), and deleting it must not wait for a service that cannot exist.
  const ghost: Manifest = {
    apiVersion: API_VERSION,
    kind: "EcsService",
    metadata: { name: "ghost" },
    spec: { cluster: "no-such-cluster", taskDefinition: "no-such-family:1", desiredCount: 1, launchType: "EC2" },
  };
  let op = await operator.start();
  const figures: Figures = { rounds: opts.rounds, resyncSeconds };
  try {
    applyManifests(stack, namespace, [...managed, ghost]);
    await waitFor("ghost to say that its cluster does not exist", async () => {
      const obj = await getObject(stack, "ecsservices", namespace, "ghost");
      return obj?.status?.conditions?.find((c) => c.type === "Synced" && c.status === "False" && c.reason === "WaitingForDependency" && /cluster no-such-cluster \(spec\.cluster\) does not exist in AWS/.test(c.message));
    }, 60_000);
    await waitConverged(stack, namespace, { timeoutMs: 120_000, expect: managed.length + 1, log, ignore: ["ghost"] });

    // 1. Deleted behind the operator's back → recreated on the next re-check.
    const recreateMs: Record<string, number[]> = {};
    for (let round = 1; round <= opts.rounds; round++) {
      const objects = await listObjects(stack, namespace);
      const find = (kind: Kind, name: string): ManagedObject => {
        const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
        if (!obj) throw new Error(`no ${kind} ${name}`);
        return obj;
      };
      const victims: { obj: ManagedObject; remove: () => Promise<unknown> }[] = [
        { obj: find("EcsCluster", "lonely"), remove: () => aws.ecs.send(new DeleteClusterCommand({ cluster: String(find("EcsCluster", "lonely").status?.arn) })) },
        { obj: find("TargetGroup", "lonely"), remove: () => aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: String(find("TargetGroup", "lonely").status?.arn) })) },
        { obj: find("CloudMapNamespace", "lonely"), remove: () => aws.serviceDiscovery.send(new DeleteNamespaceCommand({ Id: String(find("CloudMapNamespace", "lonely").status?.id) })) },
        { obj: find("ListenerRule", "lr-1"), remove: () => aws.elbv2.send(new DeleteRuleCommand({ RuleArn: String(find("ListenerRule", "lr-1").status?.arn) })) },
        { obj: find("CloudMapService", "cmsvc-1"), remove: () => aws.serviceDiscovery.send(new DeleteCloudMapServiceCommand({ Id: String(find("CloudMapService", "cmsvc-1").status?.id) })) },
        { obj: find("TaskDefinition", "td-1"), remove: () => aws.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: String(find("TaskDefinition", "td-1").status?.taskDefinitionArn) })) },
        {
          obj: find("EcsService", "svc-1"),
          remove: () => aws.ecs.send(new DeleteServiceCommand({ cluster: String(find("EcsService", "svc-1").status?.clusterArn), service: String(find("EcsService", "svc-1").status?.serviceName), force: true })),
        },
      ];
      const before = await proxy.counts(accountId);
      for (const { obj, remove } of victims) {
        const started = Date.now();
        await remove();
        await waitFor(`${obj.kind} ${obj.metadata.name} recreated in AWS`, async () => {
          // Deletions are synchronous in moto, so a resource with the uid is a new one.
          const resource = await ownedResource(stack, accountId, listeners, obj.metadata.uid);
          const now = await getObject(stack, PLURALS[obj.kind as Kind], namespace, obj.metadata.name);
          return resource && now && isConverged(now, true) ? true : undefined;
        }, resyncSeconds * 1000 * 6);
        (recreateMs[obj.kind] ??= []).push(Date.now() - started);
      }
      const creates = createsByKind(diffCounts(await proxy.counts(accountId), before));
      for (const { obj } of victims) expect(creates[obj.kind]?.ok, `${obj.kind}: recreated with one create`).toBeGreaterThanOrEqual(1);
      log(`round ${round}: recreated ${victims.map((v) => `${v.obj.kind}/${v.obj.metadata.name}`).join(", ")}`);
    }
    figures.recreatedAfterMs = Object.fromEntries(Object.entries(recreateMs).map(([k, v]) => [k, { min: Math.min(...v), max: Math.max(...v) }]));
    const steady = await waitConverged(stack, namespace, { timeoutMs: 60_000, synced: true, expect: managed.length + 1, log, ignore: ["ghost"] });
    const resources = await listAwsResources(stack, accountId, listeners);
    const checked = checkExactlyOnce(resources, steady.filter((o) => o.metadata.name !== "ghost"), { oneRevisionEach: false });
    expect(checked.problems, "after the recreations: one resource per object, no orphans").toEqual([]);

    // 2. Observe: the resource goes, the object says NotFound (and never recreates it).
    const suffix = namespace.replace(/[^a-z0-9]/g, "").slice(-12);
    await aws.ecs.send(new CreateClusterCommand({ clusterName: `observed-${suffix}` }));
    const tg = await aws.elbv2.send(new CreateTargetGroupCommand({ Name: `observed-${suffix}`, Protocol: "HTTP", Port: 80, VpcId: ids.vpc }));
    await aws.serviceDiscovery.send(new CreateHttpNamespaceCommand({ Name: `observed-${suffix}`, CreatorRequestId: `observed-${suffix}` }));
    const observed: Manifest[] = [
      { apiVersion: API_VERSION, kind: "EcsCluster", metadata: { name: "observed" }, spec: { clusterName: `observed-${suffix}`, managementPolicy: "Observe" } },
      { apiVersion: API_VERSION, kind: "TargetGroup", metadata: { name: "observed" }, spec: { name: `observed-${suffix}`, protocol: "HTTP", port: 80, vpcId: ids.vpc, managementPolicy: "Observe" } },
      { apiVersion: API_VERSION, kind: "CloudMapNamespace", metadata: { name: "observed" }, spec: { type: "Http", name: `observed-${suffix}`, managementPolicy: "Observe" } },
    ];
    applyManifests(stack, namespace, observed);
    for (const m of observed) await waitForCondition(stack, PLURALS[m.kind], namespace, m.metadata.name, { type: "Ready", status: "True" }, 60_000);
    const observedNs = await getObject(stack, "cloudmapnamespaces", namespace, "observed");
    await proxy.reset(accountId);
    await aws.ecs.send(new DeleteClusterCommand({ cluster: `observed-${suffix}` }));
    await aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroups?.[0]?.TargetGroupArn }));
    await aws.serviceDiscovery.send(new DeleteNamespaceCommand({ Id: String(observedNs?.status?.id) }));
    const notFoundAt = Date.now();
    for (const m of observed) await waitForCondition(stack, PLURALS[m.kind], namespace, m.metadata.name, { type: "Ready", status: "False", reason: "NotFound" }, resyncSeconds * 1000 * 6);
    figures.observeNotFoundAfterMs = Date.now() - notFoundAt;
    // The test's own three deletes are the only writes (besides the ghost's retried
    // CreateService): Observe never recreates anything.
    const afterObserve = await proxy.counts(accountId);
    expect(writeCalls(afterObserve) - callsTo(afterObserve, "ecs:CreateService"), "writes besides the test's three deletes").toBe(3);

    // 3. AWS resources gone first, then the objects: every deletion completes. The operator is
    // stopped meanwhile, so that no re-check recreates a resource before its object is deleted.
    await op.stop();
    const all = await listObjects(stack, namespace);
    const get = (kind: Kind, name: string): ManagedObject | undefined => all.find((o) => o.kind === kind && o.metadata.name === name);
    const svc = get("EcsService", "svc-1");
    await aws.ecs.send(new DeleteServiceCommand({ cluster: String(svc?.status?.clusterArn), service: String(svc?.status?.serviceName), force: true }));
    await aws.elbv2.send(new DeleteRuleCommand({ RuleArn: String(get("ListenerRule", "lr-1")?.status?.arn) }));
    await aws.serviceDiscovery.send(new DeleteCloudMapServiceCommand({ Id: String(get("CloudMapService", "cmsvc-1")?.status?.id) }));
    for (const name of ["tg-1", "lonely"]) await aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: String(get("TargetGroup", name)?.status?.arn) }));
    for (const name of ["cmns-1", "lonely"]) await aws.serviceDiscovery.send(new DeleteNamespaceCommand({ Id: String(get("CloudMapNamespace", name)?.status?.id) }));
    await aws.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: String(get("TaskDefinition", "td-1")?.status?.taskDefinitionArn) }));
    for (const name of ["c-1", "lonely"]) await aws.ecs.send(new DeleteClusterCommand({ cluster: String(get("EcsCluster", name)?.status?.arn) }));
    kubectlOn(stack, ["delete", Object.values(PLURALS).join(","), "--all", "-n", namespace, "--wait=false"]);
    op = await operator.start();
    const deleteStarted = Date.now();
    await waitFor("every object deleted", async () => ((await listObjects(stack, namespace)).length === 0 ? true : undefined), 60_000).catch(async (err: unknown) => {
      const left = (await listObjects(stack, namespace)).map((o) => `${o.kind}/${o.metadata.name} (${o.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join("; ") ?? ""})`);
      throw new Error(`${String(err)}; still there: ${left.join(", ")}`);
    });
    figures.deletedAfterMs = Date.now() - deleteStarted;
    figures.objectsDeletedWithResourcesGone = all.length;
    const leftovers = checkExactlyOnce(await listAwsResources(stack, accountId, listeners), []);
    expect(leftovers.problems, "nothing owned left in AWS").toEqual([]);
    expect(op.output()).not.toMatch(/forbidden/i);
    report("out-of-band", figures);
    return figures;
  } finally {
    await op.stop();
  }
}

/** The write operations in `counts`, by name, for assertion messages. */
function writesIn(counts: CallCounts): string {
  const out: string[] = [];
  for (const ops of Object.values(counts)) for (const [name, c] of Object.entries(ops)) if (!/:(Describe|List|Get)/.test(name)) out.push(`${name} ×${c.calls}`);
  return out.join(", ") || "none";
}

function diffCounts(after: CallCounts, before: CallCounts): CallCounts {
  const out: CallCounts = {};
  for (const [account, ops] of Object.entries(after)) {
    out[account] = {};
    for (const [name, c] of Object.entries(ops)) {
      const b = before[account]?.[name];
      out[account][name] = {
        calls: c.calls - (b?.calls ?? 0),
        ok: c.ok - (b?.ok ?? 0),
        throttled: c.throttled - (b?.throttled ?? 0),
        injected: c.injected - (b?.injected ?? 0),
        upstreamError: c.upstreamError - (b?.upstreamError ?? 0),
      };
    }
  }
  return out;
}

export interface ApiServerFaultsOptions {
  /** kube-apiserver restarts, each with a change just before and just after. */
  restarts: number;
  /** etcd restarts (kube-apiserver stays up), each with a change just before and just after. */
  etcdRestarts?: number;
  /** How long the API server (or etcd) stays down at each restart. */
  downMs?: number;
  /** Times the operator's connections (its watches) are cut while objects change. */
  cuts: number;
  /** Network partitions between the operator and the API server, with changes made meanwhile. */
  partitions: number;
  partitionMs?: number;
}

/**
 * Promise 1 through API server faults: the operator runs against a private control plane (as the
 * chart's ServiceAccount) through a TCP relay. The API server, then etcd, is restarted with changes
 * made just before and just after; the relay cuts the operator's watches and partitions it from the server
 * while objects are changed, created and deleted. The operator must not exit, and every change
 * must reach AWS through the watch: the periodic re-check is set to 10 minutes, out of reach.
 */
export async function apiServerFaults(stack: StackInfo, opts: ApiServerFaultsOptions): Promise<Figures> {
  const log = logger("apiserver-faults");
  const cp = await startControlPlane({
    log: (line) => {
      log(`control plane: ${line}`);
    },
  });
  const { proxy: relay, url: relayUrl } = await TcpProxy.inFrontOf(cp.server);
  const target = { kubeconfigPath: cp.kubeconfigPath, kubectl: stack.kubectl, helm: stack.helm };
  let op: OperatorProcess | undefined;
  try {
    await installCrds(cp.kubeconfigPath, loadCrdFiles(join(repoRoot, "crds")));
    const namespace = `apifaults-${Math.random().toString(36).slice(2, 8)}`;
    await kubectlOnAsync(target, ["create", "namespace", namespace]);
    const accountId = uniqueAccountId();
    const ids = await prepareAccount(stack, accountId);
    const operator = operatorUnderChartRbac(stack, { accountId, namespaces: [namespace], target, server: relayUrl, resyncSeconds: 600, workers: 4 });
    op = await operator.start();
    const running = op;
    const alive = async (): Promise<boolean> => Promise.race([running.exited.then(() => false), sleep(0).then(() => true)]);

    // Every change sets a tag on every object; a change has reached AWS when every object's resource carries it.
    const base = unit(0, ids, namespace);
    const marked = (marks: Record<string, string>): Manifest[] => base.map((m) => ({ ...m, spec: { ...m.spec, tags: { ...((m.spec.tags as Record<string, string> | undefined) ?? {}), ...marks } } }));
    const marks: Record<string, string> = {};
    const extras: Manifest[] = [];
    const extra = (name: string): Manifest => ({ apiVersion: API_VERSION, kind: "EcsCluster", metadata: { name }, spec: { tags: { extra: name } } });
    // kubectl runs asynchronously throughout: the relay lives in this process.
    const change = async (key: string, value: string): Promise<void> => {
      marks[key] = value;
      await applyManifestsAsync(target, namespace, marked(marks));
    };
    const reachedAws = async (what: string, timeoutMs = 90_000): Promise<number> => {
      const started = Date.now();
      await waitFor(
        `${what} in AWS`,
        async () => {
          const objects = await listObjects(target, namespace);
          const resources = await listAwsResources(stack, accountId, [ids.listenerArn]);
          const extrasWanted = new Set(extras.map((e) => e.metadata.name));
          const ok =
            base.every((m) => {
              const obj = objects.find((o) => o.kind === m.kind && o.metadata.name === m.metadata.name);
              const owned = resources.filter((r) => r.tags["ecs-operator.dev/uid"] === obj?.metadata.uid);
              return owned.length > 0 && owned.every((r) => Object.entries(marks).every(([k, v]) => r.tags[k] === v || (m.kind === "TaskDefinition" && r.arn !== obj?.status?.taskDefinitionArn)));
            }) &&
            resources.filter((r) => r.kind === "EcsCluster" && r.tags.extra !== undefined).map((r) => r.tags.extra).sort().join() === [...extrasWanted].sort().join() &&
            objects.length === base.length + extras.length;
          return ok ? true : undefined;
        },
        timeoutMs,
      );
      return Date.now() - started;
    };

    await applyManifestsAsync(target, namespace, base);
    await waitConverged(target, namespace, { timeoutMs: 120_000, expect: base.length, log });
    // The chart's RBAC is enough (a restarted API server refuses everyone for a moment while its
    // RBAC caches fill, so the check is made before any fault).
    expect(running.output()).not.toMatch(/forbidden/i);
    const figures: Figures = { objects: base.length, restarts: opts.restarts, etcdRestarts: opts.etcdRestarts ?? 0, downMs: opts.downMs ?? 2000, cuts: opts.cuts, partitions: opts.partitions };
    const afterRestartMs: number[] = [];
    for (let r = 1; r <= opts.restarts; r++) {
      await change("before-restart", String(r));
      await cp.restartApiServer(opts.downMs ?? 2000);
      expect(await alive(), "the operator exited while the API server was down").toBe(true);
      // Right after the server is back: a change, a creation and (from the second round) a deletion.
      await change("after-restart", String(r));
      const created = extra(`extra-${r}`);
      await applyManifestsAsync(target, namespace, [created]);
      const gone = extras.shift();
      if (gone) await kubectlOnAsync(target, ["delete", "ecscluster", gone.metadata.name, "-n", namespace, "--wait=false"]);
      extras.push(created);
      afterRestartMs.push(await reachedAws(`the changes around restart ${r}`));
      log(`restart ${r}: every change in AWS ${afterRestartMs.at(-1) ?? 0} ms after the server was back`);
    }
    const afterEtcdMs: number[] = [];
    for (let r = 1; r <= (opts.etcdRestarts ?? 0); r++) {
      await change("before-etcd-restart", String(r));
      await cp.restartEtcd(opts.downMs ?? 2000);
      expect(await alive(), "the operator exited while etcd was down").toBe(true);
      await change("after-etcd-restart", String(r));
      const created = extra(`after-etcd-${r}`);
      await applyManifestsAsync(target, namespace, [created]);
      const gone = extras.shift();
      if (gone) await kubectlOnAsync(target, ["delete", "ecscluster", gone.metadata.name, "-n", namespace, "--wait=false"]);
      extras.push(created);
      afterEtcdMs.push(await reachedAws(`the changes around etcd restart ${r}`));
      log(`etcd restart ${r}: every change in AWS ${afterEtcdMs.at(-1) ?? 0} ms after the API server was ready again`);
    }
    const afterCutMs: number[] = [];
    let connectionsCut = 0;
    for (let c = 1; c <= opts.cuts; c++) {
      connectionsCut += relay.cut();
      await change("after-cut", String(c));
      afterCutMs.push(await reachedAws(`the change after cut ${c}`));
    }
    const afterPartitionMs: number[] = [];
    for (let p = 1; p <= opts.partitions; p++) {
      relay.refusing = true;
      connectionsCut += relay.cut();
      // The API server is up, the operator cannot reach it: these changes happen during its outage.
      await change("during-partition", String(p));
      const created = extra(`partitioned-${p}`);
      await applyManifestsAsync(target, namespace, [created]);
      const gone = extras.shift();
      if (gone) await kubectlOnAsync(target, ["delete", "ecscluster", gone.metadata.name, "-n", namespace, "--wait=false"]);
      extras.push(created);
      await sleep(opts.partitionMs ?? 3000);
      expect(await alive(), "the operator exited during a partition").toBe(true);
      relay.refusing = false;
      afterPartitionMs.push(await reachedAws(`the changes made during partition ${p}`));
    }
    expect(await alive(), "the operator is still running").toBe(true);
    expect((await fetch(`http://127.0.0.1:${op.httpPort}/healthz`)).ok).toBe(true);
    const watchRestarts = await op.metric("ecs_operator_watch_restarts_total");
    expect(watchRestarts, "watches restarted after the faults").toBeGreaterThan(0);
    const objects = await waitConverged(target, namespace, { timeoutMs: 60_000, synced: true, log });
    const resources = await listAwsResources(stack, accountId, [ids.listenerArn]);
    const checked = checkExactlyOnce(resources, objects, { oneRevisionEach: false });
    expect(checked.problems, "one AWS resource per object, none left by the deleted ones").toEqual([]);
    Object.assign(figures, {
      connectionsCut,
      watchRestarts,
      transientForbiddenAfterRestarts: (op.output().match(/is forbidden/g) ?? []).length,
      inAwsAfterRestartMs: afterRestartMs,
      inAwsAfterEtcdRestartMs: afterEtcdMs,
      inAwsAfterCutMs: afterCutMs,
      inAwsAfterPartitionMs: afterPartitionMs,
      operatorExited: false,
    });
    report("apiserver-faults", figures);
    return figures;
  } finally {
    await op?.stop();
    await relay.close();
    await cp.stop();
  }
}

export interface TenantIsolationOptions {
  /** Two tenants each apply examples/ (true), or one fleet unit of every kind each (false). */
  examples: boolean;
  resyncSeconds?: number;
}

/**
 * moto neither keeps nor reports an ECS service's placementStrategy and placementConstraints, so
 * the operator sees them as drift on every re-check and updates the service each time (in AWS they
 * read back as written). The writes counted here must be the operator's answer to what B does, so
 * the examples' EC2 service goes without them.
 */
function withoutPlacement(m: Manifest): Manifest {
  if (m.kind !== "EcsService") return m;
  const { placementStrategy: _strategy, placementConstraints: _constraints, ...spec } = m.spec;
  return { ...m, spec };
}

/** A resource's identity and tags, to tell whether anything about it changed. */
function fingerprintOf(resources: readonly AwsResource[]): Record<string, string> {
  return Object.fromEntries(resources.map((r) => [r.arn, JSON.stringify({ name: r.name, tags: Object.entries(r.tags).sort(), content: r.content })]));
}

/**
 * Promise 3 between two namespaces of one operator (and one AWS account): same-named objects of
 * every kind get distinct AWS resources; a reference by name from B never resolves to A's object;
 * B naming A's AWS resources in any name field, even with adopt: true, gets
 * ConflictExistingResource and the operator writes nothing to AWS (a task definition family is
 * shared by design: B registers its own revision there and never touches A's); a literal ARN of A's
 * target group in B's service is allowed (the literal twins are the escape hatch for resources not
 * managed here) and changes nothing on the group; deleting all of B leaves A exactly as it was.
 */
export async function tenantIsolation(stack: StackInfo, opts: TenantIsolationOptions): Promise<Figures> {
  const log = logger("tenant-isolation");
  const resyncSeconds = opts.resyncSeconds ?? 3;
  const accountId = uniqueAccountId();
  const proxy = new AwsProxyControl(stack.awsEndpoint);
  const nsA = await createTestNamespace(stack, "tenant-a");
  const nsB = await createTestNamespace(stack, "tenant-b");
  const idsA = await prepareAccount(stack, accountId, "alb-a");
  // Team B has a VPC of its own for its private DNS (moto holds one private namespace per VPC).
  const idsB = await prepareAccount(stack, accountId, "alb-b", { ownVpc: true });
  const listeners = [idsA.listenerArn, idsB.listenerArn];
  const manifestsFor = (ids: MotoIds, namespace: string, tenant: "a" | "b"): Manifest[] =>
    opts.examples
      ? // A Cloud Map domain is the user's choice (there is no default): team B picks its own.
        exampleManifests(ids, tenant === "b" ? [["name: app.local", "name: app.b.local"]] : []).map(withoutPlacement)
      : unit(0, ids, namespace);
  const operator = operatorUnderChartRbac(stack, { accountId, namespaces: [nsA, nsB], resyncSeconds, workers: 4 });
  const op = await operator.start();
  const figures: Figures = { examples: opts.examples };
  try {
    const started = Date.now();
    const inA = manifestsFor(idsA, nsA, "a");
    applyManifests(stack, nsA, inA);
    applyManifests(stack, nsB, manifestsFor(idsB, nsB, "b"));
    let objectsA = await waitConverged(stack, nsA, { timeoutMs: 180_000, expect: inA.length, log });
    const objectsB = await waitConverged(stack, nsB, { timeoutMs: 180_000, expect: inA.length, log });
    figures.objectsPerTenant = inA.length;
    figures.convergedMs = Date.now() - started;

    // 1. Same names, distinct resources, each tagged with its own namespace.
    const identity = (o: ManagedObject): unknown => (o.kind === "TaskDefinition" ? o.status?.taskDefinitionArn : o.status?.arn);
    for (const a of objectsA) {
      const b = objectsB.find((o) => o.kind === a.kind && o.metadata.name === a.metadata.name);
      expect(b, `${a.kind} ${a.metadata.name} in both namespaces`).toBeDefined();
      expect(identity(a), `${a.kind} ${a.metadata.name}: A's AWS resource`).toBeTypeOf("string");
      expect(identity(b as ManagedObject), `${a.kind} ${a.metadata.name}: B has its own AWS resource`).not.toBe(identity(a));
    }
    let resources = await listAwsResources(stack, accountId, listeners);
    expect(checkExactlyOnce(resources, [...objectsA, ...objectsB], { oneRevisionEach: true }).problems).toEqual([]);
    const ownedByA = (all: readonly AwsResource[]): AwsResource[] => all.filter((r) => r.tags["ecs-operator.dev/owner"]?.startsWith(`${nsA}/`));
    const snapshotA = fingerprintOf(ownedByA(resources));
    figures.distinctPairs = objectsA.length;

    // 2. References by name resolve in B only: objects that exist only in A are waited for in B.
    const firstOf = (kind: Kind): ManagedObject => {
      const found = objectsA.find((o) => o.kind === kind);
      if (!found) throw new Error(`no ${kind} in ${nsA}`);
      return found;
    };
    const onlyInA: Manifest[] = [
      { apiVersion: API_VERSION, kind: "EcsCluster", metadata: { name: "only-a" }, spec: {} },
      { apiVersion: API_VERSION, kind: "TaskDefinition", metadata: { name: "only-a" }, spec: firstOf("TaskDefinition").spec as Record<string, unknown> },
      { apiVersion: API_VERSION, kind: "TargetGroup", metadata: { name: "only-a" }, spec: { protocol: "HTTP", port: 80, vpcId: idsA.vpc, targetType: "ip" } },
      { apiVersion: API_VERSION, kind: "CloudMapNamespace", metadata: { name: "only-a" }, spec: { type: "Http", name: `only-a-${nsA}` } },
    ];
    // Not the same family as A's other task definition: that one is what B tries to take below.
    const onlyTd = onlyInA[1];
    if (onlyTd) onlyTd.spec = { ...onlyTd.spec, family: `only-a-${nsA}` };
    applyManifests(stack, nsA, onlyInA);
    objectsA = await waitConverged(stack, nsA, { timeoutMs: 60_000, expect: inA.length + onlyInA.length, log });
    const network = { awsvpcConfiguration: { subnets: idsB.subnets.slice(0, 2), securityGroups: [idsB.securityGroup] } };
    const reach: Manifest[] = [
      {
        apiVersion: API_VERSION,
        kind: "EcsService",
        metadata: { name: "reach" },
        spec: { clusterRef: { name: "only-a" }, taskDefinitionRef: { name: "only-a" }, launchType: "FARGATE", desiredCount: 1, networkConfiguration: network, loadBalancers: [{ targetGroupRef: { name: "only-a" }, containerName: "web", containerPort: 80 }] },
      },
      {
        apiVersion: API_VERSION,
        kind: "ListenerRule",
        metadata: { name: "reach" },
        spec: { listenerArn: idsB.listenerArn, priority: 300, conditions: [{ field: "path-pattern", pathPatternConfig: { values: ["/reach"] } }], actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: "only-a" } }] } }] },
      },
      { apiVersion: API_VERSION, kind: "CloudMapService", metadata: { name: "reach" }, spec: { namespaceRef: { name: "only-a" } } },
    ];
    await proxy.reset(accountId);
    applyManifests(stack, nsB, reach);
    for (const m of reach) {
      const waiting = await waitForCondition(stack, PLURALS[m.kind], nsB, m.metadata.name, { type: "Ready", status: "False", reason: "WaitingForDependency" }, 30_000);
      expect(waiting.status?.conditions?.find((c) => c.type === "Ready")?.message, `${m.kind} reach waits for B's own only-a`).toContain(`${nsB}/only-a`);
    }
    await sleep(resyncSeconds * 2000);
    const reachCounts = await proxy.counts(accountId);
    expect(writeCalls(reachCounts), `AWS writes for references that do not resolve: ${writesIn(reachCounts)}`).toBe(0);

    // 3. B names A's AWS resources in every name field, with adopt: true.
    const cluster = firstOf("EcsCluster");
    const service = firstOf("EcsService");
    const group = firstOf("TargetGroup");
    const rule = firstOf("ListenerRule");
    const cmNamespace = objectsA.find((o) => o.kind === "CloudMapNamespace" && o.metadata.name !== "only-a") ?? firstOf("CloudMapNamespace");
    const cmService = firstOf("CloudMapService");
    const taskDef = objectsA.find((o) => o.kind === "TaskDefinition" && o.metadata.name !== "only-a") ?? firstOf("TaskDefinition");
    const spec = (o: ManagedObject): Record<string, unknown> => ({ ...(o.spec as Record<string, unknown>) });
    const steal: Manifest[] = [
      { apiVersion: API_VERSION, kind: "EcsCluster", metadata: { name: "steal" }, spec: { clusterName: String(cluster.status?.clusterName), adopt: true } },
      {
        apiVersion: API_VERSION,
        kind: "EcsService",
        metadata: { name: "steal" },
        spec: {
          cluster: String(service.status?.clusterArn),
          serviceName: String(service.status?.serviceName),
          taskDefinition: String(service.status?.taskDefinitionArn),
          launchType: (service.spec as { launchType?: string }).launchType ?? "FARGATE",
          desiredCount: 0,
          ...((service.spec as { networkConfiguration?: unknown }).networkConfiguration ? { networkConfiguration: (service.spec as { networkConfiguration?: unknown }).networkConfiguration } : {}),
          adopt: true,
        },
      },
      { apiVersion: API_VERSION, kind: "TargetGroup", metadata: { name: "steal" }, spec: { ...spec(group), name: String(group.status?.targetGroupName), adopt: true } },
      {
        apiVersion: API_VERSION,
        kind: "ListenerRule",
        metadata: { name: "steal" },
        spec: {
          ...spec(rule),
          listenerArn: idsA.listenerArn,
          actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupArn: String(group.status?.arn) }] } }],
          adopt: true,
        },
      },
      { apiVersion: API_VERSION, kind: "CloudMapNamespace", metadata: { name: "steal" }, spec: { ...spec(cmNamespace), adopt: true } },
      {
        apiVersion: API_VERSION,
        kind: "CloudMapService",
        metadata: { name: "steal" },
        spec: { ...Object.fromEntries(Object.entries(spec(cmService)).filter(([k]) => k !== "namespaceRef")), namespaceId: String(cmService.status?.namespaceId), name: String(cmService.status?.name), adopt: true },
      },
      { apiVersion: API_VERSION, kind: "TaskDefinition", metadata: { name: "steal" }, spec: { ...spec(taskDef), family: String(taskDef.status?.family), adopt: true } },
    ];
    await proxy.reset(accountId);
    applyManifests(stack, nsB, steal);
    for (const m of steal.filter((s) => s.kind !== "TaskDefinition")) {
      const refused = await waitForCondition(stack, PLURALS[m.kind], nsB, "steal", { type: "Ready", status: "False", reason: "ConflictExistingResource" }, 30_000);
      expect(refused.status?.conditions?.find((c) => c.type === "Ready")?.message, `${m.kind}: why`).toMatch(/owned by another object/);
    }
    // A family is shared by design: B registers a revision of its own, tagged as B's.
    const stolenTd = await waitForCondition(stack, "taskdefinitions", nsB, "steal", { type: "Ready", status: "True" }, 30_000);
    expect(stolenTd.status?.taskDefinitionArn).not.toBe(taskDef.status?.taskDefinitionArn);
    await sleep(resyncSeconds * 2000);
    let counts = await proxy.counts(accountId);
    expect(writeCalls(counts), `AWS writes while B tried to take A's resources, B's own revision only: ${writesIn(counts)}`).toBe(1);
    expect(callsTo(counts, "ecs:RegisterTaskDefinition")).toBe(1);
    figures.adoptAttemptsRefused = steal.length - 1;

    // 4. A literal ARN of A's target group in B's service: allowed, and the group is not touched.
    const bCluster = objectsB.find((o) => o.kind === "EcsCluster");
    const bTd = objectsB.find((o) => o.kind === "TaskDefinition" && (o.spec as { networkMode?: string }).networkMode === "awsvpc");
    const containerOf = (td: ManagedObject | undefined): string => String((td?.spec as { containerDefinitions?: { name: string }[] } | undefined)?.containerDefinitions?.[0]?.name);
    const borrow: Manifest = {
      apiVersion: API_VERSION,
      kind: "EcsService",
      metadata: { name: "borrow" },
      spec: {
        clusterRef: { name: bCluster?.metadata.name },
        taskDefinitionRef: { name: bTd?.metadata.name },
        launchType: "FARGATE",
        desiredCount: 1,
        networkConfiguration: network,
        loadBalancers: [{ targetGroupArn: String(group.status?.arn), containerName: containerOf(bTd), containerPort: 80 }],
      },
    };
    await proxy.reset(accountId);
    applyManifests(stack, nsB, [borrow]);
    await waitForCondition(stack, "ecsservices", nsB, "borrow", { type: "Ready", status: "True" }, 60_000);
    counts = await proxy.counts(accountId);
    // Reads of A's group (B's rechecks, DescribeTargetHealth) are fine; any other ELBv2 operation is a write.
    expect(Object.keys(counts[accountId] ?? {}).filter((name) => name.startsWith("elasticloadbalancing:") && !/:Describe/.test(name)), "ELBv2 writes for B's service on A's group").toEqual([]);

    // 5. B goes entirely; A is exactly as it was.
    await proxy.reset(accountId);
    const deleting = Date.now();
    kubectlOn(stack, ["delete", Object.values(PLURALS).join(","), "--all", "-n", nsB, "--wait=false"]);
    await waitFor("every object of B deleted", async () => ((await listObjects(stack, nsB)).length === 0 ? true : undefined), 120_000);
    figures.tenantBDeletedMs = Date.now() - deleting;
    objectsA = await waitConverged(stack, nsA, { timeoutMs: 60_000, synced: true, log });
    resources = await listAwsResources(stack, accountId, listeners);
    expect(fingerprintOf(ownedByA(resources).filter((r) => snapshotA[r.arn] !== undefined)), "A's resources after B is gone").toEqual(snapshotA);
    expect(checkExactlyOnce(resources, objectsA, { oneRevisionEach: true }).problems, "nothing of B left, all of A there").toEqual([]);
    figures.awsResourcesOfA = Object.keys(snapshotA).length;
    expect(op.output()).not.toMatch(/forbidden/i);
    report("tenant-isolation", figures);
    return figures;
  } finally {
    await op.stop();
  }
}
