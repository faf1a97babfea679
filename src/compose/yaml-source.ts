import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { ComposeError, type FieldPath, type Locator } from "./diagnostics.js";

/** A parsed YAML file with the means to point back at the line of any field in it. */
export interface YamlSource extends Locator {
  value: unknown;
  /** What the YAML parser noticed without failing (e.g. an unknown tag), with its line. */
  warnings: { line: number; message: string }[];
}

/** Bounds alias expansion, so that a "billion laughs" document cannot exhaust memory. */
const MAX_ALIAS_COUNT = 1000;

/**
 * Parses one YAML document. YAML 1.1 merge keys (`<<: *defaults`) are on because Compose files
 * use them to share settings between services; duplicate keys are errors, as in Compose.
 */
export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ComposeError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, path: [], message: `invalid YAML: ${e.message}`, line: pos.line, column: pos.col };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ComposeError([{ file, path: [], message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const offset = (path: FieldPath): number | undefined => findOffset(doc, path);
  return {
    file,
    value,
    warnings: doc.warnings.map((w) => ({ line: lineCounter.linePos(w.pos[0]).line, message: w.message })),
    line: (path) => {
      const at = offset(path);
      return at === undefined ? undefined : lineCounter.linePos(at).line;
    },
    column: (path) => {
      const at = offset(path);
      return at === undefined ? undefined : lineCounter.linePos(at).col;
    },
  };
}

/**
 * The offset of the deepest node on `path` that exists: the key of a mapping entry (so that an
 * unknown or invalid field points at its own line), following aliases and merge keys.
 */
function findOffset(doc: Document, path: FieldPath): number | undefined {
  let node: unknown = doc.contents;
  let best = rangeStart(node);
  for (const segment of path) {
    node = resolve(doc, node);
    const found = child(doc, node, segment);
    if (!found) break;
    node = found.value;
    best = rangeStart(found.key ?? found.value) ?? best;
  }
  return best;
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function child(doc: Document, node: unknown, segment: string | number): { key?: unknown; value: unknown } | undefined {
  if (isSeq(node) && typeof segment === "number") {
    const item: unknown = node.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  if (!isMap(node)) return undefined;
  const merged: unknown[] = [];
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if (key === "<<") merged.push(pair.value);
    else if (String(key) === String(segment)) return { key: pair.key, value: pair.value };
  }
  // A field that came in through a merge key lives in the merged mapping.
  for (const source of merged.flatMap((m) => (isSeq(m) ? m.items : [m]))) {
    const found = child(doc, resolve(doc, source), segment);
    if (found) return found;
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}
