import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../../src/cli.js";
import { ENVIRONMENT_ONLY, SETTINGS } from "../../src/config.js";

const repo = resolve(import.meta.dirname, "../..");

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await cli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: repo, env });
  return { code, stdout, stderr };
}

/** The real entry point, as a shell runs it. */
function binary(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(repo, "src/main.ts"), ...args], { cwd: repo, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", fail);
    child.once("close", (code) => {
      done({ code, stdout, stderr });
    });
  });
}

const settings = Object.values(SETTINGS);

describe("ecs-operator --help", () => {
  it("run --help lists every flag on one line with its environment variable and default", async () => {
    const out = await run(["run", "--help"]);
    expect(out).toMatchObject({ code: 0, stderr: "" });
    const lines = out.stdout.split("\n");
    const lineOf = (flag: string): string => lines.find((l) => l.trimStart().startsWith(`--${flag} `)) ?? "";
    expect(lineOf("region")).toMatch(/--region <region>\s+AWS_REGION, AWS_DEFAULT_REGION\s+required$/);
    expect(lineOf("workers")).toMatch(/--workers <n>\s+ECS_OPERATOR_WORKERS\s+4$/);
    expect(lineOf("namespaces")).toMatch(/ECS_OPERATOR_NAMESPACES\s+none: all namespaces$/);
    for (const s of settings) {
      expect(lineOf(s.flag)).toContain(s.env);
      if (s.default) expect(lineOf(s.flag)).toMatch(new RegExp(`\\s${s.default.replace(/[{}]/g, "\\$&")}$`));
    }
    for (const name of Object.keys(ENVIRONMENT_ONLY)) expect(out.stdout).toContain(name);
    expect(out.stdout).toMatch(/^ {2}-h, --help$/m);
    expect((await run(["run", "-h"])).stdout).toBe(out.stdout);
    expect((await run(["help", "run"])).stdout).toBe(out.stdout);
  });

  it.each([[[]], [["--help"]], [["-h"]], [["help"]]])("%j prints the commands", async (argv) => {
    const out = await run(argv);
    expect(out).toMatchObject({ code: 0, stderr: "" });
    expect(out.stdout).toMatch(/^usage: ecs-operator <command>/);
    for (const command of ["run", "crds", "compose convert", "help"]) expect(out.stdout).toMatch(new RegExp(`^  ${command}\\s`, "m"));
  });

  it.each([
    [["crds", "--help"], /^usage: ecs-operator crds\n/],
    [["help", "crds"], /^usage: ecs-operator crds\n/],
    [["compose", "--help"], /^usage: ecs-operator compose convert \[flags\]\n[\s\S]*-f, --file <path>/],
    [["compose", "convert", "-h"], /^usage: ecs-operator compose convert \[flags\]\n[\s\S]*--profile <name>/],
    [["help", "compose"], /^usage: ecs-operator compose convert/],
  ])("%j prints that command's help", async (argv, usage) => {
    const out = await run(argv);
    expect(out).toMatchObject({ code: 0, stderr: "" });
    expect(out.stdout).toMatch(usage);
  });

  it("crds without flags prints the CRDs", async () => {
    const out = await run(["crds"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("kind: CustomResourceDefinition");
  });
});

describe("usage errors: one line on stderr, exit code 2", () => {
  const region = { AWS_REGION: "eu-west-1" };
  it.each<[string[], NodeJS.ProcessEnv, string]>([
    [["run", "--regoin=eu-west-1"], {}, "error: unknown flag --regoin (did you mean --region?); see 'ecs-operator run --help'"],
    [["run", "--region"], {}, "error: --region needs a value <region>; see 'ecs-operator run --help'"],
    [["run", "--region", "--workers=2"], {}, "error: --region needs a value <region>; see 'ecs-operator run --help'"],
    [["run", "--help=yes"], {}, "error: --help takes no value; see 'ecs-operator run --help'"],
    [["run", "eu-west-1"], {}, `error: unexpected argument "eu-west-1"; see 'ecs-operator run --help'`],
    [["run"], {}, "error: --region or AWS_REGION is required; see 'ecs-operator run --help'"],
    [["run", "--workers=0"], region, `error: --workers must be an integer of at least 1, got "0"; see 'ecs-operator run --help'`],
    [["run"], { ...region, ECS_OPERATOR_WORKERS: "four" }, `error: ECS_OPERATOR_WORKERS must be an integer of at least 1, got "four"; see 'ecs-operator run --help'`],
    [["run", "--log-level=loud"], region, `error: --log-level must be one of fatal, error, warn, info, debug, trace, got "loud"; see 'ecs-operator run --help'`],
    [["run"], { ...region, ECS_OPERATOR_AWS_RATES: "{" }, "error: ECS_OPERATOR_AWS_RATES must be JSON such as"],
    [["deploy"], {}, `error: unknown command "deploy"; see 'ecs-operator --help'`],
    [["--region=x", "run"], {}, "error: unknown flag --region=x (flags go after the command); see 'ecs-operator --help'"],
    [["help", "deploy"], {}, `error: no command "deploy"; see 'ecs-operator --help'`],
    [["crds", "--all"], {}, "error: unknown flag --all; see 'ecs-operator crds --help'"],
    [["crds", "all"], {}, `error: unexpected argument "all"; see 'ecs-operator crds --help'`],
    [["compose", "convert", "--fiel=x"], {}, "error: unknown flag --fiel (did you mean --file?); see 'ecs-operator compose convert --help'"],
    [["compose", "convert", "-x"], {}, "error: unknown flag -x; see 'ecs-operator compose convert --help'"],
    [["compose", "up"], {}, `error: unknown compose command "up"; see 'ecs-operator compose convert --help'`],
  ])("%j %j", async (argv, env, line) => {
    const out = await run(argv, env);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr.endsWith("\n")).toBe(true);
    expect(out.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(out.stderr).toContain(line);
  });
});

/** Starting node with tsx takes a second or two per process; these run side by side. */
const BINARY_TIMEOUT_MS = 60_000;

describe("the ecs-operator entry point", () => {
  it(
    "answers run --help with exit code 0, and refuses an unknown flag or a bad variable with one line and exit code 2",
    async () => {
      const [help, unknownFlag, badVariable] = await Promise.all([
        binary(["run", "--help"]),
        binary(["run", "--region=eu-west-1", "--wokers=8"]),
        binary(["run"], { AWS_REGION: "eu-west-1", ECS_OPERATOR_LEADER_ELECTION: "yes" }),
      ]);
      expect(help.code).toBe(0);
      expect(help.stderr).toBe("");
      expect(help.stdout).toMatch(/^\s+--region <region>\s+AWS_REGION\b/m);

      expect(unknownFlag).toEqual({ code: 2, stdout: "", stderr: "error: unknown flag --wokers (did you mean --workers?); see 'ecs-operator run --help'\n" });
      expect(badVariable).toEqual({ code: 2, stdout: "", stderr: `error: ECS_OPERATOR_LEADER_ELECTION must be true or false, got "yes"; see 'ecs-operator run --help'\n` });
    },
    BINARY_TIMEOUT_MS,
  );
});

describe("the Helm chart", () => {
  /** Read by the operator but deliberately left out of the chart, with the reason. */
  const notInChart: Record<string, string> = {
    AWS_DEFAULT_REGION: "the chart sets AWS_REGION",
    KUBECONFIG: "in a pod the operator uses its ServiceAccount",
    ECS_OPERATOR_LEASE_NAME: "the default Lease name is kept",
  };

  it("sets exactly the environment variables that run reads, less the ones it leaves out on purpose", () => {
    const template = readFileSync(join(repo, "charts/ecs-operator/templates/deployment.yaml"), "utf8");
    const envBlock = /\n {10}env:\n([\s\S]*?)\n {10}ports:/.exec(template)?.[1] ?? "";
    const chartNames = [...envBlock.matchAll(/^ {12}- name: ([A-Z0-9_]+)$/gm)].map((m) => m[1]);
    const read = [...settings.flatMap((s) => [s.env, ...(s.fallbackEnv ? [s.fallbackEnv] : [])]), ...Object.keys(ENVIRONMENT_ONLY)];
    expect(chartNames.length).toBeGreaterThan(5);
    expect(new Set(chartNames).size).toBe(chartNames.length);
    expect(chartNames.sort()).toEqual(read.filter((name) => !(name in notInChart)).sort());
  });
});
