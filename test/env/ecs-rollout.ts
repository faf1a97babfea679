// What the rollout tests share: a network in moto for awsvpc tasks, manifests, and a recorder of
// a service's counts as DescribeServices reports them over time.
import { DescribeServicesCommand, type ECSClient, type Service } from "@aws-sdk/client-ecs";
import { setTimeout as sleep } from "node:timers/promises";
import type { EcsServiceState } from "./aws-proxy-control.js";
import { defaultSecurityGroup, defaultVpc, vpcSubnets } from "./aws.js";
import type { StackInfo } from "./stack.js";

export interface AwsvpcNetwork {
  vpc: string;
  subnets: string[];
  securityGroup: string;
}

export async function awsvpcNetwork(stack: StackInfo, accountId: string): Promise<AwsvpcNetwork> {
  const vpc = await defaultVpc(stack, accountId);
  return { vpc, subnets: (await vpcSubnets(stack, accountId, vpc)).slice(0, 2), securityGroup: await defaultSecurityGroup(stack, accountId, vpc) };
}

export function networkConfiguration(network: AwsvpcNetwork) {
  return { awsvpcConfiguration: { subnets: network.subnets, securityGroups: [network.securityGroup] } };
}

export function manifest(kind: string, namespace: string, name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind, metadata: { name, namespace }, spec });
}

/** A Fargate task definition of one web container; `family` defaults to name-namespace. */
export function fargateTaskDefinition(namespace: string, name: string, image: string, extra: Record<string, unknown> = {}): string {
  return manifest("TaskDefinition", namespace, name, {
    family: `${name}-${namespace}`,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    containerDefinitions: [{ name: "web", image, essential: true, portMappings: [{ containerPort: 80 }] }],
    ...extra,
  });
}

export interface CountSample {
  running: number;
  pending: number;
  desired: number;
  deployments: number;
}

/** Reads the service every `intervalMs` until `done` says so; every answer is one sample. */
export async function recordCounts(ecs: ECSClient, cluster: string, service: string, done: (s: Service) => boolean | Promise<boolean>, opts: { intervalMs?: number; timeoutMs?: number } = {}): Promise<CountSample[]> {
  const samples: CountSample[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const s = (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
    if (s !== undefined) {
      samples.push({ running: s.runningCount ?? 0, pending: s.pendingCount ?? 0, desired: s.desiredCount ?? 0, deployments: s.deployments?.length ?? 0 });
      if (await done(s)) return samples;
    }
    if (Date.now() > deadline) throw new Error(`service ${service}: not done after ${String(opts.timeoutMs ?? 60_000)} ms; last ${JSON.stringify(samples.at(-1))}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

/** The bounds of a rolling update of `desired` tasks: healthy floor and RUNNING + PENDING ceiling. */
export function rollingBounds(desired: number, minimumHealthyPercent: number, maximumPercent: number): { floor: number; ceiling: number } {
  return { floor: Math.ceil((desired * minimumHealthyPercent) / 100), ceiling: Math.floor((desired * maximumPercent) / 100) };
}

/** The states out of bounds, if any: a rolling update never goes there. */
export function outOfBounds(states: EcsServiceState[], bounds: { floor: number; ceiling: number }, capacity?: number): EcsServiceState[] {
  return states.filter((s) => s.running + s.pending > bounds.ceiling || s.healthy < bounds.floor || (capacity !== undefined && s.placed > capacity));
}
