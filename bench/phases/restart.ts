import { setTimeout as sleep } from "node:timers/promises";
import { awsQuiet, isPairRead, betweenRechecks, callsByOperation, grid, isWrite, startOperatorFor, sum, type Deployment, type RunContext } from "../context.js";
import { epochMs, round } from "../measure.js";
import type { BenchOperator } from "../operator.js";

export interface RestartResult {
  awsCalls: number;
  /** Of which DescribeServices and task definition reads: the cost of the N pairs alone. */
  pairsAwsCalls: number;
  awsWrites: number;
  statusWrites: number;
  /** From spawning the new process to its last AWS call or reconcile of the start-up pass. */
  secondsToIdle: number;
  reconciles: number;
  byOperation: Record<string, number>;
  /** True if the next periodic re-check fell due before the start-up pass was over. */
  overlappedRecheck: boolean;
}

/**
 * Stops the converged operator gracefully and starts a new process on the same fleet: everything
 * is listed afresh and reconciled once. Started just after a periodic re-check, so that the next
 * one is a whole period away.
 */
export async function restart(ctx: RunContext, dep: Deployment, old: BenchOperator): Promise<{ result: RestartResult; operator: BenchOperator }> {
  const g = grid(ctx);
  await betweenRechecks(ctx, dep.accountId, g.periodMs / 2, 1000);
  await old.stop();
  await ctx.proxy.reset(dep.accountId);
  const operator = await startOperatorFor(ctx, dep, "restarted");
  const nextSlot = g.nextSlot(operator.spawnedAt);
  const objects = dep.watch.total();
  let reconciles = 0;
  let lastChange = epochMs();
  // Idle: every object reconciled, the count still for a second, and no AWS call for two.
  for (;;) {
    const now = await operator.metric("ecs_operator_reconcile_total");
    if (now !== reconciles) [reconciles, lastChange] = [now, epochMs()];
    if (reconciles >= objects && epochMs() - lastChange > 1000) break;
    await sleep(100);
  }
  const lastCall = await awsQuiet(ctx, dep.accountId, 2000);
  const counts = await ctx.proxy.counts(dep.accountId);
  const byOperation = callsByOperation(counts, dep.accountId);
  const idleAt = Math.max(lastCall, lastChange);
  return {
    operator,
    result: {
      awsCalls: sum(byOperation),
      pairsAwsCalls: sum(byOperation, isPairRead),
      awsWrites: sum(byOperation, isWrite),
      statusWrites: await operator.metric("ecs_operator_status_writes_total"),
      secondsToIdle: round((idleAt - operator.spawnedAt) / 1000),
      reconciles,
      byOperation,
      overlappedRecheck: idleAt >= nextSlot,
    },
  };
}
