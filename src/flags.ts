// Command-line flags for every command of the binary: one declaration per flag, from which both
// parsing and the --help text come. Usage errors are one line, for a person at a shell.

/** One flag of a command. */
export interface Flag {
  /** The long name, without dashes: `region` for `--region`. */
  name: string;
  /** A one-letter alias: `f` for `-f`. */
  short?: string;
  /** The value's placeholder in help, e.g. `<seconds>`; absent for a switch such as `--help`. */
  value?: string;
  /** May be given more than once; every value is kept. */
  multiple?: boolean;
  description: string;
}

/** A command line that cannot be run as typed: exit code 2, one line on stderr. */
export class UsageError extends Error {}

export interface ParsedFlags<Name extends string> {
  /** The last value given for each flag present ("" for a switch). */
  values: Partial<Record<Name, string>>;
  /** Every value given for a flag, in order. */
  all(name: Name): string[];
  /** Whether a flag, a switch such as --help in particular, was given. */
  has(name: Name): boolean;
  positionals: string[];
}

export const HELP_FLAG = { name: "help", short: "h", description: "print this help and exit" } as const satisfies Flag;

/**
 * Parses `--name value`, `--name=value`, `-n value`, `-nvalue`, switches, and `--` before
 * positionals. A value flag followed by another flag (`--region --workers 2`) lacks its value: a
 * value that starts with a dash is written `--name=-value` (a lone `-` is a value: stdout).
 */
export function parseFlags<const F extends readonly Flag[]>(argv: readonly string[], flags: F, opts: { positionals?: number } = {}): ParsedFlags<F[number]["name"]> {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.flatMap((f) => (f.short ? [[f.short, f] as const] : [])));
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const set = (flag: Flag, value: string): void => {
    values.set(flag.name, flag.multiple ? [...(values.get(flag.name) ?? []), value] : [value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let flag: Flag | undefined;
    let shown: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      shown = `--${name}`;
      if (eq >= 0) inline = arg.slice(eq + 1);
      flag = byName.get(name);
      if (!flag) throw new UsageError(`unknown flag ${shown}${suggestion(name, [...byName.keys()])}`);
    } else if (arg.startsWith("-") && arg !== "-") {
      shown = arg.slice(0, 2);
      flag = byShort.get(arg.slice(1, 2));
      if (!flag) throw new UsageError(`unknown flag ${shown}`);
      if (arg.length > 2) inline = arg.slice(arg[2] === "=" ? 3 : 2);
    } else {
      positionals.push(arg);
      continue;
    }
    if (flag.value === undefined) {
      if (inline !== undefined) throw new UsageError(`${shown} takes no value`);
      set(flag, "");
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-")) throw new UsageError(`${shown} needs a value ${flag.value}`);
      inline = next;
      i++;
    }
    set(flag, inline);
  }
  const allowed = opts.positionals ?? 0;
  if (positionals.length > allowed) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[allowed])}`);
  return {
    values: Object.fromEntries([...values].map(([name, all]) => [name, all.at(-1)])) as Partial<Record<F[number]["name"], string>>,
    all: (name) => values.get(name) ?? [],
    has: (name) => values.has(name),
    positionals,
  };
}

/** ` (did you mean --region?)` for a near miss. */
function suggestion(name: string, names: string[]): string {
  const best = names.map((n) => ({ n, d: distance(name, n) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(1, Math.floor(best.n.length / 4)) ? ` (did you mean --${best.n}?)` : "";
}

/** Levenshtein distance, with an adjacent swap counting as one edit. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] ?? [])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** `-f, --file <path>` or `    --cluster <name>`: a flag as help shows it. */
export function flagSynopsis(flag: Flag): string {
  return `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
}

/** Two columns: each flag's synopsis, then its description (continuation lines aligned). */
export function formatFlags(flags: readonly Flag[]): string {
  const width = Math.max(...flags.map((f) => flagSynopsis(f).length)) + 2;
  return flags.map((f) => `  ${flagSynopsis(f).padEnd(width)}${f.description.split("\n").join(`\n  ${" ".repeat(width)}`)}`).join("\n");
}
