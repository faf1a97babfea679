import { CreateListenerCommand, CreateLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AwsProxyControl, type CallCounts } from "../test/env/aws-proxy-control.js";
import { defaultVpc, testAwsClients, uniqueAccountId, vpcSubnets } from "../test/env/aws.js";
import type { StackInfo } from "../test/env/stack.js";
import { fleetManifests, type FleetSize, type Manifest } from "./fleet.js";
import { createNamespace, FleetWatch } from "./kube.js";
import { epochMs } from "./measure.js";
import type { BenchOptions } from "./options.js";
import { startBuiltOperator, type BenchOperator } from "./operator.js";
import { classOf } from "./rates.js";

export interface RunContext {
  opts: BenchOptions;
  stack: StackInfo;
  kc: KubeConfig;
  proxy: AwsProxyControl;
  /** 1-based. */
  run: number;
  logDir: string;
  log(line: string): void;
}

/** One fleet in its own Kubernetes namespace and its own AWS account. */
export interface Deployment {
  label: string;
  namespace: string;
  accountId: string;
  manifests: Manifest[];
  watch: FleetWatch;
}

/** An AWS account ready for a fleet: its default VPC and, when the fleet has ListenerRules, a
 * listener on an ALB (which the operator does not manage). */
export async function prepareAccount(ctx: RunContext, accountId: string): Promise<{ vpcId: string; listenerArn: string }> {
  const vpcId = await defaultVpc(ctx.stack, accountId);
  let listenerArn = "";
  if (ctx.opts.mix > 0) {
    const { elbv2 } = testAwsClients(ctx.stack, accountId);
    const subnets = await vpcSubnets(ctx.stack, accountId, vpcId);
    const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "bench", Type: "application", Subnets: subnets.slice(0, 2) }));
    const listener = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
        Protocol: "HTTP",
        Port: 80,
        DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }],
      }),
    );
    listenerArn = listener.Listeners?.[0]?.ListenerArn ?? "";
  }
  return { vpcId, listenerArn };
}

export async function prepareDeployment(ctx: RunContext, label: string, size: FleetSize = { n: ctx.opts.n, mix: ctx.opts.mix }, accountId = uniqueAccountId()): Promise<Deployment> {
  const namespace = `bench-${label}-${randomBytes(3).toString("hex")}`;
  await createNamespace(ctx.kc, namespace);
  const { vpcId, listenerArn } = await prepareAccount(ctx, accountId);
  const watch = new FleetWatch(ctx.kc, namespace);
  await watch.start();
  return { label, namespace, accountId, manifests: fleetManifests(size, { namespace, vpcId, listenerArn }), watch };
}

export function startOperatorFor(ctx: RunContext, dep: { accountId: string; namespaces: string[] } | Deployment, label: string): Promise<BenchOperator> {
  return startBuiltOperator(ctx.stack, {
    accountId: dep.accountId,
    namespaces: "namespaces" in dep ? dep.namespaces : [dep.namespace],
    workers: ctx.opts.workers,
    resyncSeconds: ctx.opts.resyncSeconds,
    logDir: ctx.logDir,
    label: `run${String(ctx.run)}-${label}`,
    awsRateOverrides: ctx.opts.awsRateOverrides,
    nodeFlags: ctx.opts.nodeFlags,
    ...(ctx.opts.cpuProfDir ? { cpuProfDir: ctx.opts.cpuProfDir } : {}),
  });
}

/** `service:Operation` → calls, for one account. */
export function callsByOperation(counts: CallCounts, accountId: string, pick: "calls" | "forwarded" = "calls"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of Object.entries(counts[accountId] ?? {})) {
    const n = pick === "calls" ? c.calls : c.calls - c.throttled - c.injected;
    if (n > 0) out[name] = n;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export const isWrite = (name: string): boolean => !/^(Describe|List|Get)/.test(name.slice(name.indexOf(":") + 1));

/** The reads that re-checking the N services and N task definitions takes (as opposed to the mix). */
export const isPairRead = (name: string): boolean => ["ecs:service-read", "ecs:taskdefinition-read"].includes(classOf(name));

export function sum(byOperation: Record<string, number>, filter: (name: string) => boolean = () => true): number {
  return Object.entries(byOperation).reduce((total, [name, n]) => total + (filter(name) ? n : 0), 0);
}

/**
 * Waits until the account has made no AWS call for `quietMs`; resolves with the time of its last
 * call (epoch ms), or of the start of the wait if there was none.
 */
export async function awsQuiet(ctx: RunContext, accountId: string, quietMs: number, timeoutMs = 600_000): Promise<number> {
  const started = epochMs();
  let last = started;
  for (;;) {
    const now = epochMs();
    const calls = await ctx.proxy.calls(accountId, now - quietMs);
    const latest = calls.at(-1)?.at;
    if (latest === undefined) return last;
    last = latest;
    if (now - started > timeoutMs) throw new Error(`account ${accountId} still calls AWS after ${String(timeoutMs / 1000)} s`);
    await sleep(Math.max(50, latest + quietMs - now));
  }
}

/** The operator's re-check grid (src/runtime/reconciler.ts nextRecheckMs): re-checks fall due in
 * [slot, slot + spread] for slots at multiples of the resync period. */
export function grid(ctx: RunContext): { periodMs: number; spreadMs: number; nextSlot(after?: number): number } {
  const periodMs = ctx.opts.resyncSeconds * 1000;
  return {
    periodMs,
    spreadMs: Math.min(5000, periodMs / 10),
    nextSlot: (after = epochMs()) => (Math.floor(after / periodMs) + 1) * periodMs,
  };
}

export async function sleepUntil(epoch: number): Promise<void> {
  const ms = epoch - epochMs();
  if (ms > 0) await sleep(ms);
}

/**
 * Waits for a point when no re-check is under way and the next burst is at least `leadMs` away.
 * Re-checks that take most of a period leave no such point: after three periods, any quiet moment
 * will do, with a warning.
 */
export async function betweenRechecks(ctx: RunContext, accountId: string, leadMs: number, quietMs = 500): Promise<void> {
  const g = grid(ctx);
  const giveUpAt = epochMs() + 3 * g.periodMs;
  for (;;) {
    await awsQuiet(ctx, accountId, quietMs);
    const now = epochMs();
    const slot = g.nextSlot(now);
    const previousBurstEnd = slot - g.periodMs + g.spreadMs;
    if (slot - now >= leadMs && now > previousBurstEnd) return;
    if (now > giveUpAt) {
      ctx.log(`WARNING: no quiet moment ${String(leadMs / 1000)} s before a re-check in three periods; going on`);
      return;
    }
    await sleepUntil(slot - now < leadMs ? slot + g.spreadMs : previousBurstEnd);
  }
}
