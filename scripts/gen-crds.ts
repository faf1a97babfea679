// `make crds`: writes crds/ (and the Helm chart's copy, once it exists) from the schemas in src/api.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCrdFiles } from "../src/api/crd.js";
import { kinds } from "../src/api/index.js";
import { repoRoot } from "../test/env/paths.js";

const dir = join(repoRoot, "crds");
mkdirSync(dir, { recursive: true });
const files = renderCrdFiles(kinds);
for (const stale of readdirSync(dir).filter((name) => name.endsWith(".yaml") && !files.has(name))) rmSync(join(dir, stale));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
process.stdout.write(`wrote ${files.size} CRDs to crds/\n`);
