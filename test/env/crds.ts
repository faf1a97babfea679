import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, loadAllYaml, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export function loadCrdFiles(dir: string): V1CustomResourceDefinition[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch {
    return [];
  }
  // Through client-node's serializer, whose models spell the schema extensions x_kubernetes_*:
  // plain parsed YAML would reach the API server without them (no CEL rules, no int-or-string).
  return names.flatMap((name) =>
    (loadAllYaml(readFileSync(join(dir, name), "utf8")) as (V1CustomResourceDefinition | null)[]).filter(
      (doc): doc is V1CustomResourceDefinition => doc?.kind === "CustomResourceDefinition",
    ),
  );
}

/**
 * Creates or replaces the CRDs and returns only when the API server serves them: Established is
 * not enough, since discovery (what kubectl and clients read) catches up a moment later.
 */
export async function installCrds(kubeconfigPath: string, crds: V1CustomResourceDefinition[], timeoutMs = 60_000): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const name = crd.metadata?.name ?? "";
    try {
      const existing = await api.readCustomResourceDefinition({ name });
      const body = structuredClone(crd);
      body.metadata = { name, resourceVersion: existing.metadata?.resourceVersion };
      await api.replaceCustomResourceDefinition({ name, body });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await api.createCustomResourceDefinition({ body: crd });
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const { group, names, versions } = crd.spec;
    const served = versions.filter((v) => v.served).map((v) => v.name);
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name: crd.metadata?.name ?? "" });
      const established = current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      if (established && (await discoveryServes(kc, group, served, names.plural))) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata?.name ?? ""} not served after ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

async function discoveryServes(kc: KubeConfig, group: string, versions: string[], plural: string): Promise<boolean> {
  const api = kc.makeApiClient(CustomObjectsApi);
  for (const version of versions) {
    const list = await api.getAPIResources({ group, version }).catch(() => null);
    if (!list?.resources.some((r) => r.name === plural)) return false;
  }
  return true;
}
