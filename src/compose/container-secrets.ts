import type { ContainerDefinitionSpec } from "../api/taskdefinition.js";
import { servicePath, type MappingContext } from "./context.js";
import type { EcsServiceParams } from "./ecs-params.js";
import { envName } from "./names.js";
import type { ComposeService } from "./schema.js";

type Secret = NonNullable<ContainerDefinitionSpec["secrets"]>[number];

const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:/;
const SSM_ARN = /^arn:aws[a-z-]*:ssm:/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Compose secrets that name an existing Secrets Manager secret or SSM parameter (`external: true`
 * with its ARN as `name`, as Docker's ECS integration had it) become ECS `secrets`. ECS puts a
 * secret in an environment variable, where Compose mounts a file under /run/secrets, so each one
 * is reported with the variable it becomes. `x-aws-keys` picks JSON keys of a Secrets Manager
 * secret, one variable each. ecs-params.yml's secrets are added as written.
 */
export function containerSecrets(ctx: MappingContext, name: string, svc: ComposeService, params: EcsServiceParams | undefined): Secret[] {
  const out: Secret[] = [];
  for (const [i, ref] of (svc.secrets ?? []).entries()) {
    const path = servicePath(name, "secrets", i);
    const source = typeof ref === "string" ? ref : ref.source;
    const target = typeof ref === "string" ? undefined : ref.target;
    const definition = ctx.project.file.secrets?.[source];
    if (definition === undefined) continue;
    const external = definition.external === true || typeof definition.external === "object";
    if (!external) {
      const kind = definition.file !== undefined ? `the local file ${definition.file}` : definition.environment !== undefined ? `the variable ${definition.environment}` : "inline content";
      ctx.warnings.field(path, `${source} comes from ${kind}; ECS reads secrets from Secrets Manager or SSM Parameter Store: store it there and declare it external: true with its ARN as name. Dropped`);
      continue;
    }
    const valueFrom = (typeof definition.external === "object" ? definition.external.name : undefined) ?? definition.name ?? source;
    if (!SECRETS_MANAGER_ARN.test(valueFrom) && !SSM_ARN.test(valueFrom) && ctx.once(`secret-name:${source}`)) {
      ctx.warnings.field(["secrets", source], `${valueFrom} is not an ARN; ECS reads a plain name as an SSM parameter in the task's region (give a Secrets Manager secret by its ARN)`);
    }
    // A target that is already a variable name is kept as written: Compose users name files, so
    // only a file name or path is turned into one.
    const variable = target !== undefined && ENV_NAME.test(target) ? target : envName(target !== undefined && !target.includes("/") ? target : source);
    const keys = (definition as Record<string, unknown>)["x-aws-keys"] as string[] | undefined;
    const ignored = typeof ref === "string" ? [] : (["uid", "gid", "mode"] as const).filter((k) => ref[k] !== undefined);
    const file = target?.startsWith("/") ? target : `/run/secrets/${target ?? source}`;
    const note = ignored.length > 0 ? `; ${ignored.join(", ")} ignored` : "";
    if (keys === undefined) {
      out.push({ name: variable, valueFrom });
      ctx.warnings.field(path, `Compose mounts ${source} as the file ${file}; ECS sets the environment variable ${variable} instead${note}`);
      continue;
    }
    if (!SECRETS_MANAGER_ARN.test(valueFrom)) {
      ctx.warnings.field(["secrets", source, "x-aws-keys"], "JSON keys can be picked only from a Secrets Manager secret given by its ARN; ignored");
      out.push({ name: variable, valueFrom });
      continue;
    }
    const named = keys.filter((k) => k !== "*");
    if (named.length < keys.length && ctx.once(`secret-keys:${source}`)) {
      ctx.warnings.field(["secrets", source, "x-aws-keys"], `ECS cannot expand "*" into every key of a secret; name the keys${named.length === 0 ? " (the whole secret is used meanwhile)" : ""}`);
    }
    if (named.length === 0) out.push({ name: variable, valueFrom });
    for (const key of named) out.push({ name: envName(`${variable}_${key}`), valueFrom: `${valueFrom}:${key}::` });
    const variables = named.length === 0 ? variable : named.map((k) => envName(`${variable}_${k}`)).join(", ");
    ctx.warnings.field(path, `Compose mounts ${source} as files under ${file}; ECS sets the environment variables ${variables} instead${note}`);
  }
  for (const s of params?.secrets ?? []) out.push({ name: s.name, valueFrom: s.value_from });
  return out;
}
