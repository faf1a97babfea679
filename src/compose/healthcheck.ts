import type { ContainerDefinitionSpec } from "../api/taskdefinition.js";
import { problemAt, type FieldPath } from "./diagnostics.js";
import { servicePath, type MappingContext } from "./context.js";
import type { EcsServiceParams } from "./ecs-params.js";
import { healthcheckCommand } from "./read.js";
import type { ComposeHealthcheck } from "./schema.js";
import { parseDuration } from "./units.js";

type HealthCheck = NonNullable<ContainerDefinitionSpec["healthCheck"]>;

/** ECS's published bounds, in seconds or attempts (the TaskDefinition CRD lets timeout go to 120, which AWS refuses above 60). */
const BOUNDS = { interval: [5, 300], timeout: [2, 60], retries: [1, 10], startPeriod: [0, 300] } as const;

/** Docker waits 30 s for a check where ECS waits 5 s: the Compose default is written out so that a slow check keeps passing. */
const COMPOSE_DEFAULT_TIMEOUT = 30;

/**
 * The container health check: Compose's `healthcheck`, with ecs-params.yml's fields taking
 * precedence as in ecs-cli. Durations become whole seconds (rounded up) within ECS's bounds.
 */
export function healthCheck(ctx: MappingContext, name: string, compose: ComposeHealthcheck | undefined, params: EcsServiceParams["healthcheck"]): HealthCheck | undefined {
  if (compose?.disable === true && params === undefined) return undefined;
  const paramsPath = (field: string): FieldPath => ["task_definition", "services", name, "healthcheck", field];
  const composePath = (field: string): FieldPath => servicePath(name, "healthcheck", field);
  const test = params?.test ?? params?.command ?? compose?.test;
  if (test === undefined) {
    if (compose !== undefined || params !== undefined) ctx.warnings.field(servicePath(name, "healthcheck"), "no test given, and ECS has no image healthcheck to fall back on; healthcheck dropped");
    return undefined;
  }
  const command = healthcheckCommand(test);
  if (command === undefined) return undefined;
  const check: HealthCheck = { command };

  const seconds = (field: "interval" | "timeout" | "start_period", ecsField: "interval" | "timeout" | "startPeriod"): void => {
    const fromParams = params?.[field];
    const value = fromParams ?? compose?.[field];
    if (value === undefined) return;
    const path = fromParams !== undefined ? paramsPath(field) : composePath(field);
    const parsed = typeof value === "number" ? value : parseDuration(value);
    if (parsed === undefined) {
      ctx.problems.push(problemAt(ctx.project.params ?? ctx.project.compose, path, `invalid duration "${value}": expected e.g. 30s or 1m30s`));
      return;
    }
    check[ecsField] = bounded(ctx, path, ecsField, Math.ceil(parsed), fromParams !== undefined);
  };
  seconds("interval", "interval");
  seconds("timeout", "timeout");
  seconds("start_period", "startPeriod");
  check.timeout ??= COMPOSE_DEFAULT_TIMEOUT;
  const retries = params?.retries ?? compose?.retries;
  if (retries !== undefined) check.retries = bounded(ctx, params?.retries !== undefined ? paramsPath("retries") : composePath("retries"), "retries", retries, params?.retries !== undefined);
  if (compose?.start_interval !== undefined) ctx.warnings.field(composePath("start_interval"), "ECS has no separate interval during the start period; ignored");
  return check;
}

function bounded(ctx: MappingContext, path: FieldPath, field: keyof typeof BOUNDS, value: number, fromParams: boolean): number {
  const [min, max] = BOUNDS[field];
  const clamped = Math.min(max, Math.max(min, value));
  if (clamped !== value) {
    const message = `ECS allows ${String(min)} to ${String(max)}${field === "retries" ? "" : " seconds"}; ${String(value)} becomes ${String(clamped)}`;
    if (fromParams) ctx.warnings.param(path, message);
    else ctx.warnings.field(path, message);
  }
  return clamped;
}
