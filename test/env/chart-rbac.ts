// The operator as the Helm chart deploys it, minus the Pod: the chart's ServiceAccount, Roles and
// RoleBindings installed with `helm install`, and the operator process authenticating with a token
// of that ServiceAccount. Tests that run the operator this way prove that the chart grants enough
// (everything reconciles) and nothing more (the token is refused outside the watched namespaces).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { startOperatorProcess, type OperatorProcess, type OperatorProcessOptions } from "./operator-process.js";
import { repoRoot } from "./paths.js";
import type { StackInfo } from "./stack.js";

/** An API server to install into, as an admin: the shared stack or a private control plane. */
export interface KubeTarget {
  kubeconfigPath: string;
  kubectl: string;
  helm: string;
}

export interface ChartRbac {
  release: string;
  /** Where the ServiceAccount and the leader Lease's Role live. */
  releaseNamespace: string;
  serviceAccount: string;
  namespaces: string[];
  /** A kubeconfig that authenticates as the chart's ServiceAccount (a bound token, not an admin). */
  kubeconfigPath: string;
}

const chart = join(repoRoot, "charts/ecs-operator");

export function helm(target: KubeTarget, args: string[]): string {
  const home = dirname(target.kubeconfigPath);
  return execFileSync(target.helm, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: target.kubeconfigPath, HELM_CACHE_HOME: join(home, "helm-cache"), HELM_CONFIG_HOME: join(home, "helm-config"), HELM_DATA_HOME: join(home, "helm-data") },
  });
}

function kubectlAs(kubectl: string, kubeconfigPath: string, args: string[]): string {
  return execFileSync(kubectl, ["--kubeconfig", kubeconfigPath, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `kubectl auth can-i` answers on stdout and exits 1 for "no". */
export function canI(kubectl: string, kubeconfigPath: string, args: string[]): boolean {
  try {
    return kubectlAs(kubectl, kubeconfigPath, ["auth", "can-i", ...args]).trim() === "yes";
  } catch (err) {
    return String((err as { stdout?: string }).stdout).trim() === "yes";
  }
}

/**
 * Installs the chart (namespaced Roles for `namespaces`, which must exist) into a release namespace
 * of its own and returns a kubeconfig for its ServiceAccount. `server` points that kubeconfig
 * elsewhere than the admin's (e.g. a TCP proxy in front of the API server, to cut its watches).
 */
export function installChartRbac(target: KubeTarget, opts: { namespaces: string[]; server?: string }): ChartRbac {
  const suffix = randomBytes(3).toString("hex");
  const release = `ecsop-${suffix}`;
  const releaseNamespace = `ecsop-${suffix}`;
  helm(target, [
    "install", release, chart,
    "--namespace", releaseNamespace, "--create-namespace", "--skip-crds", "--wait=false",
    "--set", `watchNamespaces={${opts.namespaces.join(",")}}`,
    "--set", "replicaCount=1",
  ]);
  const serviceAccount = `${release}-ecs-operator`;
  const token = kubectlAs(target.kubectl, target.kubeconfigPath, ["create", "token", serviceAccount, "-n", releaseNamespace, "--duration=6h"]).trim();
  // Checked on a direct connection: kubectl runs synchronously, so a relay in this process (the
  // `server` override) could not forward its requests meanwhile.
  const direct = tokenKubeconfig(target.kubeconfigPath, token, serviceAccount);
  const kubeconfigPath = opts.server ? tokenKubeconfig(target.kubeconfigPath, token, serviceAccount, opts.server) : direct;
  // RBAC really applies to this identity: the watched namespaces yes, any other no.
  const resource = "ecsclusters.ecs.operator.dev";
  for (const ns of opts.namespaces) {
    if (!canI(target.kubectl, direct, ["list", resource, "-n", ns])) throw new Error(`the chart's ServiceAccount cannot list ${resource} in ${ns}`);
  }
  if (canI(target.kubectl, direct, ["list", resource, "-n", "default"])) throw new Error("the chart's ServiceAccount can read a namespace it does not watch");
  // It patches (finalizers, through the main resource) but never deletes what users wrote.
  if (canI(target.kubectl, direct, ["delete", resource, "-n", opts.namespaces[0] ?? "default"])) throw new Error("the chart's ServiceAccount can delete objects");
  if (canI(target.kubectl, direct, ["get", "secrets", "-n", opts.namespaces[0] ?? "default"])) throw new Error("the chart's ServiceAccount can read secrets");
  return { release, releaseNamespace, serviceAccount, namespaces: opts.namespaces, kubeconfigPath };
}

/** The admin kubeconfig's cluster (CA, and server unless overridden) with a bearer token. */
function tokenKubeconfig(adminKubeconfig: string, token: string, name: string, server?: string): string {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`no cluster in ${adminKubeconfig}`);
  const path = join(mkdtempSync(join(tmpdir(), "kubeconfig-sa-")), name);
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: test, cluster: {server: "${server ?? cluster.server}", certificate-authority-data: ${cluster.caData ?? ""}}}]`,
      `users: [{name: ${name}, user: {token: ${token}}}]`,
      `contexts: [{name: ${name}, context: {cluster: test, user: ${name}}}]`,
      `current-context: ${name}`,
      "",
    ].join("\n"),
  );
  return path;
}

export interface OperatorUnderChartRbac {
  rbac: ChartRbac;
  /** Starts (or restarts) an operator process as the chart's ServiceAccount. */
  start(overrides?: Partial<OperatorProcessOptions>): Promise<OperatorProcess>;
}

/**
 * The chart's RBAC for `namespaces` and a way to run the operator under it, as every reliability
 * scenario does (promise 7, least privilege: never an admin token).
 */
export function operatorUnderChartRbac(
  stack: StackInfo,
  opts: Omit<OperatorProcessOptions, "kubeconfigPath" | "leaderElectionNamespace"> & { target?: KubeTarget; server?: string },
): OperatorUnderChartRbac {
  const { target, server, ...processOptions } = opts;
  const rbac = installChartRbac(target ?? stack, { namespaces: processOptions.namespaces, ...(server ? { server } : {}) });
  return {
    rbac,
    start: (overrides = {}) =>
      startOperatorProcess(stack, { ...processOptions, kubeconfigPath: rbac.kubeconfigPath, leaderElectionNamespace: rbac.releaseNamespace, ...overrides }),
  };
}
