// Deletion in every order a user or Argo CD can produce (docs/design.md, promise 6 and "never an
// orphan"): the namespace at once, the whole stack at once, dependencies first, the service
// after a dependency it waits for, in the middle of an update, and (long version) seeded random
// orders. Each order runs on its own copy of one application (one object of every kind) in its own
// namespace; at the end nothing the operator made may be left in AWS, in any cluster, including
// services in a cluster that was deleted around them (moto lets DeleteCluster succeed while
// services remain, where ECS refuses: the operator must wait for them itself).
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { listAwsResources } from "./aws-inventory.js";
import { uniqueAccountId } from "./aws.js";
import { applyManifests, condition, KINDS, kubectlOn, listObjects, PLURALS, prepareAccount, unit, waitConverged, type Kind, type Manifest } from "./fleet.js";
import { createTestNamespace } from "./kube.js";
import { startOperatorProcess } from "./operator-process.js";
import { seededRandom } from "./aws-proxy.js";
import { logger, report, scenarioSeed, type Figures } from "./reliability.js";
import type { StackInfo } from "./stack.js";

/** How one order deletes one application's objects (all in `namespace`). */
type DeleteOrder = (ctx: { stack: StackInfo; namespace: string; manifests: Manifest[]; log: (line: string) => void }) => Promise<void>;

const nameOf = (manifests: readonly Manifest[], kind: Kind): string => manifests.find((m) => m.kind === kind)?.metadata.name ?? "";

function deleteObject(stack: StackInfo, namespace: string, kind: Kind, name: string): void {
  kubectlOn(stack, ["delete", PLURALS[kind], name, "-n", namespace, "--wait=false", "--ignore-not-found"]);
}

async function waitForDeletingCondition(stack: StackInfo, namespace: string, kind: Kind, name: string, mentioning: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const obj = (await listObjects(stack, namespace)).find((o) => o.kind === kind && o.metadata.name === name);
    const ready = obj ? condition(obj, "Ready") : undefined;
    if (ready?.reason === "Deleting" && ready.message.includes(mentioning)) return;
    if (Date.now() > deadline) throw new Error(`${kind} ${name} did not say its deletion waits for ${mentioning}: ${JSON.stringify(ready)}`);
    await sleep(200);
  }
}

/** Deletes one kind after another in `kinds` order, without waiting in between. */
const inOrder =
  (kinds: readonly Kind[]): DeleteOrder =>
  ({ stack, namespace, manifests }) => {
    for (const kind of kinds) deleteObject(stack, namespace, kind, nameOf(manifests, kind));
    return Promise.resolve();
  };

/** The named orders, each a way people or tools delete things. */
export const NAMED_ORDERS: Record<string, DeleteOrder> = {
  namespace: ({ stack, namespace }) => {
    kubectlOn(stack, ["delete", "namespace", namespace, "--wait=false"]);
    // The test stack runs no kube-controller-manager, whose namespace controller would now delete
    // every object in the Terminating namespace with one deletecollection per resource type: the
    // same calls, made here. Events can no longer be created in the namespace from this point.
    kubectlOn(stack, ["delete", KINDS.map((k) => PLURALS[k]).join(","), "--all", "-n", namespace, "--wait=false"]);
    return Promise.resolve();
  },
  // kubectl delete -f of the whole stack, what Argo CD does when an Application is deleted.
  "whole stack at once": ({ stack, namespace }) => {
    kubectlOn(stack, ["delete", KINDS.map((k) => PLURALS[k]).join(","), "--all", "-n", namespace, "--wait=false"]);
    return Promise.resolve();
  },
  "dependencies first": inOrder(["EcsCluster", "TaskDefinition", "TargetGroup", "CloudMapNamespace", "CloudMapService", "ListenerRule", "EcsService"]),
  "dependents first": inOrder(["EcsService", "ListenerRule", "CloudMapService", "CloudMapNamespace", "TargetGroup", "TaskDefinition", "EcsCluster"]),
  // The reported defect: the target group's deletion waits for the service; then the service goes.
  "target group, then the service": async ({ stack, namespace, manifests }) => {
    deleteObject(stack, namespace, "TargetGroup", nameOf(manifests, "TargetGroup"));
    await waitForDeletingCondition(stack, namespace, "TargetGroup", nameOf(manifests, "TargetGroup"), `EcsService ${namespace}/${nameOf(manifests, "EcsService")}`);
    deleteObject(stack, namespace, "EcsService", nameOf(manifests, "EcsService"));
    await sleep(500);
    for (const kind of KINDS) deleteObject(stack, namespace, kind, nameOf(manifests, kind));
  },
  // An image change makes the TaskDefinition register a revision: for that moment the service waits
  // for it. Deleting the service then must still find and delete it.
  "during an update": ({ stack, namespace, manifests }) => {
    const td = manifests.find((m) => m.kind === "TaskDefinition");
    if (!td) throw new Error("no TaskDefinition in the unit");
    const containers = (td.spec.containerDefinitions as Record<string, unknown>[]).map((c) => ({ ...c, image: "public.ecr.aws/docker/library/httpd:2.4.62" }));
    applyManifests(stack, namespace, [{ ...td, spec: { ...td.spec, containerDefinitions: containers } }]);
    deleteObject(stack, namespace, "EcsService", nameOf(manifests, "EcsService"));
    for (const kind of KINDS) deleteObject(stack, namespace, kind, nameOf(manifests, kind));
    return Promise.resolve();
  },
};

/** A seeded random order of the seven kinds, with random pauses, for the long version. */
function randomOrder(random: () => number): DeleteOrder {
  const kinds = [...KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as Kind, kinds[i] as Kind];
  }
  const pauses = kinds.map(() => Math.floor(random() * 1500));
  return async ({ stack, namespace, manifests, log }) => {
    log(`order: ${kinds.join(" → ")}`);
    for (const [i, kind] of kinds.entries()) {
      deleteObject(stack, namespace, kind, nameOf(manifests, kind));
      await sleep(pauses[i] ?? 0);
    }
  };
}

export interface DeleteOrdersOptions {
  /** Named orders to run (default: all). */
  orders?: string[];
  /** Extra seeded random orders. */
  randomOrders?: number;
  resyncSeconds?: number;
}

/** Runs every order on its own application, in parallel, and checks that nothing is left. */
export async function deleteOrders(stack: StackInfo, opts: DeleteOrdersOptions = {}): Promise<Figures> {
  const log = logger("delete-orders");
  const seed = scenarioSeed();
  const random = seededRandom(seed);
  const orders: [string, DeleteOrder][] = [
    ...Object.entries(NAMED_ORDERS).filter(([name]) => !opts.orders || opts.orders.includes(name)),
    ...Array.from({ length: opts.randomOrders ?? 0 }, (_, i) => [`random ${String(i + 1)}`, randomOrder(random)] as [string, DeleteOrder]),
  ];
  log(`seed ${String(seed)}; ${String(orders.length)} orders`);
  const accountId = uniqueAccountId();
  const ids = await prepareAccount(stack, accountId, "delete-orders-alb", { dnsVpcs: orders.length });
  const namespaces = await Promise.all(orders.map(() => createTestNamespace(stack, "delorder")));
  const operator = await startOperatorProcess(stack, { accountId, namespaces, resyncSeconds: opts.resyncSeconds ?? 5, workers: 8 });
  const started = Date.now();
  try {
    // Even units are on private DNS with a service registry (unit 2i in dnsVpcs[i]), so that every
    // reference of an EcsService is in play.
    const units = orders.map((_, i) => unit(2 * i, ids, namespaces[i] ?? ""));
    units.forEach((manifests, i) => {
      applyManifests(stack, namespaces[i] ?? "", manifests);
    });
    await Promise.all(namespaces.map((ns) => waitConverged(stack, ns, { timeoutMs: 120_000, expect: KINDS.length, log })));
    const before = await listAwsResources(stack, accountId, [ids.listenerArn]);
    expect(before.length, "every order's application exists in AWS").toBeGreaterThanOrEqual(orders.length * KINDS.length);
    log(`${String(orders.length)} applications converged in ${String(Date.now() - started)} ms; deleting`);

    const times: Record<string, number> = {};
    await Promise.all(
      orders.map(async ([name, order], i) => {
        const namespace = namespaces[i] ?? "";
        const t0 = Date.now();
        await order({ stack, namespace, manifests: units[i] ?? [], log: (line) => { log(`${name}: ${line}`); } });
        const deadline = Date.now() + 120_000;
        for (;;) {
          const left = await listObjects(stack, namespace).catch(() => []);
          if (left.length === 0) break;
          if (Date.now() > deadline) throw new Error(`order "${name}": objects never went: ${left.map((o) => `${o.kind}/${o.metadata.name} (${condition(o, "Ready")?.message ?? ""})`).join("; ")}`);
          await sleep(500);
        }
        times[name] = Date.now() - t0;
      }),
    );
    const left = await listAwsResources(stack, accountId, [ids.listenerArn]);
    expect(left.map((r) => `${r.kind} ${r.name} (${r.tags["ecs-operator.dev/owner"] ?? "untagged"})`), "left in AWS after every delete order").toEqual([]);
    const figures: Figures = { seed, orders: orders.map(([name]) => name), deleteMs: times, resourcesBefore: before.length, resourcesLeft: left.length };
    report("delete-orders", figures);
    return figures;
  } finally {
    await operator.stop();
  }
}
