import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sumSamples } from "../test/env/operator-process.js";
import { repoRoot } from "../test/env/paths.js";
import { freePort, startProcess, type ManagedProcess } from "../test/env/processes.js";
import type { StackInfo } from "../test/env/stack.js";
import { epochMs, MemorySampler, round } from "./measure.js";

/** The shipped JavaScript, built by `npx tsc -p tsconfig.build.json`: memory and latency are those
 * of what runs in production, not of tsx compiling on the fly. */
export const OPERATOR_MAIN = join(repoRoot, "dist/src/main.js");

/**
 * The Node.js flags the image starts the operator with: those of the Dockerfile's ENTRYPOINT
 * (["node", ...flags, "/app/dist/src/main.js"]), so that the bench measures what ships.
 */
export function shippedNodeFlags(dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8")): string[] {
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (entrypoint === undefined) throw new Error("the Dockerfile has no ENTRYPOINT in exec form");
  const argv = JSON.parse(entrypoint) as string[];
  const script = argv.findIndex((arg) => arg.endsWith("/main.js"));
  if (argv[0] !== "node" || script < 1) throw new Error(`unexpected ENTRYPOINT ${entrypoint}: expected ["node", ...flags, ".../main.js"]`);
  return argv.slice(1, script);
}

export interface OperatorSettings {
  accountId: string;
  namespaces: string[];
  workers: number;
  resyncSeconds: number;
  logDir: string;
  /** Names the log and profile files. */
  label: string;
  cpuProfDir?: string;
  /** ECS_OPERATOR_AWS_RATES: the quotas its client-side buckets keep under. */
  awsRateOverrides: string;
  /** Node.js flags before the script (shippedNodeFlags()). */
  nodeFlags: string[];
}

export interface BenchOperator {
  readonly pid: number;
  /** When the process was spawned, on the AWS proxy's clock (epoch ms). */
  readonly spawnedAt: number;
  readonly logFile: string;
  readonly memory: MemorySampler;
  metricsText(): Promise<string>;
  /** A counter or gauge summed over the series whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Where the memory is, from the V8 statistics on /metrics (MiB). */
  heap(): Promise<Record<string, number>>;
  /** SIGTERM, a graceful shutdown (SIGKILL after a minute). */
  stop(): Promise<void>;
}

export async function startBuiltOperator(stack: StackInfo, settings: OperatorSettings): Promise<BenchOperator> {
  mkdirSync(settings.logDir, { recursive: true });
  const httpPort = await freePort();
  const logFile = join(settings.logDir, `operator-${settings.label}.log`);
  const nodeFlags = [...settings.nodeFlags, ...(settings.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${settings.cpuProfDir}`, `--cpu-prof-name=operator-${settings.label}.cpuprofile`] : [])];
  const args = [
    ...nodeFlags,
    OPERATOR_MAIN,
    "run",
    `--region=${stack.region}`,
    `--aws-endpoint=${stack.awsEndpoint}`,
    `--namespaces=${settings.namespaces.join(",")}`,
    `--http-port=${String(httpPort)}`,
    `--resync-seconds=${String(settings.resyncSeconds)}`,
    `--workers=${String(settings.workers)}`,
    "--leader-election=false",
    `--kubeconfig=${stack.kubeconfigPath}`,
    "--log-level=info",
  ];
  const spawnedAt = epochMs();
  const proc: ManagedProcess = startProcess(`operator-${settings.label}`, process.execPath, args, logFile, {
    AWS_ACCESS_KEY_ID: settings.accountId,
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_REGION: stack.region,
    ECS_OPERATOR_AWS_RATES: settings.awsRateOverrides,
  });
  const pid = proc.child.pid ?? -1;
  const memory = new MemorySampler(pid);
  const base = `http://127.0.0.1:${String(httpPort)}`;
  const metricsText = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`operator exited during start-up; see ${logFile}`);
    // Ready means every kind's cache has synced and the workers run.
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`operator not ready after 60 s; see ${logFile}`);
    await sleep(50);
  }
  return {
    pid,
    spawnedAt,
    logFile,
    memory,
    metricsText,
    metric: async (name, labels = {}) => sumSamples(await metricsText(), name, labels),
    async heap() {
      const text = await metricsText();
      const mib = (name: string, labels: Record<string, string> = {}): number => round(sumSamples(text, name, labels) / 2 ** 20);
      return {
        heapTotal: mib("nodejs_heap_size_total_bytes"),
        heapUsed: mib("nodejs_heap_size_used_bytes"),
        newSpace: mib("nodejs_heap_space_size_total_bytes", { space: "new" }),
        oldSpace: mib("nodejs_heap_space_size_total_bytes", { space: "old" }),
        oldSpaceUsed: mib("nodejs_heap_space_size_used_bytes", { space: "old" }),
        codeSpace: mib("nodejs_heap_space_size_total_bytes", { space: "code" }),
        largeObjectSpace: mib("nodejs_heap_space_size_total_bytes", { space: "large_object" }),
        external: mib("nodejs_external_memory_bytes"),
      };
    },
    async stop() {
      await proc.stop(60_000);
      memory.stop();
    },
  };
}
