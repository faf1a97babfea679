// The commands of the ecs-operator binary: `run` (the operator), `crds` (print the
// CustomResourceDefinitions), `compose convert` (Docker Compose files to manifests), `help`.
// Every command answers --help; every usage error is one line on stderr and exit code 2.
// Each command loads what it needs when it runs (dynamic imports): `run` is a long-lived process
// whose memory is counted, and the CRD renderer and the compose converter have no part in it.
import { loadConfig, runHelp } from "./config.js";
import { HELP_FLAG, UsageError, formatFlags, parseFlags } from "./flags.js";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const crdsHelp = `usage: ecs-operator crds

Prints the CustomResourceDefinitions of every kind as YAML, e.g. for
  ecs-operator crds | kubectl apply --server-side -f -

${formatFlags([HELP_FLAG])}
`;

const COMMANDS: [string, string][] = [
  ["run", "run the operator: reconcile the custom resources into AWS"],
  ["crds", "print the CustomResourceDefinitions as YAML"],
  ["compose convert", "turn a Docker Compose file (and ecs-params.yml) into manifests"],
  ["help [command]", "print this help, or a command's"],
];

const topHelp = `usage: ecs-operator <command> [flags]

Commands:
${COMMANDS.map(([name, what]) => `  ${name.padEnd(17)}${what}`).join("\n")}

'ecs-operator <command> --help' lists a command's flags; each flag of run can also be set through
an environment variable, which that help names.
`;

/** A usage error as one line, pointing at the help of the command that refused it. */
export function usageLine(command: string, err: UsageError): string {
  return `error: ${err.message}; see 'ecs-operator ${command}${command ? " " : ""}--help'\n`;
}

/** The help of a command, by its name; undefined for an unknown command. */
async function helpOf(command: string | undefined): Promise<string | undefined> {
  switch (command) {
    case undefined:
      return topHelp;
    case "run":
      return runHelp();
    case "crds":
      return crdsHelp;
    case "compose":
      return (await import("./compose/cli.js")).composeHelp;
    default:
      return undefined;
  }
}

/** `ecs-operator run`: starts the operator and resolves with its exit code when it stops. */
async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(runHelp());
    return 0;
  }
  const config = loadConfig(argv, io.env);
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

/** Runs one command line (without `node` and the script) and resolves with the exit code. */
export async function cli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  // The command whose help a usage error points at.
  let helpCommand = "";
  try {
    switch (command) {
      case "run":
        helpCommand = "run";
        return await run(rest, io);
      case "crds": {
        helpCommand = "crds";
        if (parseFlags(rest, [HELP_FLAG]).has("help")) {
          io.stdout(crdsHelp);
          return 0;
        }
        const [{ renderCrdFiles }, { crdKinds }] = await Promise.all([import("./api/crd.js"), import("./api/index.js")]);
        io.stdout([...renderCrdFiles(crdKinds).values()].join("---\n"));
        return 0;
      }
      case "compose":
        return (await import("./compose/cli.js")).composeCommand(rest, io);
      case undefined:
      case "--help":
      case "-h":
        io.stdout(topHelp);
        return 0;
      case "help": {
        const [topic, ...more] = rest;
        const help = await helpOf(topic);
        if (help === undefined) throw new UsageError(`no command ${JSON.stringify(topic)}`);
        if (more.length > 0) throw new UsageError(`help takes one command, not ${JSON.stringify(rest.join(" "))}`);
        io.stdout(help);
        return 0;
      }
      default:
        throw new UsageError(command.startsWith("-") ? `unknown flag ${command} (flags go after the command)` : `unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(usageLine(helpCommand, err));
      return 2;
    }
    throw err;
  }
}
