// `make bench`: the operator's cost in AWS calls, latency and memory, measured against the local
// stack (real kube-apiserver, moto behind our counting proxy) with the operator as its own process.
// See bench/README.md for the phases and the figures.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { AwsProxyControl } from "../test/env/aws-proxy-control.js";
import { kubeConfigFor } from "../test/env/kube.js";
import { reuseConnections } from "../src/runtime/kube-connections.js";
import { repoRoot } from "../test/env/paths.js";
import { startStack } from "../test/env/stack.js";
import { awsQuiet, prepareDeployment, startOperatorFor, type RunContext } from "./context.js";
import { countByKind } from "./fleet.js";
import { epochMs, round } from "./measure.js";
import type { BenchOperator } from "./operator.js";
import { parseOptions, type BenchOptions } from "./options.js";
import { coldConverge } from "./phases/cold.js";
import { applyLatency } from "./phases/latency.js";
import { steadyRecheck } from "./phases/recheck.js";
import { restart } from "./phases/restart.js";
import { multiAccountConverge } from "./phases/accounts.js";
import { throttledConverge } from "./phases/throttled.js";
import { summarize, table, type RunResult } from "./report.js";

const started = epochMs();
const say = (line: string): void => {
  process.stdout.write(`[bench ${String(Math.round((epochMs() - started) / 1000)).padStart(4)} s] ${line}\n`);
};

async function runOnce(ctx: RunContext): Promise<RunResult> {
  const { opts } = ctx;
  const result: RunResult = { run: ctx.run, objects: {}, rssMiB: { peak: 0, byProcess: {}, byPhase: [] } };
  const has = (p: string): boolean => (opts.phases as string[]).includes(p);

  if (opts.phases.some((p) => p !== "throttled" && p !== "accounts")) {
    const dep = await prepareDeployment(ctx, "fleet");
    result.objects = countByKind(dep.manifests);
    const first = await startOperatorFor(ctx, dep, "first");
    // Ready (caches synced, workers running) on an empty namespace: the cost of the process itself.
    result.rssMiB.start = round(first.memory.rssMiB());
    ctx.log(`start: operator ready, RSS ${String(result.rssMiB.start)} MiB`);
    let operator: BenchOperator = first;
    const heaps = new Map<string, Record<string, number>>();
    const mark = async (label: string): Promise<void> => {
      operator.memory.mark(label);
      heaps.set(label, await operator.heap());
    };
    const peaks = (): void => {
      const process = operator === first ? "first" : "restarted";
      result.rssMiB.byProcess[process] = round(operator.memory.peakMiB());
      result.rssMiB.byPhase.push(...operator.memory.stretches.map((s) => ({ process, ...s, ...(heaps.has(s.label) ? { heapMiB: heaps.get(s.label) } : {}) })));
    };
    try {
      await mark("start");
      result.coldConverge = await coldConverge(ctx, dep, operator);
      await mark("cold");
      ctx.log(`cold: ${String(result.coldConverge.objects)} objects Ready in ${String(result.coldConverge.seconds)} s with ${String(result.coldConverge.awsCalls)} AWS calls`);
      if (has("latency")) {
        result.applyToAwsWrite = await applyLatency(ctx, dep);
        await mark("latency");
        ctx.log(`latency: p50 ${String(result.applyToAwsWrite.p50)} ms, p99 ${String(result.applyToAwsWrite.p99)} ms`);
      }
      await awsQuiet(ctx, dep.accountId, 2000);
      result.rssMiB.idle = round(operator.memory.rssMiB());
      if (has("recheck")) {
        result.steadyRecheck = await steadyRecheck(ctx, dep, operator);
        await mark("recheck");
        ctx.log(`recheck: ${String(result.steadyRecheck.awsCalls)} AWS calls, ${String(result.steadyRecheck.awsWrites)} writes, ${String(result.steadyRecheck.statusWrites)} status writes`);
      }
      if (has("restart")) {
        peaks();
        const restarted = await restart(ctx, dep, operator);
        operator = restarted.operator;
        await mark("restart");
        result.restart = restarted.result;
        ctx.log(`restart: ${String(result.restart.awsCalls)} AWS calls, ${String(result.restart.awsWrites)} writes, idle after ${String(result.restart.secondsToIdle)} s`);
      }
    } finally {
      peaks();
      await operator.stop();
      await dep.watch.stop();
    }
  }
  if (has("throttled")) {
    result.throttledConverge = await throttledConverge(ctx);
    const t = result.throttledConverge;
    result.rssMiB.byProcess.throttled = t.rssPeakMiB;
    result.rssMiB.byPhase.push({ process: "throttled", label: "throttled", peakRssMiB: t.rssPeakMiB, endRssMiB: t.rssEndMiB, cpuSeconds: t.cpuSeconds, heapMiB: t.heapMiB });
    ctx.log(`throttled: ${String(t.seconds)} s against a floor of ${String(t.floorSeconds)} s, ${String(t.throttleErrors)} throttle errors`);
  }
  if (has("accounts")) {
    const a = await multiAccountConverge(ctx, result.throttledConverge);
    result.accounts = a;
    result.rssMiB.byProcess.accounts = a.rssPeakMiB;
    result.rssMiB.byPhase.push({ process: "accounts", label: "accounts", peakRssMiB: a.rssPeakMiB, endRssMiB: a.rssEndMiB, cpuSeconds: a.cpuSeconds, heapMiB: a.heapMiB });
    ctx.log(`accounts: ${String(a.objects)} objects in ${String(a.accounts)} accounts converged in ${String(a.seconds)} s (${a.byAccount.map((x) => String(x.seconds)).join(" / ")}), ${String(a.ratio ?? "-")} x one account's ${String(a.singleAccountSeconds ?? "-")} s; floor ${String(a.floorSeconds)} s`);
  }
  result.rssMiB.peak = Math.max(0, ...Object.values(result.rssMiB.byProcess));
  return result;
}

async function main(opts: BenchOptions): Promise<void> {
  say(`size ${opts.size}: N=${String(opts.n)} pairs + ${String(opts.mix)} of each other kind; ${String(opts.runs)} run(s); workers ${String(opts.workers)}; resync ${String(opts.resyncSeconds)} s; phases ${opts.phases.join(",")}; node ${opts.nodeFlags.join(" ")}`);
  say("building the operator (tsc -p tsconfig.build.json)");
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  const logDir = mkdtempSync(join(tmpdir(), "ecs-operator-bench-"));
  say(`operator logs in ${logDir}`);
  const runs: RunResult[] = [];
  for (let run = 1; run <= opts.runs; run++) {
    say(`run ${String(run)}: starting a fresh stack`);
    const stack = await startStack({ log: (line) => { say(`stack: ${line}`); } });
    const log = (line: string): void => {
      say(`run ${String(run)} ${line}`);
    };
    try {
      // The bench's own API calls share connections too, so that applying the fleet is not slowed
      // by a TLS handshake per object (see src/runtime/kube-connections.ts).
      runs.push(await runOnce({ opts, stack: stack.info, kc: reuseConnections(kubeConfigFor(stack.info)), proxy: new AwsProxyControl(stack.info.awsEndpoint), run, logDir, log }));
    } finally {
      await stack.stop();
    }
  }
  const summary = summarize(opts, runs);
  const out = resolve(repoRoot, opts.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`\n${table(summary)}\n\nwrote ${out}\n`);
}

const opts = parseOptions(process.argv.slice(2), process.env);
if (opts.cpuProfDir) opts.cpuProfDir = resolve(opts.cpuProfDir);
await main(opts).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
