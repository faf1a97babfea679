import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import { pino } from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import type { TaskDefinitionObject, TaskDefinitionSpec } from "../../src/api/taskdefinition.js";
import { UID_TAG } from "../../src/aws/tags.js";
import type { Lookup } from "../../src/runtime/references.js";
import { registerInput } from "../../src/controllers/taskdefinition/mapping.js";
import { taskDefinitionDriver } from "../../src/controllers/taskdefinition/driver.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { FINALIZER, reconcile, type ReconcileResult } from "../../src/runtime/reconciler.js";

const ACCOUNT = "123456789012";

interface Stored {
  td: TaskDefinition;
  tags: Tag[];
}

/**
 * An in-memory ECS that answers task definition calls the way AWS does where moto does not:
 * ListTaskDefinitions in pages with a nextToken (moto returns one page and ignores maxResults),
 * sorted as asked, with familyPrefix matched as a prefix (the worst reading of its name; moto
 * matches exactly), and DeleteTaskDefinitions only for INACTIVE revisions.
 */
class FakeEcs {
  readonly calls: string[] = [];
  readonly families = new Map<string, Map<number, Stored>>();
  pageSize = 2;
  rejectRegister: string | undefined;
  denyDelete = false;

  register(input: RegisterTaskDefinitionCommandInput): Stored {
    const family = input.family ?? "";
    const revisions = this.families.get(family) ?? new Map<number, Stored>();
    this.families.set(family, revisions);
    const revision = Math.max(0, ...revisions.keys()) + 1;
    const td: TaskDefinition = {
      ...input,
      taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:${revision}`,
      revision,
      status: "ACTIVE",
      networkMode: input.networkMode ?? "bridge",
      containerDefinitions: input.containerDefinitions?.map((c) => ({ cpu: 0, essential: true, environment: [], mountPoints: [], volumesFrom: [], ...c })),
      compatibilities: ["EC2"],
      registeredAt: new Date(),
    };
    const stored = { td, tags: input.tags ?? [] };
    revisions.set(revision, stored);
    return stored;
  }

  find(arn: string | undefined): Stored {
    const match = /task-definition\/([^:]+):(\d+)$/.exec(arn ?? "");
    const stored = this.families.get(match?.[1] ?? "")?.get(Number(match?.[2]));
    if (!stored) throw Object.assign(new Error("Unable to describe task definition."), { name: "ClientException", $fault: "client", $metadata: { httpStatusCode: 400 } });
    return stored;
  }

  status(family: string, revision: number): string | undefined {
    return this.families.get(family)?.get(revision)?.td.status;
  }

  async send(command: unknown): Promise<unknown> {
    await Promise.resolve();
    this.calls.push((command as object).constructor.name.replace(/Command$/, ""));
    if (command instanceof ListTaskDefinitionsCommand) {
      const { familyPrefix = "", status = "ACTIVE", sort = "ASC", nextToken } = command.input;
      const arns = [...this.families.entries()]
        .filter(([family]) => family.startsWith(familyPrefix))
        .flatMap(([, revisions]) => [...revisions.values()].filter((s) => s.td.status === status).map((s) => s.td))
        .sort((a, b) => (sort === "DESC" ? -1 : 1) * ((a.revision ?? 0) - (b.revision ?? 0)))
        .map((td) => td.taskDefinitionArn ?? "");
      const start = Number(nextToken ?? 0);
      const end = start + this.pageSize;
      return { taskDefinitionArns: arns.slice(start, end), ...(end < arns.length ? { nextToken: String(end) } : {}) };
    }
    if (command instanceof DescribeTaskDefinitionCommand) {
      const stored = this.find(command.input.taskDefinition);
      return { taskDefinition: stored.td, ...(command.input.include?.includes("TAGS") ? { tags: stored.tags } : {}) };
    }
    if (command instanceof RegisterTaskDefinitionCommand) {
      if (this.rejectRegister !== undefined) throw Object.assign(new Error(this.rejectRegister), { name: "ClientException", $fault: "client", $metadata: { httpStatusCode: 400 } });
      const stored = this.register(command.input);
      return { taskDefinition: stored.td, tags: stored.tags };
    }
    if (command instanceof DeregisterTaskDefinitionCommand) {
      const stored = this.find(command.input.taskDefinition);
      stored.td.status = "INACTIVE";
      return { taskDefinition: stored.td };
    }
    if (command instanceof DeleteTaskDefinitionsCommand) {
      if (this.denyDelete) throw Object.assign(new Error("not authorized to perform: ecs:DeleteTaskDefinitions"), { name: "AccessDeniedException", $fault: "client", $metadata: { httpStatusCode: 400 } });
      const gone = (command.input.taskDefinitions ?? []).map((arn) => this.find(arn)).filter((s) => s.td.status === "INACTIVE");
      for (const s of gone) s.td.status = "DELETE_IN_PROGRESS";
      return { taskDefinitions: gone.map((s) => s.td), failures: [] };
    }
    if (command instanceof TagResourceCommand) {
      const stored = this.find(command.input.resourceArn);
      const keys = new Set((command.input.tags ?? []).map((t) => t.key));
      stored.tags = [...stored.tags.filter((t) => !keys.has(t.key)), ...(command.input.tags ?? [])];
      return {};
    }
    if (command instanceof UntagResourceCommand) {
      const stored = this.find(command.input.resourceArn);
      stored.tags = stored.tags.filter((t) => !(command.input.tagKeys ?? []).includes(t.key ?? ""));
      return {};
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }

  count(operation: string): number {
    return this.calls.filter((c) => c === operation).length;
  }
}

/** One object run through the real generic reconciler, with status kept in memory. */
function harness(spec: TaskDefinitionSpec) {
  const ecs = new FakeEcs();
  const services: ManagedObject[] = [];
  const lookup: Lookup = { get: () => undefined, list: (kind) => (kind === "EcsService" ? services : []) };
  const driver = taskDefinitionDriver(ecs as unknown as ECSClient, lookup);
  let obj: TaskDefinitionObject = { apiVersion: "ecs.operator.dev/v1alpha1", kind: "TaskDefinition", metadata: { name: "web", namespace: "team-a", uid: "u-1", generation: 1, finalizers: [FINALIZER] }, spec };
  const ctx = {
    writer: {
      addFinalizer: <T extends ManagedObject>(o: T): Promise<T> => Promise.resolve(o),
      removeFinalizer: (): Promise<void> => {
        obj = { ...obj, metadata: { ...obj.metadata, finalizers: [] } };
        return Promise.resolve();
      },
      deleteObject: () => Promise.resolve(),
      replaceStatus: (_o: ManagedObject, status: ManagedObject["status"]): Promise<void> => {
        obj = { ...obj, status };
        return Promise.resolve();
      },
    },
    events: { normal: () => undefined, warning: () => undefined },
    logger: pino({ enabled: false }),
    lookup,
    resyncMs: 60_000,
  };
  return {
    ecs,
    services,
    get obj() {
      return obj;
    },
    apply(next: TaskDefinitionSpec) {
      obj = { ...obj, spec: next, metadata: { ...obj.metadata, generation: (obj.metadata.generation ?? 0) + 1 } };
    },
    setStatus(status: TaskDefinitionObject["status"]) {
      obj = { ...obj, status };
    },
    markDeleted() {
      obj = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } };
    },
    reconcile: (): Promise<ReconcileResult> => reconcile(obj, driver, ctx),
    driver,
  };
}

const image = (tag: string): TaskDefinitionSpec => ({ containerDefinitions: [{ name: "web", image: `httpd:${tag}`, memory: 512 }] });
const arnOf = (family: string, revision: number): string => `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:${revision}`;

describe("TaskDefinition driver against an AWS-shaped fake ECS", () => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness(image("2.4"));
  });

  it("registers revision 1 with ownership tags and reports it in status", async () => {
    expect((await h.reconcile()).outcome).toBe("success");
    expect(h.obj.status).toMatchObject({ family: "team-a_web", revision: 1, taskDefinitionArn: arnOf("team-a_web", 1), arn: arnOf("team-a_web", 1), ownedRevisions: [1] });
    expect(h.ecs.families.get("team-a_web")?.get(1)?.tags).toContainEqual({ key: UID_TAG, value: "u-1" });
    expect(h.obj.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Available" });
  });

  it("re-checks an unchanged object with one ListTaskDefinitions page and nothing else", async () => {
    await h.reconcile();
    h.ecs.calls.length = 0;
    await h.reconcile();
    await h.reconcile();
    expect(h.ecs.calls).toEqual(["ListTaskDefinitions", "ListTaskDefinitions"]);
  });

  it("reads every page of the listing, and only its exact family", async () => {
    h.ecs.pageSize = 1;
    h.ecs.register({ family: "team-a_web-canary", containerDefinitions: [{ name: "x", image: "x" }] });
    await h.reconcile();
    h.apply(image("2.5"));
    await h.reconcile();
    h.ecs.calls.length = 0;
    await h.reconcile();
    // Three ACTIVE revisions match the prefix (two ours, one of team-a_web-canary): three pages of one.
    expect(h.ecs.calls).toEqual(["ListTaskDefinitions", "ListTaskDefinitions", "ListTaskDefinitions"]);
    expect(h.obj.status).toMatchObject({ revision: 2, ownedRevisions: [1, 2] });
  });

  it("registers a new revision for a changed spec, and none for an unchanged one or a new generation with the same content", async () => {
    await h.reconcile();
    h.apply(image("2.5"));
    await h.reconcile();
    expect(h.obj.status).toMatchObject({ revision: 2, ownedRevisions: [1, 2] });
    h.apply({ containerDefinitions: [{ name: "web", image: "httpd:2.5", memory: "512", essential: true, cpu: 0 }] });
    await h.reconcile();
    await h.reconcile();
    expect(h.ecs.count("RegisterTaskDefinition")).toBe(2);
    expect(h.obj.status?.revision).toBe(2);
  });

  it("finds the revision a crash left unrecorded instead of registering it again", async () => {
    await h.reconcile();
    const before = h.obj.status;
    // The operator registered revision 2 for the new spec, then died before writing status.
    h.apply(image("2.5"));
    h.ecs.register(registerInput(h.obj));
    h.setStatus(before);
    await h.reconcile();
    expect(h.ecs.count("RegisterTaskDefinition")).toBe(1);
    expect(h.obj.status).toMatchObject({ revision: 2, ownedRevisions: [1, 2] });
  });

  it("recovers its revisions from their tags when status is lost, without registering", async () => {
    await h.reconcile();
    h.apply(image("2.5"));
    await h.reconcile();
    h.setStatus({});
    await h.reconcile();
    expect(h.ecs.count("RegisterTaskDefinition")).toBe(2);
    expect(h.obj.status).toMatchObject({ revision: 2, ownedRevisions: [1, 2] });
  });

  it("neither adopts nor deregisters revisions of the family registered by someone else", async () => {
    h.apply({ ...image("2.4"), revisionHistoryLimit: 1 });
    await h.reconcile();
    const ci = h.ecs.register({ family: "team-a_web", containerDefinitions: [{ name: "web", image: "httpd:ci", memory: 512 }], tags: [{ key: "pipeline", value: "ci" }] });
    const other = h.ecs.register({ ...registerInput(h.obj), tags: [{ key: UID_TAG, value: "someone-else" }] });
    await h.reconcile();
    expect(h.ecs.count("RegisterTaskDefinition")).toBe(1);
    expect(h.obj.status).toMatchObject({ revision: 1, ownedRevisions: [1] });
    for (const tag of ["2.5", "2.6", "2.7"]) {
      h.apply({ ...image(tag), revisionHistoryLimit: 1 });
      await h.reconcile();
    }
    expect(h.ecs.status("team-a_web", ci.td.revision ?? 0)).toBe("ACTIVE");
    expect(h.ecs.status("team-a_web", other.td.revision ?? 0)).toBe("ACTIVE");
    expect(h.obj.status).toMatchObject({ revision: 6, ownedRevisions: [6] });
    expect([1, 4, 5].map((r) => h.ecs.status("team-a_web", r))).toEqual(["INACTIVE", "INACTIVE", "INACTIVE"]);
  });

  it("keeps a revision a service uses beyond the limit, and deregisters it once the service moves on", async () => {
    h.apply({ ...image("1"), revisionHistoryLimit: 2 });
    await h.reconcile();
    h.services.push({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "api", namespace: "team-b", uid: "s" }, status: { taskDefinitionArn: arnOf("team-a_web", 1) } });
    for (const tag of ["2", "3", "4", "5"]) {
      h.apply({ ...image(tag), revisionHistoryLimit: 2 });
      await h.reconcile();
    }
    expect(h.obj.status).toMatchObject({ revision: 5, ownedRevisions: [1, 4, 5] });
    expect([1, 2, 3, 4, 5].map((r) => h.ecs.status("team-a_web", r))).toEqual(["ACTIVE", "INACTIVE", "INACTIVE", "ACTIVE", "ACTIVE"]);
    expect(h.obj.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/while a service uses them: 1/);
    h.services.length = 0;
    await h.reconcile();
    expect(h.ecs.status("team-a_web", 1)).toBe("INACTIVE");
    expect(h.obj.status?.ownedRevisions).toEqual([4, 5]);
  });

  it("takes over an identical untagged revision only with adopt", async () => {
    const legacy = h.ecs.register({ ...registerInput(h.obj), tags: [{ key: "owner", value: "terraform" }] });
    h.apply({ ...image("2.4"), adopt: true });
    await h.reconcile();
    expect(h.ecs.count("RegisterTaskDefinition")).toBe(0);
    expect(h.obj.status).toMatchObject({ revision: legacy.td.revision, ownedRevisions: [1] });
    expect(h.ecs.families.get("team-a_web")?.get(1)?.tags).toContainEqual({ key: UID_TAG, value: "u-1" });

    const fresh = harness(image("2.4"));
    fresh.ecs.register({ ...registerInput(fresh.obj), tags: [] });
    await fresh.reconcile();
    expect(fresh.ecs.count("RegisterTaskDefinition")).toBe(1);
    expect(fresh.obj.status).toMatchObject({ revision: 2, ownedRevisions: [2] });
  });

  it("retags the latest revision when only user tags change", async () => {
    await h.reconcile();
    h.apply({ ...image("2.4"), tags: { team: "a" } });
    await h.reconcile();
    expect(h.ecs.count("RegisterTaskDefinition")).toBe(1);
    expect(h.ecs.families.get("team-a_web")?.get(1)?.tags).toContainEqual({ key: "team", value: "a" });
    h.ecs.calls.length = 0;
    await h.reconcile();
    expect(h.ecs.calls).toEqual(["ListTaskDefinitions"]);
  });

  it("on delete, deregisters and deletes its own revisions, waiting while a service still uses one", async () => {
    await h.reconcile();
    h.apply(image("2.5"));
    await h.reconcile();
    const ci = h.ecs.register({ family: "team-a_web", containerDefinitions: [{ name: "web", image: "httpd:ci", memory: 512 }] });
    h.services.push({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "api", namespace: "team-a", uid: "s" }, status: { deployments: [{ taskDefinition: arnOf("team-a_web", 2) }] } });
    h.markDeleted();
    await h.reconcile();
    expect(h.obj.metadata.finalizers).toEqual([FINALIZER]);
    expect(h.ecs.status("team-a_web", 1)).toBe("DELETE_IN_PROGRESS");
    expect(h.ecs.status("team-a_web", 2)).toBe("ACTIVE");
    h.services.length = 0;
    await h.reconcile();
    expect(h.obj.metadata.finalizers).toEqual([]);
    expect(h.ecs.status("team-a_web", 2)).toBe("DELETE_IN_PROGRESS");
    expect(h.ecs.status("team-a_web", ci.td.revision ?? 0)).toBe("ACTIVE");
  });

  it("finishes deleting when AWS refuses to delete the deregistered revisions", async () => {
    await h.reconcile();
    h.ecs.denyDelete = true;
    h.markDeleted();
    expect((await h.reconcile()).outcome).toBe("success");
    expect(h.obj.metadata.finalizers).toEqual([]);
    expect(h.ecs.status("team-a_web", 1)).toBe("INACTIVE");
  });

  it("leaves every revision alone on delete with deletionPolicy Retain", async () => {
    h.apply({ ...image("2.4"), deletionPolicy: "Retain" });
    await h.reconcile();
    h.markDeleted();
    await h.reconcile();
    expect(h.obj.metadata.finalizers).toEqual([]);
    expect(h.ecs.status("team-a_web", 1)).toBe("ACTIVE");
  });

  it("reports what AWS rejects as InvalidSpec with AWS's message, and registers once the spec is fixed", async () => {
    h.ecs.rejectRegister = "Invalid 'memory' setting for container 'web'.";
    const failed = await h.reconcile();
    expect(failed.error?.errorClass).toBe("terminal");
    expect(h.obj.status?.conditions?.find((c) => c.type === "Synced")).toMatchObject({ status: "False", reason: "InvalidSpec", message: expect.stringContaining("Invalid 'memory' setting") as unknown });
    // The same generation again (a periodic re-check): no second attempt.
    await h.reconcile();
    expect(h.ecs.count("RegisterTaskDefinition")).toBe(1);
    h.ecs.rejectRegister = undefined;
    h.apply(image("2.5"));
    expect((await h.reconcile()).outcome).toBe("success");
    expect(h.obj.status).toMatchObject({ revision: 1 });
  });

  it("in Observe mode reports the family's newest revision, whoever registered it, and writes nothing", async () => {
    h.ecs.register({ family: "team-a_web", containerDefinitions: [{ name: "web", image: "httpd:2.4", memory: 512 }], tags: [{ key: "pipeline", value: "ci" }] });
    h.apply({ ...image("2.4"), managementPolicy: "Observe" });
    await h.reconcile();
    expect(h.obj.status).toMatchObject({ revision: 1, taskDefinitionArn: arnOf("team-a_web", 1) });
    expect(h.obj.status?.conditions?.find((c) => c.type === "Synced")?.message).toBe("observed; matches spec");
    h.ecs.calls.length = 0;
    await h.reconcile();
    expect(h.ecs.calls).toEqual(["ListTaskDefinitions"]);
    expect(h.ecs.count("RegisterTaskDefinition") + h.ecs.count("TagResource")).toBe(0);
  });
});
