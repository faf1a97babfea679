import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { repoRoot } from "./paths.js";

export const CHART = join(repoRoot, "charts/ecs-operator");
export const DASHBOARD_FILE = join(CHART, "dashboards/ecs-operator.json");
export const ALERT_TESTS_FILE = join(repoRoot, "test/prometheus/alerts.test.yaml");

export interface RuleGroup {
  name: string;
  rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}

/**
 * The chart's alerting rules as Prometheus loads them (the PrometheusRule's spec.groups), rendered by
 * `helm template` with the release name and namespace the rule tests expect, plus `args`.
 */
export function renderRuleGroups(helm: string, args: string[] = [], release = "ecs-operator", namespace = "ecs-operator"): RuleGroup[] {
  const out = execFileSync(helm, ["template", release, CHART, "--namespace", namespace, "--set", "metrics.prometheusRule.enabled=true", "--show-only", "templates/prometheusrule.yaml", ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const doc = parseAllDocuments(out).map((d) => d.toJS() as { kind?: string; spec?: { groups: RuleGroup[] } } | null).find((d) => d?.kind === "PrometheusRule");
  if (!doc?.spec) throw new Error("helm template rendered no PrometheusRule");
  return doc.spec.groups;
}

/** Writes rule groups as a Prometheus rule file into a fresh directory; returns its path. */
export function writeRuleFile(groups: RuleGroup[], dir = mkdtempSync(join(tmpdir(), "ecs-operator-rules-"))): string {
  const path = join(dir, "rules.yaml");
  writeFileSync(path, stringify({ groups }, { lineWidth: 0 }));
  return path;
}

export interface PromtoolResult {
  status: number | null;
  output: string;
}

export function promtool(binary: string, args: string[], cwd?: string): PromtoolResult {
  const run = spawnSync(binary, args, { encoding: "utf8", cwd });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** `promtool test rules` of test/prometheus/alerts.test.yaml against `groups`, which it reads as rules.yaml. */
export function testAlerts(binary: string, groups: RuleGroup[]): PromtoolResult {
  const dir = mkdtempSync(join(tmpdir(), "ecs-operator-alert-tests-"));
  writeRuleFile(groups, dir);
  copyFileSync(ALERT_TESTS_FILE, join(dir, "alerts.test.yaml"));
  return promtool(binary, ["test", "rules", "alerts.test.yaml"], dir);
}
