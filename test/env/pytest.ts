// `make test-motion`: the ECS layer's own tests (test/motion, pytest) in the cached moto venv,
// which also holds pytest. No bytecode or pytest cache is written into the work tree.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureMotoVenv } from "./moto.js";
import { repoRoot } from "./paths.js";

const python = ensureMotoVenv((line) => process.stdout.write(`[test-motion] ${line}\n`));
const run = spawnSync(python, ["-m", "pytest", join(repoRoot, "test/motion"), "-q", "-p", "no:cacheprovider", ...process.argv.slice(2)], {
  cwd: repoRoot,
  stdio: "inherit",
  env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
});
process.exit(run.status ?? 1);
