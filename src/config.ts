import { hostname } from "node:os";
import { ratesFrom, type Rate } from "./aws/rate-limits.js";
import { HELP_FLAG, UsageError, parseFlags, flagSynopsis, type Flag } from "./flags.js";

/** One typed configuration for `ecs-operator run`, from flags first, then environment, then defaults. */
export interface OperatorConfig {
  region: string;
  /** Overrides every AWS endpoint (moto in tests, a proxy); unset in production. */
  awsEndpoint?: string;
  /** Client-side rates by AWS API class: AWS's published defaults with the overrides given. */
  awsRates: Record<string, Rate>;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  /** Whether objects may use the operator's own AWS account (those that name no granted AwsAccount). */
  ownAccount: boolean;
  workers: number;
  resyncSeconds: number;
  /** For objects that do not set spec.deletionPolicy. */
  defaultDeletionPolicy: "Delete" | "Retain";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
  /** Port of /healthz, /readyz and /metrics; 0 picks a free one (tests). */
  httpPort: number;
  leaderElection: boolean;
  leaderElectionNamespace: string;
  leaseName: string;
  /** How long a standby waits after the leader's last renewal before taking over. */
  leaseDurationSeconds: number;
  identity: string;
  kubeconfig?: string;
}

/** A value that cannot be used, from a flag or an environment variable: exit code 2. */
export class ConfigError extends UsageError {}

/**
 * One setting of `ecs-operator run`: its flag, its environment variable and its default, the
 * single source of parsing, of `run --help` and of the Helm chart's env names (a unit test
 * compares them).
 */
export interface Setting<T> {
  flag: string;
  /** The value's placeholder in help. */
  value: string;
  env: string;
  /** Read when `env` is not set. */
  fallbackEnv?: string;
  /** As a user would write it; absent: the setting is optional, or required when `required`. */
  default?: string;
  /** What an absent (or empty) optional setting means, for help. */
  unsetMeans?: string;
  required?: boolean;
  description: string;
  /** The typed value; throws an Error whose message completes "<source> must be ..." */
  parse(text: string): T;
}

type Settings = { [K in Exclude<keyof OperatorConfig, "identity">]-?: Setting<NonNullable<OperatorConfig[K]>> };

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

function text(s: string): string {
  if (s === "") throw new Error("a non-empty value");
  return s;
}

function integer(min: number): (s: string) => number {
  return (s) => {
    const n = Number(s);
    if (s.trim() === "" || !Number.isInteger(n) || n < min) throw new Error(min === 0 ? "a non-negative integer" : `an integer of at least ${String(min)}`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]): (s: string) => T {
  return (s) => {
    const found = values.find((v) => v === s);
    if (found === undefined) throw new Error(`one of ${values.join(", ")}`);
    return found;
  };
}

function bool(s: string): boolean {
  if (s === "true") return true;
  if (s === "false") return false;
  throw new Error("true or false");
}

function awsRates(s: string): Record<string, Rate> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    throw new Error(`JSON such as {"ecs:taskdefinition-modify":{"ratePerSecond":5,"burst":20}}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("a JSON object of API classes");
  for (const [apiClass, rate] of Object.entries(parsed as Record<string, unknown>)) {
    const r = rate as Partial<Rate> | null;
    const ok = /^[a-z]+(-[a-z]+)*:[a-z-]+$/.test(apiClass) && typeof r === "object" && r !== null && typeof r.ratePerSecond === "number" && r.ratePerSecond > 0 && Number.isInteger(r.burst) && (r.burst ?? 0) >= 1;
    if (!ok) throw new Error(`a JSON object of "service:class": {"ratePerSecond": >0, "burst": integer >=1} (at ${JSON.stringify(apiClass)})`);
  }
  return ratesFrom(s);
}

/** Every setting of `ecs-operator run`, in the order `run --help` lists them. */
export const SETTINGS: Settings = {
  region: {
    flag: "region", value: "<region>", env: "AWS_REGION", fallbackEnv: "AWS_DEFAULT_REGION", required: true, parse: text,
    description: "the AWS region whose resources this operator manages",
  },
  awsEndpoint: {
    flag: "aws-endpoint", value: "<url>", env: "ECS_OPERATOR_AWS_ENDPOINT", unsetMeans: "AWS's own endpoints", parse: text,
    description: "send every AWS call to this endpoint instead (a proxy, LocalStack, moto)",
  },
  awsRates: {
    flag: "aws-rates", value: "<json>", env: "ECS_OPERATOR_AWS_RATES", default: "{}", parse: awsRates,
    description: "raise (or lower) the client-side rate of an AWS API class after a quota change,\ne.g. {\"ecs:taskdefinition-modify\":{\"ratePerSecond\":5,\"burst\":20}}; {} keeps AWS's\npublished default quotas",
  },
  namespaces: {
    flag: "namespaces", value: "<ns,...>", env: "ECS_OPERATOR_NAMESPACES", default: "", unsetMeans: "all namespaces",
    parse: (s) => s.split(",").map((n) => n.trim()).filter(Boolean),
    description: "comma-separated namespaces whose objects are reconciled",
  },
  ownAccount: {
    flag: "own-account", value: "<bool>", env: "ECS_OPERATOR_OWN_ACCOUNT", default: "true", parse: bool,
    description: "true: objects that name no AwsAccount (and whose namespace has no default one)\nuse the operator's own account and --region; false: only granted AwsAccounts serve",
  },
  workers: {
    flag: "workers", value: "<n>", env: "ECS_OPERATOR_WORKERS", default: "4", parse: integer(1),
    description: "objects of one kind reconciled at once",
  },
  resyncSeconds: {
    flag: "resync-seconds", value: "<seconds>", env: "ECS_OPERATOR_RESYNC_SECONDS", default: "600", parse: integer(1),
    description: "how often every object is checked against AWS again (drift correction)",
  },
  defaultDeletionPolicy: {
    flag: "default-deletion-policy", value: "<policy>", env: "ECS_OPERATOR_DEFAULT_DELETION_POLICY", default: "Delete", parse: oneOf(["Delete", "Retain"] as const),
    description: "Delete or Retain: what happens in AWS when an object without spec.deletionPolicy\nis deleted",
  },
  logLevel: {
    flag: "log-level", value: "<level>", env: "LOG_LEVEL", default: "info", parse: oneOf(LOG_LEVELS),
    description: `one of ${LOG_LEVELS.join(", ")} (JSON lines on stdout)`,
  },
  httpPort: {
    flag: "http-port", value: "<port>", env: "ECS_OPERATOR_HTTP_PORT", default: "8080", parse: integer(0),
    description: "port of /healthz, /readyz and /metrics; 0 picks a free one",
  },
  leaderElection: {
    flag: "leader-election", value: "<bool>", env: "ECS_OPERATOR_LEADER_ELECTION", default: "true", parse: bool,
    description: "true: only the replica holding the Lease reconciles; false: this one always does",
  },
  leaderElectionNamespace: {
    flag: "leader-election-namespace", value: "<ns>", env: "POD_NAMESPACE", default: "default", parse: text,
    description: "namespace of the Lease",
  },
  leaseName: {
    flag: "lease-name", value: "<name>", env: "ECS_OPERATOR_LEASE_NAME", default: "ecs-operator-leader", parse: text,
    description: "name of the Lease",
  },
  leaseDurationSeconds: {
    flag: "lease-duration-seconds", value: "<seconds>", env: "ECS_OPERATOR_LEASE_DURATION_SECONDS", default: "15", parse: integer(1),
    description: "how long a standby waits after the leader's last renewal before taking over",
  },
  kubeconfig: {
    flag: "kubeconfig", value: "<path>", env: "KUBECONFIG", unsetMeans: "~/.kube/config, else in-cluster", parse: text,
    description: "the kubeconfig file to use",
  },
};

/** Read from the environment only; listed by `run --help` and set by the Helm chart. */
export const ENVIRONMENT_ONLY: Record<string, string> = {
  POD_NAME: "this replica's identity as holder of the Lease (default: the host name)",
};

const settingList = (): [keyof Settings, Setting<unknown>][] => Object.entries(SETTINGS) as [keyof Settings, Setting<unknown>][];

/** The flags of `ecs-operator run`, derived from SETTINGS. */
export const RUN_FLAGS: readonly Flag[] = [
  ...settingList().map(([, s]) => ({ name: s.flag, value: s.value, description: s.description })),
  HELP_FLAG,
];

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const flags = parseFlags(argv, RUN_FLAGS);
  const config: Record<string, unknown> = {};
  for (const [key, s] of settingList()) {
    let source = `--${s.flag}`;
    let raw = flags.values[s.flag];
    for (const name of [s.env, s.fallbackEnv]) {
      if (raw !== undefined || name === undefined || env[name] === undefined || env[name] === "") continue;
      raw = env[name];
      source = name;
    }
    if (raw === undefined) {
      if (s.required) throw new ConfigError(`--${s.flag} or ${s.env} is required`);
      if (s.default === undefined) continue;
      raw = s.default;
      source = `the default of --${s.flag}`;
    }
    try {
      config[key] = s.parse(raw);
    } catch (err) {
      throw new ConfigError(`${source} must be ${err instanceof Error ? err.message : String(err)}, got ${JSON.stringify(raw)}`);
    }
  }
  config.identity = `${env.POD_NAME ?? hostname()}_${String(process.pid)}`;
  return config as unknown as OperatorConfig;
}

/** `ecs-operator run --help`: every flag with its environment variable and default. */
export function runHelp(): string {
  const rows = settingList().map(([, s]) => ({
    flag: `--${s.flag} ${s.value}`,
    env: s.fallbackEnv ? `${s.env}, ${s.fallbackEnv}` : s.env,
    dflt: s.required ? "required" : s.default ? s.default : `none: ${s.unsetMeans ?? "unset"}`,
    description: s.description,
  }));
  const flagWidth = Math.max(...rows.map((r) => r.flag.length)) + 2;
  const envWidth = Math.max(...rows.map((r) => r.env.length)) + 2;
  const entry = (head: string, description: string): string => `  ${head}\n${description.split("\n").map((line) => `      ${line}`).join("\n")}`;
  return `usage: ecs-operator run [flags]

Runs the operator. Each setting is taken from its flag, else from its environment variable, else
from its default.

  ${"flag".padEnd(flagWidth)}${"environment variable".padEnd(envWidth)}default
${rows.map((r) => entry(`${r.flag.padEnd(flagWidth)}${r.env.padEnd(envWidth)}${r.dflt}`, r.description)).join("\n")}
${entry(flagSynopsis(HELP_FLAG).trimStart(), HELP_FLAG.description)}

Read from the environment only:
${Object.entries(ENVIRONMENT_ONLY).map(([name, what]) => entry(name, what)).join("\n")}
  AWS credentials come from the AWS SDK's default chain (EKS Pod Identity, IRSA, AWS_ACCESS_KEY_ID
  and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles).
`;
}
