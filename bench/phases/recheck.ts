import { awsQuiet, isPairRead, callsByOperation, grid, isWrite, sleepUntil, sum, type Deployment, type RunContext } from "../context.js";
import { PLURALS } from "../fleet.js";
import { epochMs, round } from "../measure.js";
import type { BenchOperator } from "../operator.js";

export interface RecheckResult {
  awsCalls: number;
  /** Of which DescribeServices and task definition reads: the cost of the N pairs alone. */
  pairsAwsCalls: number;
  awsWrites: number;
  /** The operator's own count of status writes (ecs_operator_status_writes_total). */
  statusWrites: number;
  /** Updates of the fleet's objects that the API server reported (any writer, any field). */
  objectUpdatesSeen: number;
  /** Which objects those were (the first few). */
  updatedObjects: string[];
  statusWritesByKind: Record<string, number>;
  /** Reconciles the operator ran in the window; one per object is one full re-check. */
  reconciles: number;
  objects: number;
  byOperation: Record<string, number>;
  /** From the grid slot to the last AWS call of the re-check. */
  seconds: number;
  /** CPU seconds (user + system) the operator used in the window, and over one whole period from it. */
  cpuSeconds: number;
  cpuSecondsPerPeriod: number;
}

/**
 * One full periodic re-check in the steady state: re-checks fall due together on the grid of the
 * resync period, so the window opens just before a slot, with nothing under way, and closes once
 * the burst that follows it has gone quiet. It holds exactly one re-check of every object. Steady:
 * the fleet has been re-checked once since anything last changed (that first re-check catches up
 * with what the changes moved, such as the cluster's service count), so the slot measured is the
 * second one after the last object converged.
 */
export async function steadyRecheck(ctx: RunContext, dep: Deployment, operator: BenchOperator): Promise<RecheckResult> {
  const g = grid(ctx);
  await awsQuiet(ctx, dep.accountId, 1000);
  let slot = Math.max(g.nextSlot(), g.nextSlot(dep.watch.lastReadyChange + g.spreadMs) + g.periodMs);
  if (slot - epochMs() < 2000) slot += g.periodMs;
  await sleepUntil(slot - 1000);
  const kinds = Object.keys(PLURALS);
  const statusWritesByKind = async (): Promise<number[]> => Promise.all(kinds.map((kind) => operator.metric("ecs_operator_status_writes_total", { kind })));
  const before = {
    statusWritesByKind: await statusWritesByKind(),
    statusWrites: await operator.metric("ecs_operator_status_writes_total"),
    reconciles: await operator.metric("ecs_operator_reconcile_total"),
    updates: dep.watch.updatesSeen,
  };
  await ctx.proxy.reset(dep.accountId);
  const cpuAtOpen = operator.memory.cpuSeconds();
  const openedAt = epochMs();
  ctx.log(`recheck: window opened ${String(round((slot - epochMs()) / 1000))} s before the slot`);
  await sleepUntil(slot + g.spreadMs);
  const lastCall = await awsQuiet(ctx, dep.accountId, 3000);
  const cpuSeconds = operator.memory.cpuSeconds() - cpuAtOpen;
  if (lastCall >= slot + g.periodMs) ctx.log("recheck: WARNING the re-check ran into the next period");
  const counts = await ctx.proxy.counts(dep.accountId);
  const byOperation = callsByOperation(counts, dep.accountId);
  const updates = dep.watch.updatesSeen - before.updates;
  const afterByKind = await statusWritesByKind();
  const result = {
    awsCalls: sum(byOperation),
    pairsAwsCalls: sum(byOperation, isPairRead),
    awsWrites: sum(byOperation, isWrite),
    statusWrites: (await operator.metric("ecs_operator_status_writes_total")) - before.statusWrites,
    objectUpdatesSeen: updates,
    updatedObjects: updates === 0 ? [] : dep.watch.recentUpdates.slice(-Math.min(updates, 10)),
    statusWritesByKind: Object.fromEntries(kinds.map((kind, i): [string, number] => [kind, (afterByKind[i] ?? 0) - (before.statusWritesByKind[i] ?? 0)]).filter(([, n]) => n !== 0)),
    reconciles: (await operator.metric("ecs_operator_reconcile_total")) - before.reconciles,
    objects: dep.watch.total(),
    byOperation,
    seconds: round(Math.max(0, lastCall - slot) / 1000),
    cpuSeconds: round(cpuSeconds, 2),
  };
  // The rest of the period, idle: what one whole period of re-checking costs in CPU.
  await sleepUntil(openedAt + g.periodMs);
  return { ...result, cpuSecondsPerPeriod: round(operator.memory.cpuSeconds() - cpuAtOpen, 2) };
}
