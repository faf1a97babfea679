// Fleets of objects of every kind for the reliability scenarios, and the moto ids they need.
import { pluralOf } from "../../src/api/index.js";
import { CreateListenerCommand, CreateLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { API_VERSION, GROUP, VERSION } from "../../src/api/common.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { defaultSecurityGroup, defaultVpc, testAwsClients, vpcSubnets } from "./aws.js";
import { repoRoot } from "./paths.js";
import type { StackInfo } from "./stack.js";

export const KINDS = ["EcsCluster", "TaskDefinition", "TargetGroup", "CloudMapNamespace", "CloudMapService", "ListenerRule", "EcsService"] as const;
export type Kind = (typeof KINDS)[number];

/** Collection names by kind, from the API definitions. */
export const PLURALS = pluralOf as Record<Kind, string>;

/** A manifest as the tests write it: kind, name and spec (the namespace is set on apply). */
export interface Manifest {
  apiVersion: string;
  kind: Kind;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

/** What an account in moto offers the examples: its default VPC, subnets and security group, and
 * an ALB listener standing in for the user's. */
export interface MotoIds {
  vpc: string;
  subnets: string[];
  securityGroup: string;
  listenerArn: string;
  /** VPCs for private DNS namespaces: moto allows one per VPC (AWS one per name and VPC). */
  dnsVpcs: string[];
}

/** Reads the account's default network and creates an ALB with an HTTP listener (test set-up, not
 * the operator's traffic: do it before resetting the proxy's counts). `dnsVpcs` VPCs are made
 * for private DNS namespaces, the default VPC being the first unless `ownVpc`. */
export async function prepareAccount(stack: StackInfo, accountId: string, albName = "reliability-alb", opts: { dnsVpcs?: number; ownVpc?: boolean } = {}): Promise<MotoIds> {
  const aws = testAwsClients(stack, accountId);
  const vpc = await defaultVpc(stack, accountId);
  const subnets = await vpcSubnets(stack, accountId, vpc);
  const securityGroup = await defaultSecurityGroup(stack, accountId, vpc);
  const alb = await aws.elbv2.send(new CreateLoadBalancerCommand({ Name: albName, Subnets: subnets.slice(0, 2), Type: "application" }));
  const listener = await aws.elbv2.send(
    new CreateListenerCommand({ LoadBalancerArn: alb.LoadBalancers?.[0]?.LoadBalancerArn, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }] }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn;
  if (!listenerArn) throw new Error("CreateListener returned no listener");
  const dnsVpcs = opts.ownVpc ? [] : [vpc];
  while (dnsVpcs.length < (opts.dnsVpcs ?? 1)) dnsVpcs.push(await createVpc(stack, accountId));
  return { vpc: opts.ownVpc && dnsVpcs[0] ? dnsVpcs[0] : vpc, subnets, securityGroup, listenerArn, dnsVpcs };
}

let vpcCounter = 0;

/** A new VPC in moto, through EC2's query API (the project has no EC2 client), bypassing the proxy. */
async function createVpc(stack: StackInfo, accountId: string): Promise<string> {
  vpcCounter++;
  const res = await fetch(stack.motoUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-moto-account-id": accountId,
      authorization: `AWS4-HMAC-SHA256 Credential=${accountId}/20250101/${stack.region}/ec2/aws4_request, SignedHeaders=host, Signature=x`,
    },
    body: `Action=CreateVpc&Version=2016-11-15&CidrBlock=10.${String(100 + (vpcCounter % 100))}.0.0/16`,
  });
  const vpcId = /<vpcId>([^<]+)<\/vpcId>/.exec(await res.text())?.[1];
  if (vpcId === undefined) throw new Error(`CreateVpc failed in moto account ${accountId}`);
  return vpcId;
}

const manifest = (kind: Kind, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: API_VERSION, kind, metadata: { name }, spec });

/**
 * One application's worth of objects, one of each kind, wired as in the examples: a service in its
 * cluster running its task definition behind a target group that a listener rule forwards to, and
 * registered in Cloud Map. Even units use a private DNS namespace (while `ids.dnsVpcs` last), the
 * others an HTTP namespace. Each object refers only to objects earlier in the unit, so any prefix
 * of a fleet is complete.
 */
export function unit(u: number, ids: MotoIds, namespace: string): Manifest[] {
  const dnsVpc = u % 2 === 0 ? ids.dnsVpcs[u / 2] : undefined;
  const dns = dnsVpc !== undefined;
  return [
    manifest("EcsCluster", `c-${u}`, { capacityProviders: ["FARGATE"], tags: { unit: String(u) } }),
    manifest("TaskDefinition", `td-${u}`, {
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "web", image: "public.ecr.aws/docker/library/httpd:2.4", essential: true, portMappings: [{ containerPort: 80 }], environment: [{ name: "UNIT", value: String(u) }] }],
    }),
    manifest("TargetGroup", `tg-${u}`, { protocol: "HTTP", port: 80, vpcId: ids.vpc, targetType: "ip", healthCheckPath: "/", attributes: { "deregistration_delay.timeout_seconds": "30" } }),
    manifest("CloudMapNamespace", `cmns-${u}`, dnsVpc !== undefined ? { type: "DnsPrivate", name: `u${u}.${namespace}.local`, vpc: dnsVpc } : { type: "Http", name: `u${u}-${namespace}` }),
    manifest("CloudMapService", `cmsvc-${u}`, {
      namespaceRef: { name: `cmns-${u}` },
      ...(dns ? { dnsConfig: { dnsRecords: [{ type: "A", ttl: 10 }] }, healthCheckCustomConfig: { failureThreshold: 1 } } : {}),
    }),
    manifest("ListenerRule", `lr-${u}`, {
      listenerArn: ids.listenerArn,
      priority: 10 + u,
      conditions: [{ field: "path-pattern", pathPatternConfig: { values: [`/u${u}/*`] } }],
      actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: `tg-${u}` } }] } }],
    }),
    manifest("EcsService", `svc-${u}`, {
      clusterRef: { name: `c-${u}` },
      taskDefinitionRef: { name: `td-${u}` },
      desiredCount: 1,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: ids.subnets.slice(0, 2), securityGroups: [ids.securityGroup] } },
      loadBalancers: [{ targetGroupRef: { name: `tg-${u}` }, containerName: "web", containerPort: 80 }],
      ...(dns ? { serviceRegistries: [{ cloudMapServiceRef: { name: `cmsvc-${u}` } }] } : {}),
    }),
  ];
}

/** The first `size` objects of as many units as needed: every kind once `size` >= 7. Give
 * `ids.dnsVpcs` one VPC per two units to have every other unit on private DNS. */
export function fleet(size: number, ids: MotoIds, namespace: string): Manifest[] {
  const out: Manifest[] = [];
  for (let u = 0; out.length < size; u++) out.push(...unit(u, ids, namespace));
  return out.slice(0, size);
}

export function countByKind(objects: readonly { kind: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
}

/** kubectl with an explicit kubeconfig (the shared stack's or a private control plane's). */
export interface Kubectl {
  kubeconfigPath: string;
  kubectl: string;
}

export function kubectlOn(target: Kubectl, args: string[], input?: string): string {
  return execFileSync(target.kubectl, ["--kubeconfig", target.kubeconfigPath, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
    ...(input !== undefined ? { input } : {}),
  });
}

/** kubectl without blocking this process, for tests that relay traffic in it (a TCP relay). */
export async function kubectlOnAsync(target: Kubectl, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(target.kubectl, ["--kubeconfig", target.kubeconfigPath, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")}: ${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? "");
  });
}

/** The manifests as one List in `namespace`, for one `kubectl apply`. */
function listIn(namespace: string, manifests: readonly Manifest[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: manifests.map((m) => ({ ...m, metadata: { ...m.metadata, namespace } })) });
}

export function applyManifests(target: Kubectl, namespace: string, manifests: readonly Manifest[]): void {
  if (manifests.length > 0) kubectlOn(target, ["apply", "-f", "-"], listIn(namespace, manifests));
}

export async function applyManifestsAsync(target: Kubectl, namespace: string, manifests: readonly Manifest[]): Promise<void> {
  if (manifests.length > 0) await kubectlOnAsync(target, ["apply", "-f", "-"], listIn(namespace, manifests));
}

/** Every object of every kind in the namespace, from the API server. */
export async function listObjects(target: Kubectl, namespace: string): Promise<ManagedObject[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(target.kubeconfigPath);
  const api = kc.makeApiClient(CustomObjectsApi);
  const lists = await Promise.all(
    KINDS.map(async (kind) => {
      const list = (await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURALS[kind] })) as { items: ManagedObject[] };
      return list.items.map((o) => ({ ...o, kind }));
    }),
  );
  return lists.flat();
}

/** Polls until every object in the namespace (at least `expect` of them) is converged; returns them. */
export async function waitConverged(
  target: Kubectl,
  namespace: string,
  opts: { timeoutMs: number; synced?: boolean; expect?: number; log?: (line: string) => void; ignore?: string[] },
): Promise<ManagedObject[]> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastLog = 0;
  for (;;) {
    const objects = await listObjects(target, namespace).catch(() => undefined);
    if (objects) {
      const pending = objects.filter((o) => !isConverged(o, opts.synced) && !(opts.ignore ?? []).includes(o.metadata.name));
      if (pending.length === 0 && (opts.expect === undefined || objects.length >= opts.expect)) return objects;
      const describe = (o: ManagedObject): string => `${o.kind}/${o.metadata.name} (${condition(o, "Ready")?.reason ?? "no status"}: ${condition(o, "Synced")?.message ?? ""})`;
      if (Date.now() > deadline) throw new Error(`not converged after ${opts.timeoutMs} ms: ${pending.map(describe).join("; ")}`);
      if (opts.log && Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        opts.log(`${objects.length - pending.length}/${objects.length} converged; waiting for ${pending.slice(0, 5).map(describe).join("; ")}${pending.length > 5 ? " ..." : ""}`);
      }
    } else if (Date.now() > deadline) {
      throw new Error(`API server unreachable for ${opts.timeoutMs} ms`);
    }
    await sleep(1000);
  }
}

export function condition(obj: ManagedObject, type: string): { status: string; reason: string; message: string } | undefined {
  const c = obj.status?.conditions?.find((x) => x.type === type);
  return c ? { status: c.status, reason: c.reason, message: c.message } : undefined;
}

/** Ready=True for the current generation (and Synced=True when `synced`). */
export function isConverged(obj: ManagedObject, synced = false): boolean {
  if (obj.status?.observedGeneration !== obj.metadata.generation) return false;
  if (condition(obj, "Ready")?.status !== "True") return false;
  return !synced || condition(obj, "Synced")?.status === "True";
}

/** The examples (examples/*.yaml, or another folder's) with the placeholder VPC, subnets, security
 * group and listener swapped for the account's, as `make demo` does; `extra` applies further replacements. */
export function exampleManifests(ids: MotoIds, extra: [string | RegExp, string][] = [], folder = "examples"): Manifest[] {
  const dir = join(repoRoot, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => {
      let text = readFileSync(join(dir, f), "utf8")
        .replaceAll("vpc-0123456789abcdef0", ids.vpc)
        .replaceAll("subnet-0123456789abcdef0", ids.subnets[0] ?? "")
        .replaceAll("subnet-0123456789abcdef1", ids.subnets[1] ?? ids.subnets[0] ?? "")
        .replaceAll("sg-0123456789abcdef0", ids.securityGroup)
        .replace(/arn:aws:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/my-alb\/[0-9a-f]+\/[0-9a-f]+/g, ids.listenerArn);
      for (const [from, to] of extra) text = typeof from === "string" ? text.replaceAll(from, to) : text.replace(from, to);
      return parseAllDocuments(text).map((d) => d.toJS() as Manifest | null);
    })
    .filter((m): m is Manifest => m !== null && (KINDS as readonly string[]).includes(m.kind))
    .filter(usesOnlyFleetKinds);
}

/**
 * Examples built on kinds the fleet does not apply (EC2 capacity: CapacityProvider) would wait for
 * ever: leave out what names a capacity provider by reference, and what runs in such a cluster.
 */
function usesOnlyFleetKinds(m: Manifest, _i: number, all: Manifest[]): boolean {
  const needsProvider = (x: Manifest): boolean => JSON.stringify(x.spec).includes('"capacityProviderRef');
  if (needsProvider(m)) return false;
  const clusterRef = (m.spec.clusterRef as { name?: string } | undefined)?.name;
  return clusterRef === undefined || !all.some((c) => c.kind === "EcsCluster" && c.metadata.name === clusterRef && needsProvider(c));
}
