// The running operator's memory is mostly the code it loads (issue 22): these packages must stay
// out of its static import graph. client-node's root and its config.js load every generated API
// class and model (35 MiB); TypeBox (4 MiB) builds the CRD schemas, which only `ecs-operator crds`
// and the compose converter need. Dynamic import() is how a module is loaded only when needed, so
// it is not followed.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { MANAGED_KINDS } from "../../src/api/names.js";
import { kinds } from "../../src/api/index.js";
import { repoRoot } from "../env/paths.js";

/** Specifiers a module loads when it is evaluated: `import`/`export ... from` that are not `import type`/`export type`. */
export function staticImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^;"']*?\sfrom\s+)?["']([^"']+)["']/gm)) out.push(m[1] ?? "");
  return out;
}

/** Every package specifier reachable from the entries through static imports of the project's own modules. */
function packagesReachedFrom(...entries: string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else if (!packages.has(spec)) packages.set(spec, file.slice(repoRoot.length + 1));
    }
  };
  for (const entry of entries) visit(join(repoRoot, entry));
  return packages;
}

describe("what the operator process loads", () => {
  it("reads import lines as Node does: type-only imports are not loaded, inline type specifiers are", () => {
    const source = ['import type { A } from "gone";', 'import { type B } from "kept-empty";', "import {\n  C,\n  D,\n} from \"multi\";", 'export { E } from "re";', 'export type { F } from "gone-too";', 'import "side";'].join("\n");
    expect(staticImports(source)).toEqual(["kept-empty", "multi", "re", "side"]);
  });

  it("does not statically import client-node's root or config.js, nor TypeBox", () => {
    // `run` loads the operator with a dynamic import once its flags are read (src/cli.ts).
    const packages = packagesReachedFrom("src/main.ts", "src/operator.ts");
    expect(packages.has("pino")).toBe(true);
    const forbidden = [...packages].filter(([spec]) => spec === "@kubernetes/client-node" || spec === "@kubernetes/client-node/dist/config.js" || spec.startsWith("@sinclair/typebox"));
    expect(forbidden).toEqual([]);
  });

  it("names the managed kinds (src/api/names.ts) as their definitions do, in their order", () => {
    expect(kinds.map(({ kind, plural }) => ({ kind, plural }))).toEqual(MANAGED_KINDS);
  });
});
