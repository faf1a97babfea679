import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { composeCommand } from "../../src/compose/cli.js";

const repo = resolve(import.meta.dirname, "../..");
const invalid = join(repo, "test/fixtures/compose/invalid");
const examples = join(repo, "examples/compose");

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = composeCommand(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd,
    env,
  });
  return { code, stdout, stderr };
}

/** The real binary, as users run it, for the exit codes a shell sees. */
function binary(args: string[], cwd = repo) {
  const out = spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/main.ts"), ...args], { cwd, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), "compose-cli-"));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("ecs-operator compose convert", () => {
  it("converts the seed example to the manifests kept in examples/compose", async () => {
    const out = run(["convert", "-f", "hello-world.yml", "--ecs-params", "ecs-params.yml", "--project-name", "hello-world"], examples);
    expect(out.code).toBe(0);
    await expect(out.stdout).toMatchFileSnapshot("../../examples/compose/hello-world.k8s.yaml");
    expect(out.stderr.trim().split("\n")).toEqual([
      "warning: CloudMapNamespace hello-world: spec.vpc: a private DNS namespace belongs to a VPC; placeholder vpc-00000000000000000 (pass --vpc-id)",
      "warning: TargetGroup nginx-80: spec.vpcId: a target group belongs to a VPC; placeholder vpc-00000000000000000 (pass --vpc-id)",
      expect.stringMatching(/^warning: Cloud Map hello-world\.local: bridge tasks share their instance's address, so they are registered with SRV records/),
    ]);
  });

  it("writes one file per object with -o dir, each applying alone", () => {
    const dir = join(scratch, "out");
    const out = run(["convert", "-f", "hello-world.yml", "--ecs-params", "ecs-params.yml", "-p", "hello-world", "-n", "web", "--vpc-id", "vpc-0123abcd", "-o", dir], examples);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain(`wrote 6 manifests to ${dir}`);
    expect(out.stderr).not.toContain("placeholder");
    expect(readdirSync(dir).sort()).toEqual([
      "cloudmapnamespace-hello-world.yaml",
      "cloudmapservice-nginx.yaml",
      "ecscluster-hello-world.yaml",
      "ecsservice-nginx.yaml",
      "targetgroup-nginx-80.yaml",
      "taskdefinition-nginx.yaml",
    ]);
    const docs = parseAllDocuments(readFileSync(join(dir, "targetgroup-nginx-80.yaml"), "utf8"));
    expect(docs.map((d) => d.toJS() as unknown)).toEqual([
      {
        apiVersion: "ecs.operator.dev/v1alpha1",
        kind: "TargetGroup",
        metadata: { name: "nginx-80", namespace: "web", labels: { "app.kubernetes.io/part-of": "hello-world", "app.kubernetes.io/component": "nginx" } },
        spec: { protocol: "HTTP", port: 80, vpcId: "vpc-0123abcd", targetType: "instance" },
      },
    ]);
  });

  it("reports an output directory it cannot write with exit code 1", () => {
    const file = join(scratch, "not-a-dir");
    writeFileSync(file, "");
    const out = run(["convert", "-f", "hello-world.yml", "--ecs-params", "ecs-params.yml", "-o", join(file, "out")], examples);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: .*not-a-dir\/out: cannot write the manifests: /m);
  });

  it("finds compose.yaml by default, reads .env beside it, and takes profiles from COMPOSE_PROFILES", () => {
    const dir = join(scratch, "defaults");
    mkdirSync(dir);
    writeFileSync(join(dir, "compose.yaml"), "services:\n  app:\n    image: app:${TAG}\n    mem_limit: 64m\n  tool:\n    image: tool\n    mem_limit: 64m\n    profiles: [tools]\n");
    writeFileSync(join(dir, ".env"), "TAG=from-dotenv\n");
    const plain = run(["convert"], dir);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("image: app:from-dotenv");
    expect(plain.stdout).not.toContain("image: tool");
    const shell = run(["convert"], dir, { TAG: "from-shell", COMPOSE_PROFILES: "tools" });
    expect(shell.stdout).toContain("image: app:from-shell");
    expect(shell.stdout).toContain("image: tool");
  });

  it.each([
    ["bad YAML", "bad-yaml.yml", /^error: bad-yaml\.yml:5:5: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a \]$/m],
    ["an unknown service in depends_on", "unknown-depends-on.yml", /^error: unknown-depends-on\.yml:6:9: services\.web\.depends_on\[1\]: unknown service "dbb"$/m],
    ["bad port syntax", "bad-port.yml", /^error: bad-port\.yml:6:9: services\.web\.ports\[1\]: invalid port "80:80:80:80": expected /m],
    ["an unknown field and a wrong type", "unknown-field.yml", /^error: unknown-field\.yml:4:5: services\.web\.enviroment: unknown field\nerror: unknown-field\.yml:7:7: services\.web\.deploy\.replicas: expected integer, got "two"$/m],
    ["a dependency cycle", "cycle.yml", /^error: cycle\.yml:4:5: services\.a\.depends_on: dependency cycle: a -> b -> a$/m],
    ["undefined volumes, secrets and networks, and no image", "undefined-refs.yml", /volumes\[0\]: undefined volume "site"[\s\S]*secrets\[0\]: undefined secret "tls_key"[\s\S]*undefined network "frontend"[\s\S]*services\.builder: no image/],
    ["a required variable that is not set", "required-variable.yml", /^error: required-variable\.yml:3:5: services\.app\.image: required variable APP_VERSION is not set: APP_VERSION must name the release$/m],
    ["a missing env file", "missing-env-file.yml", /^error: missing-env-file\.yml:4:5: services\.app\.env_file: env file \.\/missing\.env not found$/m],
  ])("refuses %s with its line and exit code 1", (_what, file, message) => {
    const out = run(["convert", "-f", file], invalid);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe("");
  });

  it("refuses an ecs-params.yml with an unknown field, at its line", () => {
    const out = run(["convert", "-f", "../wordpress/docker-compose.yml", "--ecs-params", "bad-ecs-params.yml"], invalid);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe("error: bad-ecs-params.yml:6:5: task_definition.task_size.memory_limit: unknown field\n");
  });

  it.each([
    [["convert", "--bogus"], /unknown flag --bogus/],
    [["convert", "-f", "cycle.yml", "--launch-type", "spot"], /--launch-type must be EC2 or FARGATE, not spot/],
    [["convert", "-f", "cycle.yml", "--vpc-id", "default"], /--vpc-id must be a VPC id/],
    [["convert", "-f", "cycle.yml", "--listener-arn", "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x"], /--listener-arn must be an ALB listener ARN/],
    [["convert", "-f", "cycle.yml", "-n", "Not_A_Namespace"], /--namespace must be a Kubernetes namespace name/],
    [["convert", "-f", "cycle.yml", "--service-discovery", "dns"], /--service-discovery must be cloudmap or connect, not dns/],
    [["convert", "-f", "cycle.yml", "--env-file", "nope.env"], /--env-file nope\.env does not exist/],
    [["convert"], /no Compose file: pass -f/],
    [["deploy"], /unknown compose command "deploy"/],
  ])("refuses the usage %j with exit code 2 and one line pointing at --help", (args, message) => {
    const out = run(args, invalid);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/^error: [^\n]*; see 'ecs-operator compose convert --help'\n$/);
  });

  it("prints its usage on --help", () => {
    expect(run(["convert", "--help"], invalid)).toMatchObject({ code: 0, stdout: expect.stringContaining("--ecs-params <path>") as unknown });
    expect(run([], invalid)).toMatchObject({ code: 0, stdout: expect.stringContaining("usage: ecs-operator compose convert") as unknown });
  });
});

/** Starting the binary through tsx takes seconds, so it is run twice only: once to succeed, once to fail. */
const BINARY_TIMEOUT_MS = 60_000;

describe("the ecs-operator binary", () => {
  it(
    "exits 0 with the manifests on stdout and warnings on stderr",
    () => {
      const out = binary(["compose", "convert", "-f", "hello-world.yml", "--ecs-params", "ecs-params.yml", "-p", "hello-world"], examples);
      expect(out.code).toBe(0);
      expect(out.stdout).toBe(run(["convert", "-f", "hello-world.yml", "--ecs-params", "ecs-params.yml", "-p", "hello-world"], examples).stdout);
      expect(out.stderr).toContain("warning: TargetGroup nginx-80: spec.vpcId");
    },
    BINARY_TIMEOUT_MS,
  );

  it(
    "exits 1 on invalid input, naming the line",
    () => {
      const out = binary(["compose", "convert", "-f", "bad-port.yml"], invalid);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain('error: bad-port.yml:6:9: services.web.ports[1]: invalid port "80:80:80:80"');
    },
    BINARY_TIMEOUT_MS,
  );
});
