import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
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

const composeUsage = `usage: ecs-operator compose convert [flags]
  Converts a Docker Compose file (and ecs-cli's ecs-params.yml) into ecs-operator manifests.
  -f, --file <path>          the Compose file (default: compose.yaml, compose.yml, docker-compose.yaml
                             or docker-compose.yml in the current directory)
      --ecs-params <path>    ecs-cli's ecs-params.yml
  -n, --namespace <ns>       the Kubernetes namespace of the objects (default: none, use kubectl -n)
  -o, --output <dir|->       write one file per object into dir, or "-" for stdout (default)
  -p, --project-name <name>  the project name (default: the file's name: key, else its directory's name)
      --cluster <name>       run in this existing EcsCluster object instead of creating one
      --launch-type <type>   EC2 (default, as in ecs-cli) or FARGATE
      --vpc-id <vpc-...>     the VPC for target groups and the Cloud Map namespace
      --listener-arn <arn>   an ALB listener: adds a ListenerRule per service with an HTTP port
      --profile <name>       enable a Compose profile (repeatable; also COMPOSE_PROFILES)
      --env-file <path>      variables for substitution (default: .env beside the Compose file)
  Warnings go to stderr; invalid input exits with 1, bad flags with 2.`;

const DEFAULT_FILES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

class UsageError extends Error {}

function readEnvironment(path: string | undefined): Record<string, string> {
  if (path === undefined || !existsSync(path)) return {};
  const parsed = parseEnvFile(readFileSync(path, "utf8"));
  if (parsed.errors.length > 0) {
    throw new ComposeError(parsed.errors.map((e) => ({ file: path, path: [], line: e.line, message: e.message })));
  }
  return Object.fromEntries(parsed.entries.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
}

function flags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        file: { type: "string", short: "f" },
        "ecs-params": { type: "string" },
        namespace: { type: "string", short: "n" },
        output: { type: "string", short: "o" },
        "project-name": { type: "string", short: "p" },
        cluster: { type: "string" },
        "launch-type": { type: "string" },
        "vpc-id": { type: "string" },
        "listener-arn": { type: "string" },
        profile: { type: "string", multiple: true },
        "env-file": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
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
  const f = flags(argv);
  if (f.help === true) {
    io.stdout(`${composeUsage}\n`);
    return 0;
  }
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
  const profiles = [...(f.profile ?? []), ...(env.COMPOSE_PROFILES ?? "").split(",").filter((p) => p !== "")];
  const paramsFile = f["ecs-params"];
  const namespace = check(f.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "--namespace", "a Kubernetes namespace name");
  const vpcId = check(f["vpc-id"], /^vpc-[0-9a-f]+$/, "--vpc-id", "a VPC id (vpc-...)");
  const listenerArn = check(f["listener-arn"], /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener\//, "--listener-arn", "an ALB listener ARN");
  const launchType = launchTypeOf(f["launch-type"]);

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
        io.stdout(`${composeUsage}\n`);
        return 0;
      default:
        throw new UsageError(`unknown compose command ${sub}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}\n${composeUsage}\n`);
      return 2;
    }
    if (err instanceof ComposeError) {
      io.stderr(`${err.message.split("\n").map((line) => `error: ${line}`).join("\n")}\n`);
      return 1;
    }
    throw err;
  }
}
