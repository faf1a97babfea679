import { DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, type ECSClient, type Tag, type TaskDefinition } from "@aws-sdk/client-ecs";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TaskDefinitionObject, TaskDefinitionSpec } from "../../src/api/taskdefinition.js";
import type { Lookup } from "../../src/runtime/references.js";
import { taskDefinitionDriver } from "../../src/controllers/taskdefinition/driver.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { FINALIZER, reconcile } from "../../src/runtime/reconciler.js";

const PREFIX = "arn:aws:ecs:us-east-1:123456789012:task-definition/";

/** Just enough of ECS for re-checks: listings in pages of `pageSize`, of one family or all. */
class FakeEcs {
  readonly calls: string[] = [];
  readonly revisions: { family: string; revision: number; td: TaskDefinition; tags: Tag[] }[] = [];
  pageSize = 100;

  async send(command: unknown): Promise<unknown> {
    await Promise.resolve();
    if (command instanceof ListTaskDefinitionsCommand) {
      const { familyPrefix, nextToken } = command.input;
      this.calls.push(familyPrefix === undefined ? "ListTaskDefinitions(all)" : "ListTaskDefinitions");
      const arns = this.revisions.filter((r) => r.td.status === "ACTIVE" && (familyPrefix === undefined || r.family === familyPrefix)).map((r) => r.td.taskDefinitionArn ?? "");
      const start = Number(nextToken ?? 0);
      const end = start + this.pageSize;
      return { taskDefinitionArns: arns.slice(start, end), ...(end < arns.length ? { nextToken: String(end) } : {}) };
    }
    if (command instanceof RegisterTaskDefinitionCommand) {
      this.calls.push("RegisterTaskDefinition");
      const family = command.input.family ?? "";
      const revision = this.revisions.filter((r) => r.family === family).length + 1;
      const td: TaskDefinition = { ...command.input, taskDefinitionArn: `${PREFIX}${family}:${String(revision)}`, revision, status: "ACTIVE" };
      const stored = { family, revision, td, tags: command.input.tags ?? [] };
      this.revisions.push(stored);
      return { taskDefinition: td, tags: stored.tags };
    }
    if (command instanceof DescribeTaskDefinitionCommand) {
      this.calls.push("DescribeTaskDefinition");
      const found = this.revisions.find((r) => r.td.taskDefinitionArn === command.input.taskDefinition);
      return { taskDefinition: found?.td, tags: found?.tags };
    }
    if (command instanceof DeregisterTaskDefinitionCommand) {
      this.calls.push("DeregisterTaskDefinition");
      const found = this.revisions.find((r) => r.td.taskDefinitionArn === command.input.taskDefinition);
      if (found) found.td.status = "INACTIVE";
      return { taskDefinition: found?.td };
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }
}

const spec = (image: string): TaskDefinitionSpec => ({ containerDefinitions: [{ name: "web", image, memory: 128 }] });

/** A fleet of TaskDefinition objects reconciled by one driver, with status kept in memory. */
function fleet(count: number, resyncMs: number) {
  const ecs = new FakeEcs();
  const servicesListed = { count: 0 };
  const lookup: Lookup = {
    get: () => undefined,
    list: (kind) => {
      if (kind === "EcsService") servicesListed.count += 1;
      return [];
    },
  };
  const driver = taskDefinitionDriver(ecs as unknown as ECSClient, lookup, { resyncMs });
  const objects: TaskDefinitionObject[] = Array.from({ length: count }, (_, i) => ({
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "TaskDefinition",
    metadata: { name: `app-${String(i)}`, namespace: "team", uid: `u-${String(i)}`, generation: 1, finalizers: [FINALIZER] },
    spec: spec("httpd:2.4"),
  }));
  const ctxFor = (i: number) => ({
    writer: {
      addFinalizer: <T extends ManagedObject>(o: T): Promise<T> => Promise.resolve(o),
      removeFinalizer: (): Promise<void> => Promise.resolve(),
      deleteObject: () => Promise.resolve(),
      replaceStatus: (_o: ManagedObject, status: ManagedObject["status"]): Promise<void> => {
        objects[i] = { ...(objects[i] as TaskDefinitionObject), status };
        return Promise.resolve();
      },
    },
    events: { normal: () => undefined, warning: () => undefined },
    logger: pino({ enabled: false }),
    lookup,
    resyncMs,
  });
  /** Reconciles every object, `concurrency` at a time, as the workers of one controller would. */
  const recheckAll = async (concurrency = 4): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < objects.length; i = next++) {
        const result = await reconcile(objects[i] as TaskDefinitionObject, driver, ctxFor(i));
        expect(result.outcome).toBe("success");
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  return { ecs, objects, recheckAll, servicesListed, reconcileOne: (i: number) => reconcile(objects[i] as TaskDefinitionObject, driver, ctxFor(i)) };
}

describe("the periodic re-check of many TaskDefinitions", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("costs a few narrow listings and the pages of one account listing, not one call per object", async () => {
    const f = fleet(250, 60_000);
    await f.recheckAll();
    expect(f.ecs.calls.filter((c) => c === "RegisterTaskDefinition")).toHaveLength(250);
    vi.setSystemTime(Date.now() + 60_000);
    f.ecs.calls.length = 0;
    await f.recheckAll();
    const narrow = f.ecs.calls.filter((c) => c === "ListTaskDefinitions").length;
    const pages = f.ecs.calls.filter((c) => c === "ListTaskDefinitions(all)").length;
    expect(pages).toBe(3);
    expect(narrow).toBeLessThanOrEqual(8);
    expect(f.ecs.calls.length).toBe(narrow + pages);
    expect(f.objects.every((o) => o.status?.revision === 1)).toBe(true);
  });

  it("sees its own new revision at once, never a listing from before it", async () => {
    const f = fleet(20, 60_000);
    await f.recheckAll();
    vi.setSystemTime(Date.now() + 60_000);
    await f.recheckAll();
    // A listing of everything is fresh now; a change registers revision 2 of one family.
    f.objects[3] = { ...(f.objects[3] as TaskDefinitionObject), spec: spec("httpd:2.5"), metadata: { ...(f.objects[3] as TaskDefinitionObject).metadata, generation: 2 } };
    await f.reconcileOne(3);
    expect(f.objects[3].status?.revision).toBe(2);
    f.ecs.calls.length = 0;
    await f.reconcileOne(3);
    expect(f.ecs.calls).toEqual(["ListTaskDefinitions"]);
    expect(f.objects[3].status).toMatchObject({ revision: 2, ownedRevisions: [1, 2] });
  });

  it("looks at which revisions services use only when retention has revisions to judge", async () => {
    const f = fleet(30, 60_000);
    await f.recheckAll();
    vi.setSystemTime(Date.now() + 60_000);
    await f.recheckAll();
    expect(f.servicesListed.count).toBe(0);
    const limited = (tag: string): TaskDefinitionObject => {
      const current = f.objects[0] as TaskDefinitionObject;
      return { ...current, spec: { ...spec(tag), revisionHistoryLimit: 1 }, metadata: { ...current.metadata, generation: (current.metadata.generation ?? 0) + 1 } };
    };
    f.objects[0] = limited("httpd:2.5");
    await f.reconcileOne(0);
    expect(f.servicesListed.count).toBe(1);
    expect(f.objects[0].status).toMatchObject({ revision: 2, ownedRevisions: [2] });
  });

  it("notices a revision deregistered behind its back at the next period's re-check", async () => {
    const f = fleet(20, 60_000);
    await f.recheckAll();
    const victim = f.ecs.revisions.find((r) => r.family === "team_app-7");
    if (victim) victim.td.status = "INACTIVE";
    vi.setSystemTime(Date.now() + 60_000);
    await f.recheckAll();
    expect(f.ecs.revisions.filter((r) => r.family === "team_app-7").map((r) => [r.revision, r.td.status])).toEqual([
      [1, "INACTIVE"],
      [2, "ACTIVE"],
    ]);
    expect(f.objects[7]?.status?.revision).toBe(2);
  });
});
