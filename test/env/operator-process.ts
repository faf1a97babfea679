import { spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "./paths.js";
import { freePort } from "./processes.js";
import type { StackInfo } from "./stack.js";

export interface OperatorProcessOptions {
  accountId: string;
  namespaces: string[];
  resyncSeconds?: number;
  leaderElection?: boolean;
  leaseName?: string;
  leaseDurationSeconds?: number;
  leaderElectionNamespace?: string;
  kubeconfigPath?: string;
  workers?: number;
  env?: Record<string, string>;
  /** Default: a free port. A fixed one lets a restarted operator stay the same scrape target. */
  httpPort?: number;
}

export interface OperatorProcess {
  readonly pid: number;
  readonly httpPort: number;
  /** Everything the process printed so far (pino JSON lines). */
  output(): string;
  /** A sample of a Prometheus counter or gauge, summed over series whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGTERM and wait: a graceful shutdown. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, with no chance to clean up. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

const running = new Set<OperatorProcess>();
// Kill whatever a test file leaves running when its worker exits, so no operator outlives a run.
process.once("exit", () => {
  for (const op of running) process.kill(op.pid, "SIGKILL");
});

/** Runs `ecs-operator run` as its own process, as in production, against the test stack. */
export async function startOperatorProcess(stack: StackInfo, opts: OperatorProcessOptions): Promise<OperatorProcess> {
  const httpPort = opts.httpPort ?? (await freePort());
  const args = [
    "--import",
    "tsx",
    join(repoRoot, "src/main.ts"),
    "run",
    `--region=${stack.region}`,
    `--aws-endpoint=${stack.awsEndpoint}`,
    `--namespaces=${opts.namespaces.join(",")}`,
    `--http-port=${httpPort}`,
    `--resync-seconds=${opts.resyncSeconds ?? 600}`,
    `--workers=${opts.workers ?? 4}`,
    `--leader-election=${String(opts.leaderElection ?? false)}`,
    `--lease-name=${opts.leaseName ?? "ecs-operator-leader"}`,
    `--lease-duration-seconds=${opts.leaseDurationSeconds ?? 15}`,
    `--leader-election-namespace=${opts.leaderElectionNamespace ?? opts.namespaces[0] ?? "default"}`,
    `--kubeconfig=${opts.kubeconfigPath ?? stack.kubeconfigPath}`,
    "--log-level=debug",
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AWS_ACCESS_KEY_ID: opts.accountId, AWS_SECRET_ACCESS_KEY: "test", ...opts.env },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => {
    resolve(code);
  }));
  const pid = child.pid ?? -1;
  const metricsText = async (): Promise<string> => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const op: OperatorProcess = {
    pid,
    httpPort,
    output: () => output,
    async metric(name, labels = {}) {
      return sumSamples(await metricsText(), name, labels);
    },
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      running.delete(op);
      return code;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
      running.delete(op);
    },
    exited,
  };
  running.add(op);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`operator exited during start-up:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false);
    if (ok) return op;
    if (Date.now() > deadline) throw new Error(`operator not healthy after 60 s:\n${output}`);
    await sleep(100);
  }
}

/** Sums a metric's samples from the Prometheus text format over the series matching `labels`. */
export function sumSamples(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] !== name) continue;
    const series = new Map([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => series.get(k) === v)) total += Number(match[3]);
  }
  return total;
}
