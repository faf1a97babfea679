import { callsByOperation, prepareDeployment, startOperatorFor, type RunContext } from "../context.js";
import { round } from "../measure.js";
import { bucketSpecs, floorOf, type Floor } from "../rates.js";
import { coldConverge } from "./cold.js";

export interface ThrottledResult {
  seconds: number;
  /** The least time the proxy's buckets allow for the calls the operator made (rates.ts). */
  floorSeconds: number;
  ratio: number;
  limitingClass: string;
  /** Calls the proxy answered with a throttling error. */
  throttleErrors: number;
  /** Attempts the operator itself counted as throttled (its metric). */
  operatorThrottled: number;
  /** Objects whose Synced condition is False at the end (none should be). */
  objectsInError: number;
  byClass: Floor["byClass"];
  byOperation: Record<string, number>;
  rssPeakMiB: number;
  /** The throttled operator's memory: right after start, the phase's peak and end, heap at the end. */
  rssStartMiB: number;
  rssEndMiB: number;
  cpuSeconds: number;
  heapMiB: Record<string, number>;
}

/**
 * The cold converge again, in a fresh namespace and account, with the proxy enforcing AWS-like
 * token buckets per API class (one bucket per class, shared by its operations, per account).
 */
export async function throttledConverge(ctx: RunContext): Promise<ThrottledResult> {
  const dep = await prepareDeployment(ctx, "throttled");
  const buckets = bucketSpecs(ctx.opts.awsRates);
  await ctx.proxy.setBuckets(buckets.map(({ match, ratePerSecond, burst }) => ({ match, ratePerSecond, burst })));
  const operator = await startOperatorFor(ctx, dep, "throttled");
  try {
    const rssStartMiB = round(operator.memory.rssMiB());
    const cpuBefore = operator.memory.cpuSeconds();
    const cold = await coldConverge(ctx, dep, operator, "throttled");
    const counts = await ctx.proxy.counts(dep.accountId);
    const floor = floorOf(callsByOperation(counts, dep.accountId, "forwarded"), ctx.opts.awsRates);
    return {
      seconds: cold.seconds,
      floorSeconds: round(floor.seconds),
      ratio: round(cold.seconds / Math.max(floor.seconds, 1e-9), 2),
      limitingClass: floor.limitingClass,
      throttleErrors: cold.throttled,
      operatorThrottled: await operator.metric("ecs_operator_aws_calls_total", { outcome: "throttled" }),
      objectsInError: dep.watch.inError().length,
      byClass: floor.byClass,
      byOperation: cold.byOperation,
      rssPeakMiB: round(operator.memory.peakMiB()),
      rssStartMiB,
      rssEndMiB: round(operator.memory.rssMiB()),
      cpuSeconds: round(operator.memory.cpuSeconds() - cpuBefore, 1),
      heapMiB: await operator.heap(),
    };
  } finally {
    await ctx.proxy.setBuckets([]);
    await operator.stop();
    await dep.watch.stop();
  }
}
