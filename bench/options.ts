import { parseArgs } from "node:util";
import { ratesFrom, type Rate } from "../src/aws/rate-limits.js";
import { shippedNodeFlags } from "./operator.js";

export const PHASES = ["cold", "latency", "recheck", "restart", "throttled", "accounts"] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Fleet sizes: `default` is 1000 pairs (2032 objects); `10k` is 5000 pairs (10,152 objects), run
 * with the phases that a fleet of that size is about (converge, re-check, memory) and a converge
 * timeout long enough for its rate floor (about 1000 s of task definition registrations).
 */
export const SIZES = {
  default: { n: 1000, phases: PHASES, convergeTimeoutSeconds: 900 },
  "10k": { n: 5000, phases: ["cold", "recheck"], convergeTimeoutSeconds: 3600 },
} as const satisfies Record<string, { n: number; phases: readonly Phase[]; convergeTimeoutSeconds: number }>;
export type Size = keyof typeof SIZES;

/** AWS accounts the fleet is spread over in the multi-account phase. */
export const ACCOUNTS = 4;

export interface BenchOptions {
  size: Size;
  /** TaskDefinition + EcsService pairs. */
  n: number;
  /** Of each other kind (TargetGroup, ListenerRule, CloudMapService); default n / 100. */
  mix: number;
  /** Independent runs, each on a fresh stack; results.json reports their medians. */
  runs: number;
  /** The operator's --workers (per kind). */
  workers: number;
  /** The operator's --resync-seconds: the grid that periodic re-checks fall due on. */
  resyncSeconds: number;
  /** Single changes timed in the apply-latency phase. */
  samples: number;
  /** Objects in flight at once while the fleet is applied. */
  applyConcurrency: number;
  phases: Phase[];
  out: string;
  /** Write a V8 CPU profile of each operator process into this directory. */
  cpuProfDir?: string;
  /** Give up on a convergence after this long. */
  convergeTimeoutSeconds: number;
  /**
   * The AWS quotas the bench models, for the operator's client-side buckets and the proxy's
   * (AWS's defaults with the overrides given; see BENCH_AWS_RATES in bench/README.md).
   */
  awsRates: Record<string, Rate>;
  /** The overrides alone, as given (ECS_OPERATOR_AWS_RATES of the operator). */
  awsRateOverrides: string;
  /** Node.js flags the operator runs with: the image's (shippedNodeFlags) unless overridden. */
  nodeFlags: string[];
}

/**
 * An account whose task definition registration quota was raised from AWS's default 1/s to 5/s:
 * at the default, 1000 registrations alone take (1000 - 20) / 1 = 980 s, which would make the
 * quota, not the operator, the figure of the cold and throttled phases.
 */
export const DEFAULT_AWS_RATE_OVERRIDES = JSON.stringify({ "ecs:taskdefinition-modify": { ratePerSecond: 5, burst: 20 } });

const USAGE = `usage: node --import tsx bench/run.ts [flags]   (or: make bench)
  --size <size>            default (1000 pairs, every phase) or 10k (5000 pairs: cold, recheck) (BENCH_SIZE)
  --n <pairs>              TaskDefinition + EcsService pairs (BENCH_N, default by --size)
  --mix <count>            of each other kind (BENCH_MIX, default n/100, at least 1)
  --runs <count>           independent runs; results are their medians (BENCH_RUNS, default 1)
  --workers <count>        operator workers per kind (BENCH_WORKERS, default 8)
  --resync-seconds <s>     operator re-check period (BENCH_RESYNC_SECONDS, default 60)
  --samples <count>        single changes timed for apply latency (BENCH_SAMPLES, default 60)
  --apply-concurrency <c>  objects applied in parallel (BENCH_APPLY_CONCURRENCY, default 16)
  --phases <list>          subset of ${PHASES.join(",")} (BENCH_PHASES, default all)
  --out <file>             results file (BENCH_OUT, default bench/results.json; bench/results-10k.json at 10k)
  --cpu-prof <dir>         write the operator's V8 CPU profiles there (BENCH_CPU_PROF)
  --converge-timeout <s>   (BENCH_CONVERGE_TIMEOUT, default 900; 3600 at --size 10k)
  --node-flags=<flags>     Node.js flags of the operator, space-separated (BENCH_NODE_FLAGS, default
                           the Dockerfile ENTRYPOINT's: ${shippedNodeFlags().join(" ") || "(none)"})
  --aws-rates <json>       quota overrides by API class, as ECS_OPERATOR_AWS_RATES (BENCH_AWS_RATES,
                           default ${DEFAULT_AWS_RATE_OVERRIDES}; '{}' for AWS's defaults)`;

function int(text: string, name: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${text}\n${USAGE}`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      size: { type: "string" },
      n: { type: "string" },
      mix: { type: "string" },
      runs: { type: "string" },
      workers: { type: "string" },
      "resync-seconds": { type: "string" },
      samples: { type: "string" },
      "apply-concurrency": { type: "string" },
      phases: { type: "string" },
      out: { type: "string" },
      "cpu-prof": { type: "string" },
      "converge-timeout": { type: "string" },
      "aws-rates": { type: "string" },
      "node-flags": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const sizeName = values.size ?? env.BENCH_SIZE ?? "default";
  if (!(sizeName in SIZES)) throw new Error(`unknown size ${sizeName}\n${USAGE}`);
  const size = sizeName as Size;
  const preset = SIZES[size];
  const n = int(values.n ?? env.BENCH_N ?? String(preset.n), "n", 1);
  const phases = (values.phases ?? env.BENCH_PHASES ?? preset.phases.join(",")).split(",").map((p) => p.trim()).filter(Boolean);
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`unknown phase ${p}\n${USAGE}`);
  const cpuProfDir = values["cpu-prof"] ?? env.BENCH_CPU_PROF;
  const awsRateOverrides = values["aws-rates"] ?? env.BENCH_AWS_RATES ?? DEFAULT_AWS_RATE_OVERRIDES;
  const nodeFlags = values["node-flags"] ?? env.BENCH_NODE_FLAGS;
  return {
    size,
    n,
    mix: int(values.mix ?? env.BENCH_MIX ?? String(Math.max(1, Math.round(n / 100))), "mix", 0),
    runs: int(values.runs ?? env.BENCH_RUNS ?? "1", "runs", 1),
    workers: int(values.workers ?? env.BENCH_WORKERS ?? "8", "workers", 1),
    resyncSeconds: int(values["resync-seconds"] ?? env.BENCH_RESYNC_SECONDS ?? "60", "resync-seconds", 5),
    samples: int(values.samples ?? env.BENCH_SAMPLES ?? "60", "samples", 1),
    applyConcurrency: int(values["apply-concurrency"] ?? env.BENCH_APPLY_CONCURRENCY ?? "16", "apply-concurrency", 1),
    phases: phases as Phase[],
    out: values.out ?? env.BENCH_OUT ?? (size === "default" ? "bench/results.json" : `bench/results-${size}.json`),
    ...(cpuProfDir ? { cpuProfDir } : {}),
    convergeTimeoutSeconds: int(values["converge-timeout"] ?? env.BENCH_CONVERGE_TIMEOUT ?? String(preset.convergeTimeoutSeconds), "converge-timeout", 10),
    awsRates: ratesFrom(awsRateOverrides),
    awsRateOverrides,
    nodeFlags: nodeFlags === undefined ? shippedNodeFlags() : nodeFlags.split(/\s+/).filter(Boolean),
  };
}
