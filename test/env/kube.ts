import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { GROUP, VERSION } from "../../src/api/common.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import type { StackInfo } from "./stack.js";

export function kubeConfigFor(stack: StackInfo, path = stack.kubeconfigPath): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** A namespace of its own for a test, so test files run in parallel on one API server. */
export async function createTestNamespace(stack: StackInfo, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubeConfigFor(stack).makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export function kubectl(stack: StackInfo, args: string[], input?: string): string {
  return execFileSync(stack.kubectl, ["--kubeconfig", stack.kubeconfigPath, ...args], { encoding: "utf8", ...(input !== undefined ? { input } : {}), stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs kubectl expecting failure; returns its stderr. */
export function kubectlFails(stack: StackInfo, args: string[], input?: string): string {
  try {
    kubectl(stack, args, input);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`kubectl ${args.join(" ")} succeeded but was expected to fail`);
}

export function apply(stack: StackInfo, manifest: string): string {
  return kubectl(stack, ["apply", "-f", "-"], manifest);
}

export async function getObject<T extends ManagedObject>(stack: StackInfo, plural: string, namespace: string, name: string): Promise<T | undefined> {
  const api = kubeConfigFor(stack).makeApiClient(CustomObjectsApi);
  try {
    return (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, name })) as T;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await sleep(200);
  }
}

/** Waits until the object's condition has the status (and reason, if given) for its current generation. */
export async function waitForCondition<T extends ManagedObject>(
  stack: StackInfo,
  plural: string,
  namespace: string,
  name: string,
  want: { type: string; status: "True" | "False"; reason?: string },
  timeoutMs = 30_000,
): Promise<T> {
  return waitFor(`${plural} ${namespace}/${name} ${want.type}=${want.status}${want.reason ? ` (${want.reason})` : ""}`, async () => {
    const obj = await getObject<T>(stack, plural, namespace, name);
    const condition = obj?.status?.conditions?.find((c) => c.type === want.type);
    const matches = condition?.status === want.status && (want.reason === undefined || condition.reason === want.reason) && obj?.status?.observedGeneration === obj?.metadata.generation;
    return matches ? obj : undefined;
  }, timeoutMs);
}

export async function eventsFor(stack: StackInfo, namespace: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await kubeConfigFor(stack).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => ({ reason: e.reason ?? "", message: e.message ?? "", type: e.type ?? "" }));
}

/** A kubeconfig for the test API server that authenticates with `token` (e.g. a ServiceAccount's). */
export function kubeconfigWithToken(stack: StackInfo, token: string, name: string): string {
  const kc = kubeConfigFor(stack);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("no cluster in the test kubeconfig");
  const path = join(mkdtempSync(join(tmpdir(), "kubeconfig-")), name);
  const ca = cluster.caData ?? "";
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: test, cluster: {server: "${cluster.server}", certificate-authority-data: ${ca}}}]`,
      `users: [{name: ${name}, user: {token: ${token}}}]`,
      `contexts: [{name: ${name}, context: {cluster: test, user: ${name}}}]`,
      `current-context: ${name}`,
      "",
    ].join("\n"),
  );
  return path;
}
