import { type TSchema } from "@sinclair/typebox";
import { Value, ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { problemAt, type FieldPath, type Locator, type Problem } from "./diagnostics.js";

/** At most this many schema problems are reported at once: the first few say what is wrong. */
const MAX_PROBLEMS = 10;

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Whether a union member could be meant for the value, judging by its JSON type alone. */
function accepts(member: TSchema, type: string): boolean {
  const t = (member as { type?: unknown }).type;
  if (t === undefined) return (member as { const?: unknown }).const === undefined;
  if (t === "number") return type === "number" || type === "integer";
  return t === type;
}

function describe(error: ValueError, value: unknown): string {
  const description = (error.schema as { description?: unknown }).description;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return "unknown field";
    case ValueErrorType.ObjectRequiredProperty:
      return "required field is missing";
    default:
      return `${typeof description === "string" ? `expected ${description}` : error.message.replace(/^Expected/, "expected")}, got ${preview(value)}`;
  }
}

function preview(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v = root;
  for (const s of path) v = v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[s] : undefined;
  return v;
}

/**
 * Checks `value` against `schema` and states each problem at its line. For a value that matches
 * none of a union's alternatives, the alternative of the value's own type is checked instead, so
 * that the message names the field that is wrong inside it rather than "no alternative matched".
 */
export function schemaProblems(schema: TSchema, value: unknown, locator: Locator, base: FieldPath = []): Problem[] {
  const problems: Problem[] = [];
  const reported: (string | number)[][] = [];
  for (const error of Value.Errors(schema, value)) {
    const path = pointerToPath(error.path);
    // One problem per field: a union or an object reports its failure more than once.
    if (reported.some((r) => r.length <= path.length && r.every((s, i) => s === path[i]))) continue;
    reported.push(path);
    const at = valueAt(value, path);
    const members = (error.schema as { anyOf?: TSchema[] }).anyOf;
    const candidates = error.type === ValueErrorType.Union && members ? members.filter((m) => accepts(m, jsonType(at))) : [];
    const only = candidates.length === 1 ? candidates[0] : undefined;
    const inner = only && (only as { type?: unknown }).type !== undefined && ["object", "array"].includes(String((only as { type?: unknown }).type)) ? schemaProblems(only, at, locator, [...base, ...path]) : [];
    problems.push(...(inner.length > 0 ? inner : [problemAt(locator, [...base, ...path], describe(error, at))]));
    if (problems.length >= MAX_PROBLEMS) break;
  }
  return problems.slice(0, MAX_PROBLEMS);
}

/** A copy without extension fields (`x-...`), which the main schema leaves to their own checks. */
export function withoutExtensions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutExtensions);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith("x-"))
        .map(([k, v]) => [k, withoutExtensions(v)]),
    );
  }
  return value;
}
