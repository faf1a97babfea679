export interface EnvFileEntry {
  name: string;
  /** Undefined for a name alone: "take it from the environment". */
  value: string | undefined;
  /** 1-based line in the file, for messages. */
  line: number;
  /** Single-quoted values are taken literally (no variable substitution), as Compose does. */
  literal: boolean;
}

export interface EnvFileError {
  line: number;
  message: string;
}

/**
 * Reads the `.env` format of Compose's `env_file` and project `.env`: `KEY=VALUE` lines, an
 * optional `export `, `#` comments (also after an unquoted value, when preceded by a blank), and
 * single- or double-quoted values (double quotes understand \n, \t, \" and \\).
 */
export function parseEnvFile(text: string): { entries: EnvFileEntry[]; errors: EnvFileError[] } {
  const entries: EnvFileEntry[] = [];
  const errors: EnvFileError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim().replace(/^export\s+/, "");
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)\s*(=)?\s*(.*)$/.exec(trimmed);
    if (!m?.[1]) {
      errors.push({ line, message: `not a KEY=VALUE line: ${trimmed}` });
      return;
    }
    if (m[2] === undefined) {
      entries.push({ name: m[1], value: undefined, line, literal: true });
      return;
    }
    const rest = m[3] ?? "";
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      const end = rest.indexOf(quote, 1);
      if (end < 0) {
        errors.push({ line, message: `unterminated ${quote === "'" ? "single" : "double"} quote` });
        return;
      }
      const body = rest.slice(1, end);
      const value = quote === "'" ? body : body.replace(/\\([nt"\\])/g, (_, c: string) => ({ n: "\n", t: "\t" })[c] ?? c);
      entries.push({ name: m[1], value, line, literal: quote === "'" });
      return;
    }
    entries.push({ name: m[1], value: rest.replace(/\s+#.*$/, ""), line, literal: false });
  });
  return { entries, errors };
}
