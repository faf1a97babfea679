import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dashboard } from "../../scripts/dashboard.js";
import { repoRoot } from "../env/paths.js";

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource: { uid: string } }[];
}

const committed = readFileSync(join(repoRoot, "charts/ecs-operator/dashboards/ecs-operator.json"), "utf8");
const model = JSON.parse(committed) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };
const panels = model.panels.filter((p) => p.type !== "row");

describe("the Grafana dashboard", () => {
  it("is the one scripts/dashboard.ts generates (`make crds` writes it)", () => {
    expect(committed).toBe(`${JSON.stringify(dashboard(), null, 2)}\n`);
  });

  it("covers what the issue asks for: readiness, reconciles, errors, latency, queue, AWS calls and throttles, leader, restarts, memory", () => {
    const exprs = panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? []).join("\n");
    for (const metric of [
      "ecs_operator_objects",
      "ecs_operator_reconcile_total",
      "ecs_operator_reconcile_errors_total",
      "ecs_operator_reconcile_duration_seconds_bucket",
      "ecs_operator_workqueue_depth",
      'outcome="throttled"',
      "ecs_operator_leader",
      "process_start_time_seconds",
      "ecs_operator_watch_restarts_total",
      "process_resident_memory_bytes",
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it("has unique ids, a description and a query on every panel, all on the chosen data source and job", () => {
    expect(new Set(model.panels.map((p) => p.id)).size).toBe(model.panels.length);
    expect(model.templating.list.map((v) => v.name)).toEqual(["datasource", "job", "namespace"]);
    for (const panel of panels) {
      expect(panel.description, panel.title).toBeTruthy();
      expect(panel.datasource?.uid, panel.title).toBe("${datasource}");
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource.uid).toBe("${datasource}");
        expect(target.expr, panel.title).toContain('job=~"$job"');
      }
    }
  });

  it("lays panels out on Grafana's 24-column grid without overlaps", () => {
    const cells = new Set<string>();
    for (const { gridPos, title } of model.panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `${title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });
});
