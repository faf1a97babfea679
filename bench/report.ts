import { cpus, totalmem } from "node:os";
import { median, round } from "./measure.js";
import type { BenchOptions } from "./options.js";
import type { AccountsResult } from "./phases/accounts.js";
import type { ColdResult } from "./phases/cold.js";
import type { LatencyResult } from "./phases/latency.js";
import type { RecheckResult } from "./phases/recheck.js";
import type { RestartResult } from "./phases/restart.js";
import type { ThrottledResult } from "./phases/throttled.js";

export interface RunResult {
  run: number;
  objects: Record<string, number>;
  coldConverge?: ColdResult;
  applyToAwsWrite?: LatencyResult;
  steadyRecheck?: RecheckResult;
  restart?: RestartResult;
  throttledConverge?: ThrottledResult;
  accounts?: AccountsResult;
  /**
   * start: the first operator right after it is ready, its namespace still empty; idle: the same
   * process converged and quiet, every object cached; peak: the largest VmHWM of any operator
   * process of the run.
   */
  rssMiB: {
    start?: number;
    idle?: number;
    peak: number;
    byProcess: Record<string, number>;
    /** Each phase's peak and final resident set, CPU seconds, and the V8 heap at its end. */
    byPhase: { process: string; label: string; peakRssMiB: number; endRssMiB: number; cpuSeconds: number; heapMiB?: Record<string, number> }[];
  };
}

export interface Target {
  figure: string;
  target: string;
  value: number | undefined;
  met: boolean | undefined;
}

/** The median over runs of one figure; undefined if no run measured it. */
function med(runs: readonly RunResult[], pick: (r: RunResult) => number | undefined): number | undefined {
  const values = runs.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return values.length === 0 ? undefined : round(median(values), 2);
}

function medianByKey(runs: readonly RunResult[], pick: (r: RunResult) => Record<string, number> | undefined): Record<string, number> {
  const maps = runs.map(pick).filter((m): m is Record<string, number> => m !== undefined);
  const keys = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort();
  return Object.fromEntries(keys.map((k) => [k, round(median(maps.map((m) => m[k] ?? 0)), 1)]));
}

/** The targets of issue 22 (and 20 for the accounts): the default fleet's, and the 10k fleet's. */
function targetsOf(opts: BenchOptions) {
  return opts.size === "10k" ? { recheckCalls: 1100, restartCalls: 1250, peakMiB: 200, startMiB: undefined } : { recheckCalls: 200, restartCalls: 250, peakMiB: 96, startMiB: 64 };
}

export function summarize(opts: BenchOptions, runs: RunResult[]) {
  const figures = {
    size: opts.size,
    n: opts.n,
    coldConvergeSeconds: med(runs, (r) => r.coldConverge?.seconds),
    coldConverge: {
      seconds: med(runs, (r) => r.coldConverge?.seconds),
      clientBucketFloorSeconds: med(runs, (r) => r.coldConverge?.clientBucketFloorSeconds),
      floorRatio: med(runs, (r) => r.coldConverge?.floorRatio),
      cpuSeconds: med(runs, (r) => r.coldConverge?.cpuSeconds),
    },
    applyToAwsWriteMs: { p50: med(runs, (r) => r.applyToAwsWrite?.p50), p99: med(runs, (r) => r.applyToAwsWrite?.p99) },
    steadyRecheck: {
      awsCalls: med(runs, (r) => r.steadyRecheck?.awsCalls),
      pairsAwsCalls: med(runs, (r) => r.steadyRecheck?.pairsAwsCalls),
      awsWrites: med(runs, (r) => r.steadyRecheck?.awsWrites),
      statusWrites: med(runs, (r) => r.steadyRecheck?.statusWrites),
      cpuSeconds: med(runs, (r) => r.steadyRecheck?.cpuSeconds),
      cpuSecondsPerPeriod: med(runs, (r) => r.steadyRecheck?.cpuSecondsPerPeriod),
      byOperation: medianByKey(runs, (r) => r.steadyRecheck?.byOperation),
    },
    restart: {
      awsCalls: med(runs, (r) => r.restart?.awsCalls),
      pairsAwsCalls: med(runs, (r) => r.restart?.pairsAwsCalls),
      awsWrites: med(runs, (r) => r.restart?.awsWrites),
      secondsToIdle: med(runs, (r) => r.restart?.secondsToIdle),
      byOperation: medianByKey(runs, (r) => r.restart?.byOperation),
    },
    throttledConverge: {
      seconds: med(runs, (r) => r.throttledConverge?.seconds),
      floorSeconds: med(runs, (r) => r.throttledConverge?.floorSeconds),
      throttleErrors: med(runs, (r) => r.throttledConverge?.throttleErrors),
      ratio: med(runs, (r) => r.throttledConverge?.ratio),
      objectsInError: med(runs, (r) => r.throttledConverge?.objectsInError),
    },
    accounts: {
      accounts: med(runs, (r) => r.accounts?.accounts),
      seconds: med(runs, (r) => r.accounts?.seconds),
      singleAccountSeconds: med(runs, (r) => r.accounts?.singleAccountSeconds),
      ratio: med(runs, (r) => r.accounts?.ratio),
      floorSeconds: med(runs, (r) => r.accounts?.floorSeconds),
      floorRatio: med(runs, (r) => r.accounts?.floorRatio),
      throttleErrors: med(runs, (r) => r.accounts?.throttleErrors),
      objectsInError: med(runs, (r) => r.accounts?.objectsInError),
    },
    rssMiB: { start: med(runs, (r) => r.rssMiB.start), idle: med(runs, (r) => r.rssMiB.idle), peak: med(runs, (r) => r.rssMiB.peak) },
  };
  const goal = targetsOf(opts);
  const startMiB = goal.startMiB;
  const f = figures;
  const check = (figure: string, target: string, value: number | undefined, ok: (v: number) => boolean): Target => ({ figure, target, value, met: value === undefined ? undefined : ok(value) });
  const targets: Target[] = [
    check("steadyRecheck.awsCalls", `<= ${String(goal.recheckCalls)}`, f.steadyRecheck.awsCalls, (v) => v <= goal.recheckCalls),
    check("steadyRecheck.awsWrites", "= 0", f.steadyRecheck.awsWrites, (v) => v === 0),
    check("steadyRecheck.statusWrites", "= 0", f.steadyRecheck.statusWrites, (v) => v === 0),
    check("restart.awsWrites", "= 0", f.restart.awsWrites, (v) => v === 0),
    check("restart.awsCalls", `<= ${String(goal.restartCalls)}`, f.restart.awsCalls, (v) => v <= goal.restartCalls),
    check("applyToAwsWriteMs.p99", "<= 250", f.applyToAwsWriteMs.p99, (v) => v <= 250),
    check("throttledConverge.ratio", "<= 1.3 (seconds / floorSeconds)", f.throttledConverge.ratio, (v) => v <= 1.3),
    check("throttledConverge.objectsInError", "= 0", f.throttledConverge.objectsInError, (v) => v === 0),
    check("accounts.ratio", "<= 0.35 (seconds / one account's seconds)", f.accounts.ratio, (v) => v <= 0.35),
    check("accounts.objectsInError", "= 0", f.accounts.objectsInError, (v) => v === 0),
    ...(startMiB === undefined ? [] : [check("rssMiB.start", `<= ${String(startMiB)}`, f.rssMiB.start, (v) => v <= startMiB)]),
    check("rssMiB.peak", `<= ${String(goal.peakMiB)}`, f.rssMiB.peak, (v) => v <= goal.peakMiB),
  ];
  return {
    ...figures,
    mix: opts.mix,
    objects: runs[0]?.objects ?? {},
    params: { size: opts.size, nodeFlags: opts.nodeFlags, runs: runs.length, workers: opts.workers, resyncSeconds: opts.resyncSeconds, samples: opts.samples, applyConcurrency: opts.applyConcurrency, phases: opts.phases, awsRateOverrides: JSON.parse(opts.awsRateOverrides) as unknown },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "", memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version },
    targets,
    runs,
  };
}

/** A short table on the terminal: each figure's median, the runs' values and the target. */
export function table(summary: ReturnType<typeof summarize>): string {
  const runs = summary.runs;
  const row = (label: string, value: number | undefined, pick: (r: RunResult) => number | undefined, target = "") =>
    [label, value === undefined ? "-" : String(value), runs.map((r) => String(pick(r) ?? "-")).join(" / "), target];
  const goal = (figure: string): string => {
    const t = summary.targets.find((x) => x.figure === figure);
    return t ? `${t.target} ${t.met === undefined ? "" : t.met ? "met" : "MISSED"}` : "";
  };
  const rows = [
    ["figure", "median", "runs", "target"],
    row("cold converge (s)", summary.coldConvergeSeconds, (r) => r.coldConverge?.seconds),
    row("  client bucket floor (s)", summary.coldConverge.clientBucketFloorSeconds, (r) => r.coldConverge?.clientBucketFloorSeconds),
    row("  CPU (s)", summary.coldConverge.cpuSeconds, (r) => r.coldConverge?.cpuSeconds),
    row("apply -> AWS write p50 (ms)", summary.applyToAwsWriteMs.p50, (r) => r.applyToAwsWrite?.p50),
    row("apply -> AWS write p99 (ms)", summary.applyToAwsWriteMs.p99, (r) => r.applyToAwsWrite?.p99, goal("applyToAwsWriteMs.p99")),
    row("re-check AWS calls", summary.steadyRecheck.awsCalls, (r) => r.steadyRecheck?.awsCalls, goal("steadyRecheck.awsCalls")),
    row("  of which the N pairs'", summary.steadyRecheck.pairsAwsCalls, (r) => r.steadyRecheck?.pairsAwsCalls),
    row("re-check AWS writes", summary.steadyRecheck.awsWrites, (r) => r.steadyRecheck?.awsWrites, goal("steadyRecheck.awsWrites")),
    row("re-check status writes", summary.steadyRecheck.statusWrites, (r) => r.steadyRecheck?.statusWrites, goal("steadyRecheck.statusWrites")),
    row("re-check CPU per period (s)", summary.steadyRecheck.cpuSecondsPerPeriod, (r) => r.steadyRecheck?.cpuSecondsPerPeriod),
    row("restart AWS calls", summary.restart.awsCalls, (r) => r.restart?.awsCalls, goal("restart.awsCalls")),
    row("  of which the N pairs'", summary.restart.pairsAwsCalls, (r) => r.restart?.pairsAwsCalls),
    row("restart AWS writes", summary.restart.awsWrites, (r) => r.restart?.awsWrites, goal("restart.awsWrites")),
    row("restart to idle (s)", summary.restart.secondsToIdle, (r) => r.restart?.secondsToIdle),
    row("throttled converge (s)", summary.throttledConverge.seconds, (r) => r.throttledConverge?.seconds),
    row("throttled floor (s)", summary.throttledConverge.floorSeconds, (r) => r.throttledConverge?.floorSeconds),
    row("throttled / floor", summary.throttledConverge.ratio, (r) => r.throttledConverge?.ratio, goal("throttledConverge.ratio")),
    row("throttle errors", summary.throttledConverge.throttleErrors, (r) => r.throttledConverge?.throttleErrors),
    row("objects left in error", summary.throttledConverge.objectsInError, (r) => r.throttledConverge?.objectsInError, goal("throttledConverge.objectsInError")),
    row("accounts converge (s)", summary.accounts.seconds, (r) => r.accounts?.seconds),
    row("  / one account's", summary.accounts.ratio, (r) => r.accounts?.ratio, goal("accounts.ratio")),
    row("  per-account floor (s)", summary.accounts.floorSeconds, (r) => r.accounts?.floorSeconds),
    row("  objects left in error", summary.accounts.objectsInError, (r) => r.accounts?.objectsInError, goal("accounts.objectsInError")),
    row("RSS start (MiB)", summary.rssMiB.start, (r) => r.rssMiB.start, goal("rssMiB.start")),
    row("RSS idle (MiB)", summary.rssMiB.idle, (r) => r.rssMiB.idle),
    row("RSS peak (MiB)", summary.rssMiB.peak, (r) => r.rssMiB.peak, goal("rssMiB.peak")),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}
