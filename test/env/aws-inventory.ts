// Everything the operator could have created in one moto account, listed resource type by resource
// type with its owner tags, and the check that each object owns exactly one resource and every
// owned resource has its object: no duplicates, no orphans (design.md, promises 3 and 4).
import { DescribeRulesCommand, DescribeTargetGroupsCommand, type TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ListClustersCommand, ListServicesCommand, ListTaskDefinitionsCommand, type ListTaskDefinitionsCommandOutput } from "@aws-sdk/client-ecs";
import { paginateListNamespaces, paginateListServices } from "@aws-sdk/client-servicediscovery";
import { describeElbv2Tags } from "../../src/aws/elbv2.js";
import { fromLowerTagList, KIND_TAG, OWNER_TAG, UID_TAG } from "../../src/aws/tags.js";
import { tagsOf } from "../../src/aws/cloudmap.js";
import { canonicalContent, stableStringify } from "../../src/controllers/taskdefinition/normalise.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import type { Client, MetadataBearer } from "@smithy/types";
import { createAwsClients, type AwsClients } from "../../src/aws/clients.js";
import { KINDS, type Kind } from "./fleet.js";
import type { StackInfo } from "./stack.js";

export interface AwsResource {
  kind: Kind;
  /** The ARN (for a task definition, the revision's ARN). */
  arn: string;
  name: string;
  tags: Record<string, string>;
  /** A task definition revision's normalised content, to tell identical revisions apart. */
  content?: string;
}

/**
 * SDK clients that talk to moto directly, not through the counting, fault-injecting proxy: the
 * test's own listings neither count as the operator's calls nor meet its injected faults. The
 * header is what the proxy would add for the account.
 */
export function motoClients(stack: StackInfo, accountId: string): AwsClients {
  const clients = createAwsClients({ region: stack.region, endpoint: stack.motoUrl, credentials: { accessKeyId: accountId, secretAccessKey: "test" } });
  for (const client of [clients.ecs, clients.elbv2, clients.serviceDiscovery] as Client<object, MetadataBearer, unknown>[]) {
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers["x-moto-account-id"] = accountId;
        return next(args);
      },
      { step: "build", name: "motoAccount" },
    );
  }
  return clients;
}

/**
 * Lists every resource type the operator manages in the account: ECS clusters (ACTIVE), the
 * services (not INACTIVE) of every cluster, deleted ones included, ACTIVE task definition revisions, ELBv2 target groups, the rules of the
 * given listeners (not the default rule), Cloud Map namespaces and services; with their tags.
 */
export async function listAwsResources(stack: StackInfo, accountId: string, listenerArns: readonly string[]): Promise<AwsResource[]> {
  const aws = motoClients(stack, accountId);
  const out: AwsResource[] = [];

  const clusterArns: string[] = [];
  let token: string | undefined;
  do {
    const page = await aws.ecs.send(new ListClustersCommand({ ...(token ? { nextToken: token } : {}) }));
    clusterArns.push(...(page.clusterArns ?? []));
    token = page.nextToken;
  } while (token);
  for (let i = 0; i < clusterArns.length; i += 100) {
    const { clusters } = await aws.ecs.send(new DescribeClustersCommand({ clusters: clusterArns.slice(i, i + 100), include: ["TAGS"] }));
    for (const c of clusters ?? []) {
      // A deleted cluster's services are still listed: ECS refuses to delete a cluster with
      // services, moto does not, and a service left there would be an orphan all the same.
      if (c.status !== "INACTIVE") out.push({ kind: "EcsCluster", arn: c.clusterArn ?? "", name: c.clusterName ?? "", tags: fromLowerTagList(c.tags) });
      const serviceArns: string[] = [];
      let next: string | undefined;
      do {
        const page = await aws.ecs.send(new ListServicesCommand({ cluster: c.clusterArn, ...(next ? { nextToken: next } : {}) }));
        serviceArns.push(...(page.serviceArns ?? []));
        next = page.nextToken;
      } while (next);
      for (let j = 0; j < serviceArns.length; j += 10) {
        const { services } = await aws.ecs.send(new DescribeServicesCommand({ cluster: c.clusterArn, services: serviceArns.slice(j, j + 10), include: ["TAGS"] }));
        for (const s of services ?? []) {
          if (s.status === "INACTIVE") continue;
          out.push({ kind: "EcsService", arn: s.serviceArn ?? "", name: s.serviceName ?? "", tags: fromLowerTagList(s.tags) });
        }
      }
    }
  }

  token = undefined;
  const revisionArns: string[] = [];
  do {
    const page: ListTaskDefinitionsCommandOutput = await aws.ecs.send(new ListTaskDefinitionsCommand({ status: "ACTIVE", maxResults: 100, ...(token ? { nextToken: token } : {}) }));
    revisionArns.push(...(page.taskDefinitionArns ?? []));
    token = page.nextToken;
  } while (token);
  for (const arn of revisionArns) {
    const { taskDefinition, tags } = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] }));
    if (!taskDefinition) continue;
    out.push({ kind: "TaskDefinition", arn, name: `${taskDefinition.family ?? ""}:${String(taskDefinition.revision ?? "")}`, tags: fromLowerTagList(tags), content: stableStringify(canonicalContent(taskDefinition)) });
  }

  const groups: TargetGroup[] = [];
  let marker: string | undefined;
  do {
    const page = await aws.elbv2.send(new DescribeTargetGroupsCommand({ PageSize: 400, ...(marker ? { Marker: marker } : {}) }));
    groups.push(...(page.TargetGroups ?? []));
    marker = page.NextMarker;
  } while (marker);
  const groupTags = await describeElbv2Tags(aws.elbv2, groups.map((g) => g.TargetGroupArn ?? ""));
  for (const g of groups) out.push({ kind: "TargetGroup", arn: g.TargetGroupArn ?? "", name: g.TargetGroupName ?? "", tags: groupTags.get(g.TargetGroupArn ?? "") ?? {} });

  for (const listenerArn of listenerArns) {
    const rules = ((await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? []).filter((r) => r.IsDefault !== true);
    const ruleTags = await describeElbv2Tags(aws.elbv2, rules.map((r) => r.RuleArn ?? ""));
    for (const r of rules) out.push({ kind: "ListenerRule", arn: r.RuleArn ?? "", name: `priority ${r.Priority ?? "?"}`, tags: ruleTags.get(r.RuleArn ?? "") ?? {} });
  }

  for await (const page of paginateListNamespaces({ client: aws.serviceDiscovery }, {})) {
    for (const ns of page.Namespaces ?? []) out.push({ kind: "CloudMapNamespace", arn: ns.Arn ?? "", name: ns.Name ?? "", tags: await tagsOf(aws.serviceDiscovery, ns.Arn) });
  }
  for await (const page of paginateListServices({ client: aws.serviceDiscovery }, {})) {
    for (const s of page.Services ?? []) out.push({ kind: "CloudMapService", arn: s.Arn ?? "", name: s.Name ?? "", tags: await tagsOf(aws.serviceDiscovery, s.Arn) });
  }
  return out;
}

export interface ExactlyOnceReport {
  problems: string[];
  /** Resources owned by the objects, by kind. */
  owned: Record<string, number>;
}

/**
 * Each managed object owns exactly one resource of its kind (its uid tag), the one its status
 * names; no resource carries a uid that no object has (an orphan); no resource lacks owner tags
 * (the test's own ALB and listener are not among the types listed). For a TaskDefinition the resources are its ACTIVE
 * revisions: the one in status must be among them, and no two may have identical content (a
 * duplicate registration); with `oneRevisionEach` (no spec changed during the run) there must be
 * exactly one.
 */
export function checkExactlyOnce(resources: readonly AwsResource[], objects: readonly ManagedObject[], opts: { oneRevisionEach?: boolean } = {}): ExactlyOnceReport {
  const problems: string[] = [];
  const owned: Record<string, number> = {};
  const byUid = new Map(objects.map((o) => [o.metadata.uid, o]));
  const mine = new Map<string, AwsResource[]>();
  for (const r of resources) {
    const uid = r.tags[UID_TAG];
    if (uid === undefined) {
      problems.push(`${r.kind} ${r.name} (${r.arn}) carries no owner tags`);
      continue;
    }
    const obj = byUid.get(uid);
    if (!obj) {
      problems.push(`orphan: ${r.kind} ${r.name} is tagged for ${r.tags[OWNER_TAG] ?? "?"} (uid ${uid}), which no longer exists`);
      continue;
    }
    if (r.tags[KIND_TAG] !== obj.kind || r.kind !== obj.kind) problems.push(`${r.kind} ${r.name} is tagged for ${obj.kind} ${obj.metadata.name} (kind tag ${r.tags[KIND_TAG] ?? "none"})`);
    if (r.tags[OWNER_TAG] !== `${obj.metadata.namespace}/${obj.metadata.name}`) problems.push(`${r.kind} ${r.name}: owner tag ${r.tags[OWNER_TAG] ?? "none"} is not ${obj.metadata.namespace}/${obj.metadata.name}`);
    owned[r.kind] = (owned[r.kind] ?? 0) + 1;
    mine.set(uid, [...(mine.get(uid) ?? []), r]);
  }
  for (const obj of objects) {
    if (!(KINDS as readonly string[]).includes(obj.kind) || obj.spec?.managementPolicy === "Observe") continue;
    const key = `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
    const found = mine.get(obj.metadata.uid) ?? [];
    if (obj.kind === "TaskDefinition") {
      const current = obj.status?.taskDefinitionArn;
      if (!found.some((r) => r.arn === current)) problems.push(`${key}: its revision ${String(current)} is not an ACTIVE revision tagged with its uid`);
      const contents = found.map((r) => r.content);
      if (new Set(contents).size !== contents.length) problems.push(`${key}: ${found.length} ACTIVE revisions, some with identical content (${found.map((r) => r.name).join(", ")})`);
      if (opts.oneRevisionEach && found.length !== 1) problems.push(`${key}: ${found.length} ACTIVE revisions (${found.map((r) => r.name).join(", ")}), expected exactly 1`);
      continue;
    }
    if (found.length !== 1) {
      problems.push(`${key}: ${found.length} AWS resources carry its uid (${found.map((r) => r.name).join(", ")}), expected exactly 1`);
      continue;
    }
    const arn = obj.status?.arn;
    if (typeof arn === "string" && found[0]?.arn !== arn) problems.push(`${key}: status.arn ${arn} is not its resource ${found[0]?.arn ?? ""}`);
  }
  return { problems, owned };
}

/** AWS create operations, by the kind whose resource each creates. */
export const CREATE_OPERATIONS: Record<Kind | "EcsTask" | "EcsSchedule", string[]> = {
  EcsTask: ["ecs:RunTask"],
  EcsSchedule: ["scheduler:CreateSchedule"],
  EcsCluster: ["ecs:CreateCluster"],
  TaskDefinition: ["ecs:RegisterTaskDefinition"],
  EcsService: ["ecs:CreateService"],
  TargetGroup: ["elasticloadbalancing:CreateTargetGroup"],
  ListenerRule: ["elasticloadbalancing:CreateRule"],
  CloudMapNamespace: ["servicediscovery:CreatePrivateDnsNamespace", "servicediscovery:CreatePublicDnsNamespace", "servicediscovery:CreateHttpNamespace"],
  CloudMapService: ["servicediscovery:CreateService"],
};
