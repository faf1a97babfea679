import type { TSchema } from "@sinclair/typebox";
import { ComposeError, problemAt, WarningSink, type FieldPath, type Locator, type Problem } from "./diagnostics.js";
import { ecsParamsSchema, type EcsParams } from "./ecs-params.js";
import { portAwsExtensions, projectAwsExtensions, projectEcsExtension, secretAwsExtensions, serviceAwsExtensions, serviceEcsExtension, type ProjectEcsExtension, type ServiceEcsExtension } from "./extensions.js";
import { interpolate, type Environment } from "./interpolate.js";
import { composePortOf, healthcheckCommand, mountOf } from "./read.js";
import { composeFile, type ComposeFile, type ComposeService } from "./schema.js";
import { schemaProblems, withoutExtensions } from "./validate.js";
import { splitWords } from "./words.js";
import { parseYaml, type YamlSource } from "./yaml-source.js";

export interface SourceText {
  /** The name messages show, e.g. docker-compose.yml. */
  file: string;
  text: string;
}

export interface LoadInput {
  compose: SourceText;
  ecsParams?: SourceText;
  /** Variables for `${VAR}` substitution and for `environment` entries given without a value. */
  env: Environment;
  /** Active profiles (`--profile`, COMPOSE_PROFILES); "*" activates all. */
  profiles: readonly string[];
}

export interface ComposeProjectModel {
  compose: YamlSource;
  params?: YamlSource;
  file: ComposeFile;
  ecsParams: EcsParams;
  /** The services to convert (active profiles), in file order. */
  services: [string, ComposeService][];
  projectExtension: ProjectEcsExtension;
  serviceExtension(name: string): ServiceEcsExtension;
  /** A field of a service, an extension included, as written. */
  raw(service: string, key: string): unknown;
}

const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Parses, substitutes variables, validates and selects profiles; throws ComposeError listing every problem. */
export function loadCompose(input: LoadInput): { project: ComposeProjectModel; warnings: WarningSink } {
  const compose = parseYaml(input.compose.text, input.compose.file);
  const params = input.ecsParams ? parseYaml(input.ecsParams.text, input.ecsParams.file) : undefined;
  const warnings = new WarningSink(compose, params);
  for (const source of params ? [compose, params] : [compose]) {
    for (const w of source.warnings) warnings.line(source.file, w.line, w.message);
  }
  const problems: Problem[] = [];

  if (compose.value === null || typeof compose.value !== "object" || Array.isArray(compose.value)) {
    throw new ComposeError([problemAt(compose, [], "a Compose file is a mapping with a services key")]);
  }
  const unsetReported = new Set<string>();
  const value = interpolate(compose.value, input.env, {
    unset: (path, name) => {
      if (unsetReported.has(name)) return;
      unsetReported.add(name);
      warnings.field(path, `variable ${name} is not set; substituting an empty string`);
    },
    error: (path, message) => problems.push(problemAt(compose, path, message)),
  }) as Record<string, unknown>;
  fail(problems);

  fail(schemaProblems(composeFile, withoutExtensions(value), compose));
  const file = value as ComposeFile;
  const paramsValue = params?.value ?? {};
  if (params) fail(schemaProblems(ecsParamsSchema, paramsValue, params));
  const ecsParams = paramsValue as EcsParams;

  fail(extensionProblems(value, compose));
  const services = Object.entries(file.services);
  if (services.length === 0) fail([problemAt(compose, ["services"], "no services defined")]);
  if (file.include !== undefined) problems.push(problemAt(compose, ["include"], "include is not supported: merge the included files into one Compose file first (docker compose config)"));
  const active = activeServices(file, input.profiles);
  // Checked against its schema by extensionProblems.
  const ext = (name: string): ServiceEcsExtension => valueOf(file.services[name], "x-ecs") ?? {};
  for (const [name, svc] of services) {
    problems.push(...serviceProblems(file, name, svc, active, compose), ...sidecarProblems(file, name, ext, active, compose));
  }
  checkCycles(file, compose, problems);
  fail(problems);

  for (const name of Object.keys(ecsParams.task_definition?.services ?? {})) {
    if (file.services[name] === undefined) warnings.param(["task_definition", "services", name], `no Compose service named ${name}; these settings are not used`);
  }
  for (const [name, svc] of services) {
    if (!active.has(name)) warnings.field(["services", name, "profiles"], `not converted: its profiles (${(svc.profiles ?? []).join(", ")}) are not active; enable one with --profile`);
  }

  return {
    warnings,
    project: {
      compose,
      ...(params ? { params } : {}),
      file,
      ecsParams,
      services: services.filter(([name]) => active.has(name)),
      projectExtension: value["x-ecs"] ?? {},
      serviceExtension: ext,
      raw: (service, key) => valueOf(file.services[service], key),
    },
  };
}

function fail(problems: Problem[]): void {
  if (problems.length > 0) throw new ComposeError(problems);
}

function valueOf(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

function dependencyNames(svc: ComposeService): string[] {
  const d = svc.depends_on;
  return d === undefined ? [] : Array.isArray(d) ? d : Object.keys(d);
}

/** What makes one service unusable, beyond its schema: references, ports, volumes, commands, profiles. */
function serviceProblems(file: ComposeFile, name: string, svc: ComposeService, active: Set<string>, compose: Locator): Problem[] {
  const problems: Problem[] = [];
  const at = (...path: (string | number)[]): FieldPath => ["services", name, ...path];
  const problem = (path: FieldPath, message: string) => problems.push(problemAt(compose, path, message));
  if (!SERVICE_NAME.test(name)) problem(at(), `invalid service name "${name}": use letters, digits, "_", "." and "-"`);
  if (svc.extends !== undefined) problem(at("extends"), "extends is not supported: inline the base service, or share settings with a YAML anchor and a merge key (<<: *base)");
  if (svc.image === undefined) problem(at(), "no image: ECS runs images from a registry; build and push the image, then set image");
  checkReferences(file, name, svc, problem);
  for (const [i, p] of (svc.ports ?? []).entries()) {
    const port = composePortOf(p);
    if (typeof port === "string") problem(at("ports", i), port);
  }
  for (const [i, p] of (svc.expose ?? []).entries()) {
    if (!/^\d+(-\d+)?(\/[a-z]+)?$/.test(String(p))) problem(at("expose", i), `invalid port "${String(p)}": expected a port such as "3000", "3000/udp" or "8000-8010"`);
  }
  for (const key of ["command", "entrypoint"] as const) {
    const v = svc[key];
    if (typeof v === "string" && splitWords(v) === undefined) problem(at(key), "unterminated quote");
  }
  const test = svc.healthcheck?.test;
  if (Array.isArray(test) && !["CMD", "CMD-SHELL", "NONE"].includes(test[0] ?? "")) problem(at("healthcheck", "test"), 'a healthcheck test list starts with "CMD", "CMD-SHELL" or "NONE"');
  else if (test !== undefined && healthcheckCommand(test) === undefined && !(Array.isArray(test) && test[0] === "NONE")) problem(at("healthcheck", "test"), "the healthcheck test has no command");
  for (const [i, v] of (svc.volumes ?? []).entries()) {
    const mount = mountOf(v);
    if (typeof mount === "string") problem(at("volumes", i), mount);
    else if (mount.type === "volume" && mount.source !== undefined && file.volumes?.[mount.source] === undefined) problem(at("volumes", i), `undefined volume "${mount.source}": declare it under the top-level volumes key`);
  }
  if (active.has(name)) {
    for (const [i, dep] of dependencyNames(svc).entries()) {
      const path = Array.isArray(svc.depends_on) ? at("depends_on", i) : at("depends_on", dep);
      if (file.services[dep] !== undefined && !active.has(dep)) problem(path, `depends on ${dep}, which is not enabled by the active profiles`);
    }
  }
  return problems;
}

/** x-ecs.sidecar_of must name a service that runs a task of its own. */
function sidecarProblems(file: ComposeFile, name: string, ext: (name: string) => ServiceEcsExtension, active: Set<string>, compose: Locator): Problem[] {
  const of = ext(name).sidecar_of;
  if (of === undefined) return [];
  const path: FieldPath = ["services", name, "x-ecs", "sidecar_of"];
  if (of === name) return [problemAt(compose, path, "a service cannot be its own sidecar")];
  if (file.services[of] === undefined) return [problemAt(compose, path, `unknown service "${of}"`)];
  if (ext(of).sidecar_of !== undefined) return [problemAt(compose, path, `${of} is itself a sidecar; name the service whose task it joins`)];
  if (active.has(name) && !active.has(of)) return [problemAt(compose, path, `${of} is not enabled by the active profiles`)];
  return [];
}

function activeServices(file: ComposeFile, profiles: readonly string[]): Set<string> {
  const all = profiles.includes("*");
  return new Set(
    Object.entries(file.services)
      .filter(([, svc]) => svc.profiles === undefined || svc.profiles.length === 0 || all || svc.profiles.some((p) => profiles.includes(p)))
      .map(([name]) => name),
  );
}

function checkReferences(file: ComposeFile, name: string, svc: ComposeService, problem: (path: FieldPath, message: string) => void): void {
  const at = (...path: (string | number)[]): FieldPath => ["services", name, ...path];
  const deps = svc.depends_on;
  for (const [i, dep] of dependencyNames(svc).entries()) {
    const path = Array.isArray(deps) ? at("depends_on", i) : at("depends_on", dep);
    if (dep === name) problem(path, "a service cannot depend on itself");
    else if (file.services[dep] === undefined) problem(path, `unknown service "${dep}"`);
  }
  for (const [i, link] of (svc.links ?? []).entries()) {
    const target = link.split(":")[0] ?? "";
    if (file.services[target] === undefined) problem(at("links", i), `unknown service "${target}"`);
  }
  for (const [i, from] of (svc.volumes_from ?? []).entries()) {
    const target = from.split(":")[0] ?? "";
    if (target !== "container" && file.services[target] === undefined) problem(at("volumes_from", i), `unknown service "${target}"`);
  }
  for (const [i, s] of (svc.secrets ?? []).entries()) {
    const source = typeof s === "string" ? s : s.source;
    if (file.secrets?.[source] === undefined) problem(at("secrets", i), `undefined secret "${source}": declare it under the top-level secrets key`);
  }
  const networks = svc.networks === undefined ? [] : Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);
  for (const network of networks) {
    if (network !== "default" && file.networks?.[network] === undefined) problem(at("networks"), `undefined network "${network}": declare it under the top-level networks key`);
  }
}

function checkCycles(file: ComposeFile, compose: Locator, problems: Problem[]): void {
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      problems.push(problemAt(compose, ["services", name, "depends_on"], `dependency cycle: ${cycle.join(" -> ")}`));
      return;
    }
    state.set(name, "visiting");
    const svc = file.services[name];
    for (const dep of svc ? dependencyNames(svc) : []) if (file.services[dep] !== undefined) visit(dep, [...trail, name]);
    state.set(name, "done");
  };
  for (const name of Object.keys(file.services)) visit(name, []);
}

/** Checks the extension fields this converter reads against their schemas. */
function extensionProblems(value: Record<string, unknown>, compose: Locator): Problem[] {
  const problems: Problem[] = [];
  const check = (schema: TSchema, v: unknown, path: FieldPath) => {
    if (v !== undefined) problems.push(...schemaProblems(schema, v, compose, path));
  };
  check(projectEcsExtension, value["x-ecs"], ["x-ecs"]);
  for (const [key, schema] of Object.entries(projectAwsExtensions)) check(schema, value[key], [key]);
  for (const [name, svc] of Object.entries((value.services ?? {}) as Record<string, Record<string, unknown>>)) {
    check(serviceEcsExtension, svc["x-ecs"], ["services", name, "x-ecs"]);
    for (const [key, schema] of Object.entries(serviceAwsExtensions)) check(schema, svc[key], ["services", name, key]);
    const ports = Array.isArray(svc.ports) ? (svc.ports as unknown[]) : [];
    for (const [i, p] of ports.entries()) {
      for (const [key, schema] of Object.entries(portAwsExtensions)) check(schema, valueOf(p, key), ["services", name, "ports", i, key]);
    }
  }
  for (const [name, secret] of Object.entries((value.secrets ?? {}) as Record<string, unknown>)) {
    for (const [key, schema] of Object.entries(secretAwsExtensions)) check(schema, valueOf(secret, key), ["secrets", name, key]);
  }
  return problems;
}
