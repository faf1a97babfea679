import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  Watch,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { installCrds } from "../env/crds.js";

const stack = inject("stack");
const suffix = randomBytes(4).toString("hex");
const group = `smoke${suffix}.test.dev`;
const namespace = `smoke-${suffix}`;

const kc = new KubeConfig();
kc.loadFromFile(stack.kubeconfigPath);

const widgetCrd: V1CustomResourceDefinition = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { size: { type: "integer" } } },
              status: { type: "object", properties: { phase: { type: "string" } } },
            },
          },
        },
      },
    ],
  },
};

interface Widget {
  metadata: { name: string; resourceVersion?: string };
  spec: { size: number };
  status?: { phase?: string };
}

/**
 * A watch on a resource the server has just started serving can be refused with 429 while its
 * watch cache initialises, as on any real cluster; like every client, wait and try again.
 */
async function watchUntilEstablished(path: string, onEvent: (type: string, obj: Widget) => void): Promise<AbortController> {
  for (let attempt = 0; ; attempt++) {
    let failed: unknown;
    const controller = await new Watch(kc).watch(path, {}, onEvent, (err: unknown) => {
      failed = err;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (failed === undefined || failed === null) return controller;
    if (attempt >= 50) throw new Error(`watch on ${path} keeps failing: ${failed instanceof Error ? failed.message : JSON.stringify(failed)}`);
  }
}

describe("the real kube-apiserver", () => {
  beforeAll(async () => {
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    await installCrds(stack.kubeconfigPath, [widgetCrd]);
  });

  afterAll(async () => {
    await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
    await kc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name: `widgets.${group}` });
  });

  it("reports the version it was built at", async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    process.stdout.write(`kube-apiserver reports ${version.gitVersion}\n`);
    expect(version.gitVersion).toBe(stack.kubernetesVersion);
  });

  it("creates a custom object, watches it and patches its status subresource", async () => {
    const objects = kc.makeApiClient(CustomObjectsApi);
    const seen: { type: string; phase: string | undefined }[] = [];
    let sawPhase!: () => void;
    const phaseArrived = new Promise<void>((resolve) => (sawPhase = resolve));
    const watch = await watchUntilEstablished(`/apis/${group}/v1/namespaces/${namespace}/widgets`, (type: string, obj: Widget) => {
      seen.push({ type, phase: obj.status?.phase });
      if (obj.status?.phase === "Ready") sawPhase();
    });
    try {
      await objects.createNamespacedCustomObject({ group, version: "v1", namespace, plural: "widgets", body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "w1" }, spec: { size: 3 } } });
      // The status subresource ignores spec changes and the main resource ignores status: patch both
      // ways and check that each lands only where it belongs.
      await objects.patchNamespacedCustomObjectStatus(
        { group, version: "v1", namespace, plural: "widgets", name: "w1", body: { status: { phase: "Ready" }, spec: { size: 99 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await phaseArrived;
      const stored = (await objects.getNamespacedCustomObject({ group, version: "v1", namespace, plural: "widgets", name: "w1" })) as Widget;
      expect(stored.status?.phase).toBe("Ready");
      expect(stored.spec.size).toBe(3);
      expect(seen.map((e) => e.type)).toEqual(["ADDED", "MODIFIED"]);
    } finally {
      watch.abort();
    }
  });

  it("accepts a manifest through kubectl apply", () => {
    const dir = mkdtempSync(join(tmpdir(), "smoke-"));
    const manifest = join(dir, "cm.yaml");
    writeFileSync(manifest, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: ${namespace}\ndata:\n  hello: world\n`);
    const kubectl = (...args: string[]): string => execFileSync(stack.kubectl, ["--kubeconfig", stack.kubeconfigPath, ...args], { encoding: "utf8" });
    expect(kubectl("apply", "-f", manifest)).toContain("configmap/applied created");
    expect(kubectl("get", "configmap", "applied", "-n", namespace, "-o", "jsonpath={.data.hello}")).toBe("world");
    expect(kubectl("apply", "-f", manifest)).toContain("configmap/applied unchanged");
  });
});
