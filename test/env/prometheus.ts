import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "./processes.js";
import { ensurePrometheusBinaries } from "./prometheus-build.js";

export interface PrometheusOptions {
  /** host:port of each process to scrape at /metrics. */
  targets: string[];
  job: string;
  /** Both the scrape and the rule evaluation interval. */
  intervalSeconds?: number;
  ruleFiles?: string[];
}

/** One sample or series of an answer of Prometheus' HTTP API. */
export interface Series {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface RuleState {
  name: string;
  type: "alerting" | "recording";
  health: string;
  lastError?: string;
  state?: "inactive" | "pending" | "firing";
  alerts?: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[];
}

export interface Prometheus {
  readonly url: string;
  readonly logFile: string;
  /** An instant query at now; throws with Prometheus' error for a query it refuses. */
  query(expr: string): Promise<Series[]>;
  /** A range query, as a dashboard panel makes it. */
  queryRange(expr: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<Series[]>;
  rules(): Promise<RuleState[]>;
  stop(): Promise<void>;
}

/** Starts the Prometheus built by `make prepare` on a free loopback port, tied to this process. */
export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  const binaries = ensurePrometheusBinaries();
  const dir = mkdtempSync(join(tmpdir(), "ecs-operator-prometheus-"));
  const interval = `${opts.intervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: opts.ruleFiles ?? [],
    scrape_configs: [{ job_name: opts.job, static_configs: [{ targets: opts.targets }] }],
  };
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dir, "prometheus.log");
  const process: ManagedProcess = startProcess("prometheus", binaries.tied, [binaries.prometheus, `--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], logFile);
  try {
    await waitUntil("prometheus", async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 30_000, process, logFile });
  } catch (err) {
    await process.stop();
    throw err;
  }
  const api = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params).toString()}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.error ?? res.statusText}`);
    return body.data;
  };
  return {
    url,
    logFile,
    query: async (expr) => (await api<{ result: Series[] }>("query", { query: expr })).result,
    queryRange: async (expr, start, end, step) => (await api<{ result: Series[] }>("query_range", { query: expr, start: String(start), end: String(end), step: String(step) })).result,
    rules: async () => (await api<{ groups: { rules: RuleState[] }[] }>("rules", {})).groups.flatMap((g) => g.rules),
    stop: () => process.stop(),
  };
}
