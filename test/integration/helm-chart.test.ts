import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ratesFrom } from "../../src/aws/rate-limits.js";
import { uniqueAccountId } from "../env/aws.js";
import { apply, createTestNamespace, kubeconfigWithToken, kubectl, waitForCondition } from "../env/kube.js";
import { startOperatorProcess, type OperatorProcess } from "../env/operator-process.js";
import { repoRoot } from "../env/paths.js";

const stack = inject("stack");
const chart = join(repoRoot, "charts/ecs-operator");

function helm(args: string[]): string {
  return execFileSync(stack.helm, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, KUBECONFIG: stack.kubeconfigPath, HELM_CACHE_HOME: join(stack.kubeconfigPath, "..", "helm-cache"), HELM_CONFIG_HOME: join(stack.kubeconfigPath, "..", "helm-config"), HELM_DATA_HOME: join(stack.kubeconfigPath, "..", "helm-data") } });
}

function helmFails(args: string[]): string {
  try {
    helm(args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr);
  }
  throw new Error(`helm ${args.join(" ")} succeeded but was expected to fail`);
}

interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  rules?: unknown[];
}

function render(args: string[] = []): Rendered[] {
  return parseAllDocuments(helm(["template", "release", chart, "--namespace", "ops", ...args]))
    .map((d) => d.toJS() as Rendered | null)
    .filter((d): d is Rendered => d !== null);
}

describe("the Helm chart", () => {
  it("passes helm lint", () => {
    expect(helm(["lint", chart])).toContain("0 chart(s) failed");
  });

  it("renders with default values: two replicas, a ClusterRole, a locked-down container", () => {
    const docs = render();
    const deployment = docs.find((d) => d.kind === "Deployment");
    const pod = (deployment?.spec as { replicas: number; template: { spec: { securityContext: Record<string, unknown>; containers: { securityContext: Record<string, unknown>; env: { name: string; value?: string }[] }[] } } });
    expect(pod.replicas).toBe(2);
    expect(pod.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.template.spec.containers[0]?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(pod.template.spec.containers[0]?.env).toContainEqual({ name: "ECS_OPERATOR_LEADER_ELECTION", value: "true" });
    expect(docs.map((d) => d.kind).sort()).toEqual(["ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding", "Deployment", "Role", "RoleBinding", "Service", "ServiceAccount"]);
  });

  it("renders tricky values: namespaced Roles per watched namespace, a ServiceMonitor, IRSA, an endpoint", () => {
    const docs = render([
      "--set", "watchNamespaces={team-a,team-b}",
      "--set", "metrics.serviceMonitor.enabled=true",
      "--set", "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/ecs-operator",
      "--set", "aws.endpoint=http://localstack:4566",
      "--set", "leaderElection.enabled=false",
      "--set", "replicaCount=1",
      "--set", "aws.rateOverrides.ecs:taskdefinition-modify.ratePerSecond=5",
      "--set", "aws.rateOverrides.ecs:taskdefinition-modify.burst=20",
    ]);
    expect(docs.filter((d) => d.kind === "Role").map((d) => d.metadata.namespace).sort()).toEqual(["team-a", "team-b"]);
    // At cluster scope only the grants: read AwsAccounts (and write their status) and namespaces.
    const clusterRoles = docs.filter((d) => d.kind === "ClusterRole") as unknown as { rules: { resources: string[]; verbs: string[] }[] }[];
    expect(clusterRoles).toHaveLength(1);
    expect(clusterRoles[0]?.rules.map((r) => [r.resources, r.verbs])).toEqual([
      [["awsaccounts"], ["get", "list", "watch"]],
      [["awsaccounts/status"], ["get", "patch", "update"]],
      [["namespaces"], ["get", "list", "watch"]],
    ]);
    expect(docs.some((d) => d.kind === "ServiceMonitor")).toBe(true);
    expect(JSON.stringify(docs.find((d) => d.kind === "ServiceAccount"))).toContain("role/ecs-operator");
    expect(JSON.stringify(docs.find((d) => d.kind === "Deployment"))).toContain("http://localstack:4566");
    const env = (docs.find((d) => d.kind === "Deployment")?.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }).template.spec.containers[0]?.env ?? [];
    const rates = env.find((e) => e.name === "ECS_OPERATOR_AWS_RATES")?.value;
    expect(JSON.parse(rates ?? "null")).toEqual({ "ecs:taskdefinition-modify": { ratePerSecond: 5, burst: 20 } });
    // The operator reads it with the same parser it uses at start-up.
    expect(ratesFrom(rates)["ecs:taskdefinition-modify"]).toEqual({ ratePerSecond: 5, burst: 20 });
  });

  it("passes helm lint with the dashboard and the alerts enabled", () => {
    expect(helm(["lint", chart, "--set", "metrics.grafanaDashboard.enabled=true", "--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.serviceMonitor.enabled=true"])).toContain("0 chart(s) failed");
  });

  it("renders the Grafana dashboard ConfigMap for the sidecar and the PrometheusRule when enabled", () => {
    const docs = render([
      "--set", "metrics.grafanaDashboard.enabled=true",
      "--set", "metrics.grafanaDashboard.namespace=monitoring",
      "--set", "metrics.grafanaDashboard.annotations.grafana_folder=Platform",
      "--set", "metrics.prometheusRule.enabled=true",
      "--set", "metrics.prometheusRule.labels.release=kube-prometheus-stack",
      "--set", "metrics.prometheusRule.notReady.for=30m",
      "--set", "metrics.serviceMonitor.enabled=true",
    ]);
    const dashboard = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "release-ecs-operator-dashboard");
    expect(dashboard?.metadata.namespace).toBe("monitoring");
    expect(dashboard?.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
    expect(dashboard?.metadata.annotations).toEqual({ grafana_folder: "Platform" });
    // The JSON in the repo, byte for byte: the chart keeps it in one place.
    expect(dashboard?.data?.["ecs-operator.json"]).toBe(readFileSync(join(chart, "dashboards/ecs-operator.json"), "utf8"));

    const rule = docs.find((d) => d.kind === "PrometheusRule");
    expect(rule?.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    const rules = (rule?.spec as { groups: { rules: { alert: string; expr: string; for: string }[] }[] }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(["EcsOperatorObjectsNotReady", "EcsOperatorReconcileErrors", "EcsOperatorAwsThrottling", "EcsOperatorNoLeader", "EcsOperatorWatchRestarts"]);
    expect(rules.find((r) => r.alert === "EcsOperatorObjectsNotReady")?.for).toBe("30m");
    // By default the rules select the series the ServiceMonitor's scrape labels job=<Service name>.
    const service = docs.find((d) => d.kind === "Service");
    for (const r of rules) expect(r.expr).toContain(`job="${service?.metadata.name ?? "?"}"`);
    const monitor = docs.find((d) => d.kind === "ServiceMonitor");
    expect((monitor?.spec as { endpoints: { honorLabels?: boolean }[] }).endpoints[0]?.honorLabels).toBe(true);

    const custom = render(["--set", "metrics.prometheusRule.enabled=true", "--set", 'metrics.prometheusRule.selector=job="ops"']).find((d) => d.kind === "PrometheusRule");
    expect(JSON.stringify(custom?.spec)).toContain('ecs_operator_objects{job=\\"ops\\", condition=\\"Ready\\"');
  });

  it.each([
    [["--set", "logLevel=loud"], "logLevel"],
    [["--set", "workers=0"], "workers"],
    [["--set", "aws.region=Mars"], "region"],
    [["--set", "defaultDeletionPolicy=Orphan"], "defaultDeletionPolicy"],
    [["--set", "watchNamespaces={Not_A_Namespace}"], "watchNamespaces"],
    [["--set", "typo=1"], "typo"],
    [["--set", "aws.rateOverrides.ecs:service-modify.ratePerSecond=0"], "rateOverrides"],
    [["--set", "metrics.prometheusRule.notReady.for=soon"], "notReady"],
    [["--set-json", "metrics.prometheusRule.reconcileErrors.ratio=2"], "ratio"],
    [["--set", "metrics.grafanaDashboard.namespace=Not_A_Namespace"], "namespace"],
  ])("refuses bad values %j through values.schema.json", (args, field) => {
    const stderr = helmFails(["template", "release", chart, ...args]);
    expect(stderr).toMatch(/schema/i);
    expect(stderr).toContain(field);
  });
});

describe("the chart installed into the real kube-apiserver", () => {
  let opsNamespace: string;
  let appNamespace: string;
  let operator: OperatorProcess | undefined;
  const release = `ecsop-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    opsNamespace = await createTestNamespace(stack, "ops");
    appNamespace = await createTestNamespace(stack, "app");
  });

  afterAll(async () => {
    await operator?.stop();
  });

  it("installs: every object accepted by the API server", () => {
    // The shared test API server already serves the CRDs (installed from crds/, which a unit test
    // keeps equal to the chart's crds/); Helm would fight that installer's field ownership.
    const out = helm(["install", release, chart, "--namespace", opsNamespace, "--set", `watchNamespaces={${appNamespace}}`, "--skip-crds", "--wait=false"]);
    expect(out).toContain("STATUS: deployed");
    expect(out).toContain("Check that it works");
    expect(kubectl(stack, ["get", "deployment", "-n", opsNamespace, "-o", "name"])).toContain(`deployment.apps/${release}-ecs-operator`);
    expect(kubectl(stack, ["get", "role", "-n", appNamespace, "-o", "name"])).toContain(release);
  });

  it("grants enough: the operator running as the chart's ServiceAccount (not an admin) reconciles", async () => {
    const serviceAccount = `${release}-ecs-operator`;
    const token = kubectl(stack, ["create", "token", serviceAccount, "-n", opsNamespace, "--duration=1h"]).trim();
    const kubeconfigPath = kubeconfigWithToken(stack, token, "chart-sa");
    // The chart's identity cannot read other namespaces: RBAC really applies to this token.
    const canI = (namespace: string): string => {
      // `auth can-i` answers on stdout and exits 1 for "no".
      try {
        return execFileSync(stack.kubectl, ["--kubeconfig", kubeconfigPath, "auth", "can-i", "list", "ecsclusters.ecs.operator.dev", "-n", namespace], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      } catch (err) {
        return String((err as { stdout?: string }).stdout).trim();
      }
    };
    expect(canI("default")).toBe("no");
    expect(canI(appNamespace)).toBe("yes");
    operator = await startOperatorProcess(stack, {
      accountId: uniqueAccountId(),
      namespaces: [appNamespace],
      kubeconfigPath,
      leaderElection: true,
      leaderElectionNamespace: opsNamespace,
      leaseName: "ecs-operator-leader",
      resyncSeconds: 5,
    });
    apply(stack, JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace: appNamespace }, spec: {} }));
    await waitForCondition(stack, "ecsclusters", appNamespace, "main", { type: "Ready", status: "True" });
    const events = kubectl(stack, ["get", "events", "-n", appNamespace, "-o", "jsonpath={.items[*].reason}"]);
    expect(events).toContain("Created");
    expect(operator.output()).not.toMatch(/forbidden/i);
  });
});
