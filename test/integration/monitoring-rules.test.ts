import { readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { ensurePrometheusBinaries } from "../env/prometheus-build.js";
import { ALERT_TESTS_FILE, promtool, renderRuleGroups, testAlerts, writeRuleFile } from "../env/monitoring.js";

const stack = inject("stack");
const { promtool: promtoolBinary } = ensurePrometheusBinaries();
const ALERTS = ["EcsOperatorObjectsNotReady", "EcsOperatorReconcileErrors", "EcsOperatorAwsThrottling", "EcsOperatorNoLeader", "EcsOperatorWatchRestarts"];

describe("the chart's alerting rules, with promtool", () => {
  const groups = renderRuleGroups(stack.helm);

  it("are valid rules (promtool check rules) and exactly the alerts the tests cover", () => {
    const check = promtool(promtoolBinary, ["check", "rules", writeRuleFile(groups)]);
    expect(check.output).toContain(`SUCCESS: ${ALERTS.length} rules found`);
    expect(check.status).toBe(0);
    expect(groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual(ALERTS);
    // Every alert has a unit test that expects it to fire, and one that expects it not to.
    const tests = parse(readFileSync(ALERT_TESTS_FILE, "utf8")) as { tests: { alert_rule_test: { alertname: string; exp_alerts?: unknown[] }[] }[] };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const alert of ALERTS) {
      expect(cases.some((c) => c.alertname === alert && (c.exp_alerts?.length ?? 0) > 0), `${alert} fires in some test`).toBe(true);
      expect(cases.some((c) => c.alertname === alert && (c.exp_alerts?.length ?? 0) === 0), `${alert} stays quiet in some test`).toBe(true);
    }
  });

  it("say which kind and which kubectl command to run", () => {
    for (const rule of groups.flatMap((g) => g.rules)) {
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toMatch(/Look: kubectl /);
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
    }
  });

  it("pass their unit tests (promtool test rules test/prometheus/alerts.test.yaml)", () => {
    const result = testAlerts(promtoolBinary, groups);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it.each([
    ["notReady.for", ["--set", "metrics.prometheusRule.notReady.for=5m"]],
    ["reconcileErrors.ratio", ["--set-json", "metrics.prometheusRule.reconcileErrors.ratio=0.6"]],
    ["awsThrottling.ratio", ["--set-json", "metrics.prometheusRule.awsThrottling.ratio=0.4"]],
    ["noLeader.for", ["--set", "metrics.prometheusRule.noLeader.for=1m"]],
    ["watchRestarts.per15m", ["--set", "metrics.prometheusRule.watchRestarts.per15m=20"]],
  ])("would catch a change of %s: the unit tests fail against rules rendered with it", (_value, args) => {
    const result = testAlerts(promtoolBinary, renderRuleGroups(stack.helm, args));
    expect(result.status).toBe(1);
    expect(result.output).toContain("FAILED");
  });
});
