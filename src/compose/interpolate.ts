import type { FieldPath } from "./diagnostics.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export interface InterpolationIssues {
  /** A variable without a value and without a default: Compose substitutes an empty string. */
  unset(path: FieldPath, name: string): void;
  /** `${VAR:?message}` with VAR unset, or a malformed expression: the file cannot be used. */
  error(path: FieldPath, message: string): void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Compose's variable substitution over every string value (not keys), as `docker compose` does
 * before reading the file: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nesting in the word, `$$` for `$`.
 */
export function interpolate(value: unknown, env: Environment, issues: InterpolationIssues, path: FieldPath = []): unknown {
  if (typeof value === "string") return value.includes("$") ? interpolateString(value, env, issues, path) : value;
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, issues, [...path, i]));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, issues, [...path, k])]));
  }
  return value;
}

export function interpolateString(text: string, env: Environment, issues: InterpolationIssues, path: FieldPath): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const end = closingBrace(text, dollar + 2);
      if (end < 0) {
        issues.error(path, `unterminated variable expression in "${text}"`);
        return text;
      }
      out += expand(text.slice(dollar + 2, end), env, issues, path);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name === undefined) {
        // A lone `$` (e.g. at the end of a regex) stays as written, as in Compose.
        out += "$";
        i = dollar + 1;
      } else {
        out += lookup(name, env, issues, path);
        i = dollar + 1 + name.length;
      }
    }
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "{" && text[i - 1] === "$") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function lookup(name: string, env: Environment, issues: InterpolationIssues, path: FieldPath): string {
  const value = env[name];
  if (value === undefined) {
    issues.unset(path, name);
    return "";
  }
  return value;
}

function expand(body: string, env: Environment, issues: InterpolationIssues, path: FieldPath): string {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) {
    issues.error(path, `invalid variable name in "\${${body}}"`);
    return "";
  }
  const rest = body.slice(name.length);
  if (rest === "") return lookup(name, env, issues, path);
  const value = env[name];
  const colon = rest.startsWith(":");
  const op = colon ? rest[1] : rest[0];
  const word = (): string => interpolateString(rest.slice(colon ? 2 : 1), env, issues, path);
  // With a colon, an empty value counts as unset.
  const unset = value === undefined || (colon && value === "");
  switch (op) {
    case "-":
      return unset ? word() : value;
    case "?":
      if (unset) {
        const message = word();
        issues.error(path, `required variable ${name} is not set${message === "" ? "" : `: ${message}`}`);
        return "";
      }
      return value;
    case "+":
      return unset ? "" : word();
    default:
      issues.error(path, `invalid variable expression "\${${body}}"`);
      return "";
  }
}
