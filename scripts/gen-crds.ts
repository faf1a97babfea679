// `make crds`: writes crds/ and the Helm chart's copy from the schemas in src/api.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCrdFiles } from "../src/api/crd.js";
import { crdKinds } from "../src/api/index.js";
import { repoRoot } from "../test/env/paths.js";

const files = renderCrdFiles(crdKinds);
for (const target of ["crds", "charts/ecs-operator/crds"]) {
  const dir = join(repoRoot, target);
  mkdirSync(dir, { recursive: true });
  for (const stale of readdirSync(dir).filter((name) => name.endsWith(".yaml") && !files.has(name))) rmSync(join(dir, stale));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${files.size} CRDs to ${target}/\n`);
}
