import { callsByOperation, isWrite, sum, type Deployment, type RunContext } from "../context.js";
import { applyAll } from "../kube.js";
import { epochMs, round } from "../measure.js";
import type { BenchOperator } from "../operator.js";
import { floorOf } from "../rates.js";

export interface ColdResult {
  /** From the first apply request to the last object converged (Ready for its generation). */
  seconds: number;
  /** How long applying the manifests took. */
  applySeconds: number;
  objects: number;
  awsCalls: number;
  awsWrites: number;
  /** Calls the proxy answered with a throttling error. */
  throttled: number;
  byOperation: Record<string, number>;
  /** The least time the operator's own client-side buckets allow for the calls it made (see rates.ts). */
  clientBucketFloorSeconds: number;
  limitingClass: string;
  /** seconds / clientBucketFloorSeconds. */
  floorRatio: number;
  /** CPU seconds (user + system) the operator used to converge the fleet. */
  cpuSeconds: number;
}

/** Applies the whole fleet at once to a running, idle operator and times it until all is Ready. */
export async function coldConverge(ctx: RunContext, dep: Deployment, operator: BenchOperator, phase = "cold"): Promise<ColdResult> {
  const total = dep.manifests.length;
  await ctx.proxy.reset(dep.accountId);
  const cpuBefore = operator.memory.cpuSeconds();
  const t0 = epochMs();
  const progress = setInterval(() => {
    ctx.log(`${phase}: ${String(dep.watch.readyCount())}/${String(total)} ready after ${String(Math.round((epochMs() - t0) / 1000))} s, operator RSS ${String(Math.round(operator.memory.rssMiB()))} MiB`);
  }, 15_000);
  try {
    const applied = applyAll(ctx.kc, dep.manifests, ctx.opts.applyConcurrency).then(() => epochMs());
    // A failed apply ends the phase at once rather than at the convergence timeout.
    const readyAt = await Promise.race([dep.watch.allConverged(total, ctx.opts.convergeTimeoutSeconds * 1000), applied.then(() => new Promise<never>(() => undefined))]);
    const appliedAt = await applied;
    const counts = await ctx.proxy.counts(dep.accountId);
    const byOperation = callsByOperation(counts, dep.accountId);
    const throttled = Object.values(counts[dep.accountId] ?? {}).reduce((n, c) => n + c.throttled, 0);
    const floor = floorOf(callsByOperation(counts, dep.accountId, "forwarded"), ctx.opts.awsRates);
    return {
      seconds: round((readyAt - t0) / 1000),
      applySeconds: round((appliedAt - t0) / 1000),
      objects: total,
      awsCalls: sum(byOperation),
      awsWrites: sum(byOperation, isWrite),
      throttled,
      byOperation,
      clientBucketFloorSeconds: round(floor.seconds),
      limitingClass: floor.limitingClass,
      floorRatio: round((readyAt - t0) / 1000 / Math.max(floor.seconds, 1e-9), 2),
      cpuSeconds: round(operator.memory.cpuSeconds() - cpuBefore, 1),
    };
  } finally {
    clearInterval(progress);
  }
}
