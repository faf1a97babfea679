/** A path into a YAML document: mapping keys and sequence indexes. */
export type FieldPath = readonly (string | number)[];

/** `services.web.ports[0]`: how Compose users name a field. */
function formatPath(path: FieldPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${String(segment)}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

/** One reason the input cannot be converted, pointing at its place in a file where there is one. */
export interface Problem {
  file: string;
  path: FieldPath;
  message: string;
  line?: number;
  column?: number;
}

function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${String(p.line)}${p.column === undefined ? "" : `:${String(p.column)}`}`;
  return p.path.length > 0 ? `${where}: ${formatPath(p.path)}: ${p.message}` : `${where}: ${p.message}`;
}

/** Invalid input: the conversion stops and the CLI exits non-zero with every problem found. */
export class ComposeError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    // In file order, line by line, so that the first message is the first thing to fix.
    const files = [...new Set(problems.map((p) => p.file))];
    problems = [...problems].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || (a.line ?? 0) - (b.line ?? 0));
    super(problems.map(formatProblem).join("\n"));
    this.name = "ComposeError";
    this.problems = problems;
  }
}

/**
 * Something the conversion could not carry over as written, or a value it had to invent: the
 * output is still produced, and the user learns what to check. `field` names the Compose (or
 * ecs-params) field, or the output field for placeholders.
 */
export interface Warning {
  file?: string;
  line?: number;
  field: string;
  message: string;
}

export function formatWarning(w: Warning): string {
  const where = w.file === undefined ? "" : `${w.file}${w.line === undefined ? "" : `:${String(w.line)}`}: `;
  return `${where}${w.field}: ${w.message}`;
}

/** Finds the line of a field in its source file, for messages. */
export interface Locator {
  file: string;
  line(path: FieldPath): number | undefined;
  column(path: FieldPath): number | undefined;
}

export function problemAt(locator: Locator, path: FieldPath, message: string): Problem {
  const line = locator.line(path);
  const column = locator.column(path);
  return { file: locator.file, path, message, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) };
}

/** Collects warnings in the order they arise, each located in its file where it has one. */
export class WarningSink {
  readonly warnings: Warning[] = [];

  constructor(
    private readonly compose: Locator,
    private readonly params?: Locator,
  ) {}

  /** About a field of the Compose file. */
  field(path: FieldPath, message: string): void {
    this.push(this.compose, path, message);
  }

  /** About a field of ecs-params.yml. */
  param(path: FieldPath, message: string): void {
    if (this.params) this.push(this.params, path, message);
    else this.warnings.push({ field: formatPath(path), message });
  }

  /** About a line of a file rather than a field (what the YAML parser noticed). */
  line(file: string, line: number, message: string): void {
    this.warnings.push({ file, line, field: "YAML", message });
  }

  /** About a field of the output that holds a placeholder or a guess, e.g. `TargetGroup web-80 spec.vpcId`. */
  output(field: string, message: string): void {
    this.warnings.push({ field, message });
  }

  private push(locator: Locator, path: FieldPath, message: string): void {
    const line = locator.line(path);
    this.warnings.push({ file: locator.file, field: formatPath(path), message, ...(line !== undefined ? { line } : {}) });
  }
}
