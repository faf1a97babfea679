import { hostname } from "node:os";
import { parseArgs } from "node:util";

/** One typed configuration for `ecs-operator run`, from flags first, then environment, then defaults. */
export interface OperatorConfig {
  region: string;
  /** Overrides every AWS endpoint (moto in tests, a proxy); unset in production. */
  awsEndpoint?: string;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
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

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

export class ConfigError extends Error {}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      region: { type: "string" },
      "aws-endpoint": { type: "string" },
      namespaces: { type: "string" },
      workers: { type: "string" },
      "resync-seconds": { type: "string" },
      "default-deletion-policy": { type: "string" },
      "log-level": { type: "string" },
      "http-port": { type: "string" },
      "leader-election": { type: "string" },
      "leader-election-namespace": { type: "string" },
      "lease-name": { type: "string" },
      "lease-duration-seconds": { type: "string" },
      kubeconfig: { type: "string" },
    },
  });
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? env[envName];
  const region = pick(values.region, "AWS_REGION") ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new ConfigError("no AWS region: set --region or AWS_REGION");
  const logLevel = pick(values["log-level"], "LOG_LEVEL") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(", ")}`);
  const awsEndpoint = pick(values["aws-endpoint"], "ECS_OPERATOR_AWS_ENDPOINT");
  const kubeconfig = pick(values.kubeconfig, "KUBECONFIG");
  return {
    region,
    ...(awsEndpoint ? { awsEndpoint } : {}),
    namespaces: (pick(values.namespaces, "ECS_OPERATOR_NAMESPACES") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    workers: positiveInt(pick(values.workers, "ECS_OPERATOR_WORKERS") ?? "4", "workers"),
    resyncSeconds: positiveInt(pick(values["resync-seconds"], "ECS_OPERATOR_RESYNC_SECONDS") ?? "600", "resync-seconds"),
    defaultDeletionPolicy: deletionPolicy(pick(values["default-deletion-policy"], "ECS_OPERATOR_DEFAULT_DELETION_POLICY") ?? "Delete"),
    logLevel: logLevel as OperatorConfig["logLevel"],
    httpPort: nonNegativeInt(pick(values["http-port"], "ECS_OPERATOR_HTTP_PORT") ?? "8080", "http-port"),
    leaderElection: bool(pick(values["leader-election"], "ECS_OPERATOR_LEADER_ELECTION") ?? "true", "leader-election"),
    leaderElectionNamespace: pick(values["leader-election-namespace"], "POD_NAMESPACE") ?? "default",
    leaseName: pick(values["lease-name"], "ECS_OPERATOR_LEASE_NAME") ?? "ecs-operator-leader",
    leaseDurationSeconds: positiveInt(pick(values["lease-duration-seconds"], "ECS_OPERATOR_LEASE_DURATION_SECONDS") ?? "15", "lease-duration-seconds"),
    identity: `${env.POD_NAME ?? hostname()}_${process.pid}`,
    ...(kubeconfig ? { kubeconfig } : {}),
  };
}

function nonNegativeInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got ${text}`);
  return n;
}

function positiveInt(text: string, name: string): number {
  const n = nonNegativeInt(text, name);
  if (n === 0) throw new ConfigError(`${name} must be positive`);
  return n;
}

function deletionPolicy(text: string): "Delete" | "Retain" {
  if (text === "Delete" || text === "Retain") return text;
  throw new ConfigError(`default-deletion-policy must be Delete or Retain, got ${text}`);
}

function bool(text: string, name: string): boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  throw new ConfigError(`${name} must be true or false, got ${text}`);
}
