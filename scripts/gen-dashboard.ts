// Writes charts/ecs-operator/dashboards/ecs-operator.json from scripts/dashboard.ts (`make crds`).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../test/env/paths.js";
import { dashboard } from "./dashboard.js";

const DASHBOARD_FILE = join(repoRoot, "charts/ecs-operator/dashboards/ecs-operator.json");

writeFileSync(DASHBOARD_FILE, `${JSON.stringify(dashboard(), null, 2)}\n`);
