#!/usr/bin/env node
// The ecs-operator binary: `run` (the operator), `crds` (print the CustomResourceDefinitions),
// `compose convert` (Docker Compose files to manifests).
import { renderCrdFiles } from "./api/crd.js";
import { kinds } from "./api/index.js";
import { composeCommand } from "./compose/cli.js";
import { ConfigError, loadConfig } from "./config.js";

const usage = `usage: ecs-operator <command> [flags]
  run     run the operator (flags: --region --aws-endpoint --namespaces --workers --resync-seconds
          --default-deletion-policy
          --log-level --http-port --leader-election --leader-election-namespace --lease-name
          --lease-duration-seconds --kubeconfig;
          each also read from the environment, see src/config.ts)
  crds    print the CustomResourceDefinitions as YAML
  compose convert -f docker-compose.yml [--ecs-params ecs-params.yml] [-n ns] [-o dir|-]
          turn a Compose file into manifests (see ecs-operator compose --help)`;

async function run(argv: string[]): Promise<number> {
  const config = loadConfig(argv, process.env);
  // Loaded only here: the operator pulls in the AWS SDK, which other commands do not need.
  const [{ pino }, { startOperator }] = await Promise.all([import("pino"), import("./operator.js")]);
  const logger = pino({ level: config.logLevel });
  const operator = await startOperator(config, logger);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "signal received");
      void operator.shutdown();
    });
  }
  return operator.finished;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case "run":
      return run(rest);
    case "crds":
      process.stdout.write([...renderCrdFiles(kinds).values()].join("---\n"));
      return 0;
    case "compose":
      return composeCommand(rest, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        cwd: process.cwd(),
        env: process.env,
      });
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(`${usage}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command ${command}\n${usage}\n`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
