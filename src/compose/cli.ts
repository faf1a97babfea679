import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { HELP_FLAG, UsageError, formatFlags, parseFlags, type Flag } from "../flags.js";
import { convertCompose } from "./convert.js";
import { ComposeError, formatWarning } from "./diagnostics.js";
import { parseEnvFile } from "./env-file.js";
import type { Environment } from "./interpolate.js";
import { manifestFileName, renderManifest, renderManifests } from "./render.js";
import type { LaunchType } from "./settings.js";

export interface ComposeIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: Environment;
}

const CONVERT_FLAGS = [
  { name: "file", short: "f", value: "<path>", description: "the Compose file (default: compose.yaml, compose.yml, docker-compose.yaml\nor docker-compose.yml in the current directory)" },
  { name: "ecs-params", value: "<path>", description: "ecs-cli's ecs-params.yml" },
  { name: "namespace", short: "n", value: "<ns>", description: "the Kubernetes namespace of the objects (default: none, use kubectl -n)" },
  { name: "output", short: "o", value: "<dir|->", description: "write one file per object into dir, or \"-\" for stdout (default)" },
  { name: "project-name", short: "p", value: "<name>", description: "the project name (default: the file's name: key, else its directory's name)" },
  { name: "cluster", value: "<name>", description: "run in this existing EcsCluster object instead of creating one" },
  { name: "launch-type", value: "<type>", description: "EC2 (default, as in ecs-cli) or FARGATE" },
  { name: "vpc-id", value: "<vpc-...>", description: "the VPC for target groups and the Cloud Map namespace" },
  { name: "listener-arn", value: "<arn>", description: "an ALB listener: adds a ListenerRule per service with an HTTP port" },
  { name: "service-discovery", value: "<cloudmap|connect>", description: "how services reach each other by name: cloudmap (default, Cloud Map DNS\nas Docker's ECS integration did) or connect (ECS Service Connect)" },
  { name: "profile", value: "<name>", multiple: true, description: "enable a Compose profile (repeatable; also COMPOSE_PROFILES)" },
  { name: "env-file", value: "<path>", description: "variables for substitution (default: .env beside the Compose file)" },
  HELP_FLAG,
] as const satisfies readonly Flag[];

/** `ecs-operator compose --help` and `ecs-operator compose convert --help`. */
export const composeHelp = `usage: ecs-operator compose convert [flags]

Converts a Docker Compose file (and ecs-cli's ecs-params.yml) into ecs-operator manifests.

${formatFlags(CONVERT_FLAGS)}

Warnings go to stderr; invalid input exits with 1, bad flags with 2.
`;

const DEFAULT_FILES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

function readEnvironment(path: string | undefined): Record<string, string> {
  if (path === undefined || !existsSync(path)) return {};
  const parsed = parseEnvFile(readFileSync(path, "utf8"));
  if (parsed.errors.length > 0) {
    throw new ComposeError(parsed.errors.map((e) => ({ file: path, path: [], line: e.line, message: e.message })));
  }
  return Object.fromEntries(parsed.entries.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
}

function launchTypeOf(value: string | undefined): LaunchType | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper === "EC2" || upper === "FARGATE") return upper;
  throw new UsageError(`--launch-type must be EC2 or FARGATE, not ${value}`);
}

function check(value: string | undefined, pattern: RegExp, flag: string, what: string): string | undefined {
  if (value !== undefined && !pattern.test(value)) throw new UsageError(`${flag} must be ${what}, not ${value}`);
  return value;
}

function convert(argv: string[], io: ComposeIo): number {
  const parsed = parseFlags(argv, CONVERT_FLAGS);
  if (parsed.has("help")) {
    io.stdout(composeHelp);
    return 0;
  }
  const f = parsed.values;
  const file = f.file ?? DEFAULT_FILES.find((name) => existsSync(join(io.cwd, name)));
  if (file === undefined) throw new UsageError(`no Compose file: pass -f (looked for ${DEFAULT_FILES.join(", ")})`);
  const composePath = resolve(io.cwd, file);
  const composeDir = dirname(composePath);
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new ComposeError([{ file: path, path: [], message: `cannot read the ${what}: ${err instanceof Error ? err.message : String(err)}` }]);
    }
  };
  const envFile = f["env-file"] !== undefined ? resolve(io.cwd, f["env-file"]) : join(composeDir, ".env");
  if (f["env-file"] !== undefined && !existsSync(envFile)) throw new UsageError(`--env-file ${f["env-file"]} does not exist`);
  const env: Environment = { ...readEnvironment(envFile), ...io.env };
  const profiles = [...parsed.all("profile"), ...(env.COMPOSE_PROFILES ?? "").split(",").filter((p) => p !== "")];
  const paramsFile = f["ecs-params"];
  const namespace = check(f.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "--namespace", "a Kubernetes namespace name");
  const vpcId = check(f["vpc-id"], /^vpc-[0-9a-f]+$/, "--vpc-id", "a VPC id (vpc-...)");
  const listenerArn = check(f["listener-arn"], /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener\//, "--listener-arn", "an ALB listener ARN");
  const launchType = launchTypeOf(f["launch-type"]);
  const discovery = f["service-discovery"];
  if (discovery !== undefined && discovery !== "cloudmap" && discovery !== "connect") throw new UsageError(`--service-discovery must be cloudmap or connect, not ${discovery}`);

  const result = convertCompose({
    compose: { file, text: read(composePath, "Compose file") },
    ...(paramsFile !== undefined ? { ecsParams: { file: paramsFile, text: read(resolve(io.cwd, paramsFile), "ecs-params file") } } : {}),
    env,
    profiles,
    readFile: (path) => {
      const full = resolve(composeDir, path);
      return existsSync(full) ? readFileSync(full, "utf8") : undefined;
    },
    options: {
      defaultProjectName: basename(composeDir),
      ...(f["project-name"] !== undefined ? { projectName: f["project-name"] } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(f.cluster !== undefined ? { cluster: f.cluster } : {}),
      ...(launchType !== undefined ? { launchType } : {}),
      ...(vpcId !== undefined ? { vpcId } : {}),
      ...(listenerArn !== undefined ? { listenerArn } : {}),
      ...(discovery !== undefined ? { serviceDiscovery: discovery } : {}),
    },
  });

  for (const w of result.warnings) io.stderr(`warning: ${formatWarning(w)}\n`);
  const header = ` Converted from ${basename(file)}${paramsFile !== undefined ? ` and ${basename(paramsFile)}` : ""} by ecs-operator compose convert.`;
  const output = f.output ?? "-";
  if (output === "-") {
    io.stdout(renderManifests(result.manifests, header));
  } else {
    const dir = resolve(io.cwd, output);
    try {
      mkdirSync(dir, { recursive: true });
      for (const m of result.manifests) writeFileSync(join(dir, manifestFileName(m)), renderManifest(m, header));
    } catch (err) {
      throw new ComposeError([{ file: output, path: [], message: `cannot write the manifests: ${err instanceof Error ? err.message : String(err)}` }]);
    }
    io.stderr(`wrote ${String(result.manifests.length)} manifests to ${output}\n`);
  }
  return 0;
}

/** `ecs-operator compose <subcommand>`: the exit code, having written output and messages through `io`. */
export function composeCommand(argv: string[], io: ComposeIo): number {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case "convert":
        return convert(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(composeHelp);
        return 0;
      default:
        throw new UsageError(sub.startsWith("-") ? `unknown flag ${sub} (flags go after "convert")` : `unknown compose command ${JSON.stringify(sub)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}; see 'ecs-operator compose convert --help'\n`);
      return 2;
    }
    if (err instanceof ComposeError) {
      io.stderr(`${err.message.split("\n").map((line) => `error: ${line}`).join("\n")}\n`);
      return 1;
    }
    throw err;
  }
}
