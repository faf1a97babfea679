import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("loadConfig", () => {
  it("reads flags before the environment and applies defaults", () => {
    const config = loadConfig(["--region=eu-west-1", "--workers=8"], { AWS_REGION: "us-east-1", ECS_OPERATOR_WORKERS: "2", ECS_OPERATOR_NAMESPACES: "a, b" });
    expect(config).toMatchObject({ region: "eu-west-1", workers: 8, namespaces: ["a", "b"], resyncSeconds: 600, leaderElection: true, httpPort: 8080, logLevel: "info" });
    expect(config.awsEndpoint).toBeUndefined();
  });

  it("watches all namespaces when none are named", () => {
    expect(loadConfig([], { AWS_REGION: "us-east-1" }).namespaces).toEqual([]);
  });

  it.each([
    [[], {}, /region/],
    [["--workers=0"], { AWS_REGION: "x" }, /workers must be positive/],
    [["--resync-seconds=abc"], { AWS_REGION: "x" }, /resync-seconds/],
    [["--log-level=loud"], { AWS_REGION: "x" }, /log level/],
    [["--leader-election=yes"], { AWS_REGION: "x" }, /true or false/],
  ])("rejects %j with a clear message", (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(ConfigError);
    expect(() => loadConfig(argv, env)).toThrow(message);
  });

  it("rejects unknown flags", () => {
    expect(() => loadConfig(["--regoin=x"], { AWS_REGION: "x" })).toThrow(/Unknown option/);
  });
});
