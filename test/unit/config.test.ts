import { describe, expect, it } from "vitest";
import { AWS_API_RATES } from "../../src/aws/rate-limits.js";
import { ConfigError, SETTINGS, loadConfig, type OperatorConfig } from "../../src/config.js";

describe("loadConfig", () => {
  it("reads flags before the environment and applies defaults", () => {
    const config = loadConfig(["--region=eu-west-1", "--workers", "8"], { AWS_REGION: "us-east-1", ECS_OPERATOR_WORKERS: "2", ECS_OPERATOR_NAMESPACES: "a, b" });
    expect(config).toMatchObject({ region: "eu-west-1", workers: 8, namespaces: ["a", "b"], resyncSeconds: 600, leaderElection: true, httpPort: 8080, logLevel: "info" });
    expect(config.awsEndpoint).toBeUndefined();
    expect(config.kubeconfig).toBeUndefined();
    expect(config.awsRates).toEqual(AWS_API_RATES);
  });

  it("sets every field that is not optional from the defaults alone", () => {
    const config = loadConfig([], { AWS_REGION: "us-east-1" });
    const optional = new Set<keyof OperatorConfig>(["awsEndpoint", "kubeconfig"]);
    for (const key of Object.keys(SETTINGS) as (keyof OperatorConfig)[]) {
      if (!optional.has(key)) expect(config[key], key).toBeDefined();
    }
    expect(config.identity).toMatch(/_\d+$/);
  });

  it("watches all namespaces when none are named, or the variable is empty (as the chart renders it)", () => {
    expect(loadConfig([], { AWS_REGION: "us-east-1" }).namespaces).toEqual([]);
    expect(loadConfig([], { AWS_REGION: "us-east-1", ECS_OPERATOR_NAMESPACES: "" }).namespaces).toEqual([]);
  });

  it("falls back to AWS_DEFAULT_REGION, and takes the Lease namespace and identity from the pod", () => {
    const config = loadConfig([], { AWS_DEFAULT_REGION: "ap-south-1", POD_NAMESPACE: "ops", POD_NAME: "op-0" });
    expect(config).toMatchObject({ region: "ap-south-1", leaderElectionNamespace: "ops" });
    expect(config.identity).toMatch(/^op-0_\d+$/);
    expect(loadConfig([], { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "ap-south-1" }).region).toBe("eu-west-1");
  });

  it("merges rate overrides into AWS's default quotas", () => {
    const config = loadConfig([], { AWS_REGION: "x", ECS_OPERATOR_AWS_RATES: JSON.stringify({ "ecs:taskdefinition-modify": { ratePerSecond: 5, burst: 20 } }) });
    expect(config.awsRates["ecs:taskdefinition-modify"]).toEqual({ ratePerSecond: 5, burst: 20 });
    expect(config.awsRates["ecs:service-modify"]).toEqual(AWS_API_RATES["ecs:service-modify"]);
  });

  it("takes overrides of a class whose service name has a hyphen (application-autoscaling)", () => {
    const config = loadConfig([], { AWS_REGION: "x", ECS_OPERATOR_AWS_RATES: JSON.stringify({ "application-autoscaling:modify": { ratePerSecond: 2, burst: 4 } }) });
    expect(config.awsRates["application-autoscaling:modify"]).toEqual({ ratePerSecond: 2, burst: 4 });
    expect(config.awsRates["application-autoscaling:read"]).toEqual(AWS_API_RATES["application-autoscaling:read"]);
  });

  it.each([
    [[], {}, "--region or AWS_REGION is required"],
    [["--region="], {}, `--region must be a non-empty value, got ""`],
    [["--workers=0"], { AWS_REGION: "x" }, `--workers must be an integer of at least 1, got "0"`],
    [[], { AWS_REGION: "x", ECS_OPERATOR_WORKERS: "2.5" }, `ECS_OPERATOR_WORKERS must be an integer of at least 1, got "2.5"`],
    [["--resync-seconds=abc"], { AWS_REGION: "x" }, `--resync-seconds must be an integer of at least 1, got "abc"`],
    [["--http-port= "], { AWS_REGION: "x" }, `--http-port must be a non-negative integer, got " "`],
    [["--log-level=loud"], { AWS_REGION: "x" }, "--log-level must be one of fatal, error, warn, info, debug, trace"],
    [[], { AWS_REGION: "x", LOG_LEVEL: "loud" }, "LOG_LEVEL must be one of"],
    [["--leader-election=yes"], { AWS_REGION: "x" }, `--leader-election must be true or false, got "yes"`],
    [["--default-deletion-policy=Orphan"], { AWS_REGION: "x" }, "--default-deletion-policy must be one of Delete, Retain"],
    [["--aws-rates=[]"], { AWS_REGION: "x" }, "--aws-rates must be a JSON object of API classes"],
    [["--aws-rates={bad"], { AWS_REGION: "x" }, "--aws-rates must be JSON such as"],
    [[`--aws-rates={"ecs:service-modify":{"ratePerSecond":0,"burst":5}}`], { AWS_REGION: "x" }, `(at "ecs:service-modify")`],
    [[`--aws-rates={"ecs":{"ratePerSecond":1,"burst":5}}`], { AWS_REGION: "x" }, `(at "ecs")`],
  ])("rejects %j %j with a message naming where the value came from", (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(ConfigError);
    expect(() => loadConfig(argv, env)).toThrow(message);
  });

  it("rejects unknown flags and stray arguments", () => {
    expect(() => loadConfig(["--regoin=x"], { AWS_REGION: "x" })).toThrow("unknown flag --regoin (did you mean --region?)");
    expect(() => loadConfig(["--verbose"], { AWS_REGION: "x" })).toThrow(/^unknown flag --verbose$/);
    expect(() => loadConfig(["x"], { AWS_REGION: "x" })).toThrow(`unexpected argument "x"`);
  });
});
