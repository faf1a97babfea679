import { setTimeout as sleep } from "node:timers/promises";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { awsQuiet, betweenRechecks, isWrite, type Deployment, type RunContext } from "../context.js";
import { appName, taskDefinition } from "../fleet.js";
import { applyOne, converged, deleteObject, patchSpec } from "../kube.js";
import { epochMs, percentile, round } from "../measure.js";

export type Change = "scaleService" | "createTaskDefinition";

export interface LatencySample {
  change: Change;
  object: string;
  /** From the API server's answer to the change to the first AWS write the proxy saw after it. */
  ms: number;
  firstWrite: string;
}

export interface LatencyResult {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  byChange: Record<Change, { p50: number; p99: number; samples: number }>;
  /** Samples whose first write was not the one expected for the change. */
  unexpectedWrites: string[];
}

const EXPECTED: Record<Change, string> = { scaleService: "ecs:UpdateService", createTaskDefinition: "ecs:RegisterTaskDefinition" };

/**
 * With the operator idle and converged, makes one change at a time: two in three scale a service
 * (desiredCount 1 → 2: one UpdateService), one in three applies a new TaskDefinition (one
 * RegisterTaskDefinition). t0 is when the API server's answer arrives; the write's time is its
 * arrival at the AWS proxy. Each change is left to converge before the next, and none is made
 * while a periodic re-check is under way or due within two seconds.
 */
export async function applyLatency(ctx: RunContext, dep: Deployment): Promise<LatencyResult> {
  const samples: LatencySample[] = [];
  const created: string[] = [];
  let scaled = 0;
  for (let s = 0; s < ctx.opts.samples; s++) {
    const change: Change = s % 3 === 2 ? "createTaskDefinition" : "scaleService";
    await betweenRechecks(ctx, dep.accountId, 2000, 300);
    const sentAt = epochMs();
    let obj: ManagedObject;
    let kind: string;
    if (change === "scaleService") {
      kind = "EcsService";
      // Past the services wired to the other kinds, so every sample is an ordinary service.
      const name = appName(ctx.opts.mix + (scaled++ % Math.max(1, ctx.opts.n - ctx.opts.mix)));
      const current = dep.watch.get(kind, name)?.spec as { desiredCount?: number } | undefined;
      obj = await patchSpec(ctx.kc, dep.namespace, kind, name, { desiredCount: (current?.desiredCount ?? 1) === 1 ? 2 : 1 });
    } else {
      kind = "TaskDefinition";
      const name = `latency-${String(s).padStart(3, "0")}`;
      obj = await applyOne(ctx.kc, taskDefinition(dep.namespace, name, `latency-${String(s)}`));
      created.push(name);
    }
    const t0 = epochMs();
    const write = await firstWriteSince(ctx, dep.accountId, sentAt);
    samples.push({ change, object: `${kind}/${obj.metadata.name}`, ms: write.at - t0, firstWrite: write.operation });
    const generation = obj.metadata.generation ?? 0;
    await dep.watch.until(
      () => {
        const now = dep.watch.get(kind, obj.metadata.name);
        return now && converged(now) && (now.metadata.generation ?? 0) >= generation ? true : undefined;
      },
      120_000,
      () => `${kind}/${obj.metadata.name} to converge after the change`,
    );
  }
  // The fleet goes back to its size: the task definitions made here are deleted (in AWS too).
  for (const name of created) await deleteObject(ctx.kc, dep.namespace, "TaskDefinition", name);
  await dep.watch.until(() => (created.every((name) => dep.watch.get("TaskDefinition", name) === undefined) ? true : undefined), 300_000, () => "the latency task definitions to be deleted");
  await awsQuiet(ctx, dep.accountId, 1000);

  const of = (list: LatencySample[]) => ({ p50: round(percentile(list.map((x) => x.ms), 50)), p99: round(percentile(list.map((x) => x.ms), 99)), samples: list.length });
  const byChange = {
    scaleService: of(samples.filter((x) => x.change === "scaleService")),
    createTaskDefinition: of(samples.filter((x) => x.change === "createTaskDefinition")),
  };
  return {
    ...of(samples),
    max: round(Math.max(...samples.map((x) => x.ms))),
    byChange,
    unexpectedWrites: samples.filter((x) => x.firstWrite !== EXPECTED[x.change]).map((x) => `${x.object}: ${x.firstWrite}`),
  };
}

async function firstWriteSince(ctx: RunContext, accountId: string, since: number): Promise<{ at: number; operation: string }> {
  const deadline = epochMs() + 60_000;
  for (;;) {
    const write = (await ctx.proxy.calls(accountId, since)).find((c) => isWrite(c.operation));
    if (write) return write;
    if (epochMs() > deadline) throw new Error("no AWS write within 60 s of the change");
    await sleep(5);
  }
}
