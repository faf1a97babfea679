import type { ContainerDefinitionSpec } from "../api/taskdefinition.js";
import { problemAt } from "./diagnostics.js";
import { servicePath, type MappingContext } from "./context.js";
import { parseEnvFile } from "./env-file.js";
import { interpolateString } from "./interpolate.js";
import { keyValues } from "./read.js";
import type { ComposeService } from "./schema.js";

type KeyValue = NonNullable<ContainerDefinitionSpec["environment"]>[number];
type EnvironmentFile = NonNullable<ContainerDefinitionSpec["environmentFiles"]>[number];

const S3_ARN = /^arn:aws[a-z-]*:s3:::/;

/**
 * `env_file` and `environment`, in Compose's order of precedence (environment wins). Local env
 * files are read now and inlined, as `docker compose` does; files given as S3 object ARNs stay
 * files, which ECS reads when the task starts. A variable given by name alone takes its value
 * from the converting environment, again as Compose does.
 */
export function containerEnvironment(ctx: MappingContext, name: string, svc: ComposeService): { environment: KeyValue[]; environmentFiles: EnvironmentFile[] } {
  const values = new Map<string, string>();
  const environmentFiles: EnvironmentFile[] = [];
  const set = (key: string, value: string | undefined, path: (string | number)[]) => {
    const resolved = value ?? ctx.env[key];
    if (resolved === undefined) {
      ctx.warnings.field(servicePath(name, ...path), `${key} has no value and is not set in the environment; left out`);
      values.delete(key);
    } else {
      values.set(key, resolved);
    }
  };

  const files = svc.env_file === undefined ? [] : typeof svc.env_file === "string" ? [svc.env_file] : svc.env_file;
  for (const [i, entry] of files.entries()) {
    const path = typeof svc.env_file === "string" ? ["env_file"] : ["env_file", i];
    const file = typeof entry === "string" ? entry : entry.path;
    const required = typeof entry === "string" ? true : (entry.required ?? true);
    if (typeof entry !== "string" && entry.format !== undefined) ctx.warnings.field(servicePath(name, ...path, "format"), "env files are read in Compose's default format; ignored");
    if (S3_ARN.test(file)) {
      environmentFiles.push({ value: file, type: "s3" });
      continue;
    }
    const text = ctx.readFile(file);
    if (text === undefined) {
      if (required) ctx.problems.push(problemAt(ctx.project.compose, servicePath(name, ...path), `env file ${file} not found`));
      else ctx.warnings.field(servicePath(name, ...path), `env file ${file} not found; skipped (required: false)`);
      continue;
    }
    const parsed = parseEnvFile(text);
    for (const error of parsed.errors) ctx.problems.push({ file, path: [], line: error.line, message: error.message });
    for (const e of parsed.entries) {
      const value =
        e.value === undefined || e.literal
          ? e.value
          : interpolateString(e.value, ctx.env, {
              unset: (_p, variable) => {
                ctx.warnings.field(servicePath(name, ...path), `${file}:${String(e.line)}: variable ${variable} is not set; substituting an empty string`);
              },
              error: (_p, message) => ctx.problems.push({ file, path: [], line: e.line, message }),
            }, servicePath(name, ...path));
      set(e.name, value, path);
    }
  }
  for (const [i, [key, value]] of keyValues(svc.environment).entries()) set(key, value, ["environment", Array.isArray(svc.environment) ? i : key]);
  return { environment: [...values].map(([k, v]) => ({ name: k, value: v })), environmentFiles };
}
