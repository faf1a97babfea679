import type { V1JSONSchemaProps } from "@kubernetes/client-node";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { crdFor, renderCrdFiles } from "../../src/api/crd.js";
import { crdKinds, kinds } from "../../src/api/index.js";
import { repoRoot } from "../env/paths.js";

describe("generated CRDs", () => {
  it.each(["crds", "charts/ecs-operator/crds"])("match the committed %s/ (run `make crds` after changing src/api)", (dir) => {
    const generated = renderCrdFiles(crdKinds);
    const committed = readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith(".yaml")).sort();
    expect(committed).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(readFileSync(join(repoRoot, dir, name), "utf8"), name).toBe(text);
  });

  it.each(crdKinds.map((k) => [k.kind, k] as const))("%s describes every field, for kubectl explain", (_kind, def) => {
    const undocumented: string[] = [];
    const walk = (schema: V1JSONSchemaProps, path: string): void => {
      if (path !== "" && !schema.description) undocumented.push(path);
      for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${name}`);
      if (schema.items && !Array.isArray(schema.items)) walk(schema.items as V1JSONSchemaProps, `${path}[]`);
    };
    const root = crdFor(def).spec.versions[0]?.schema?.openAPIV3Schema;
    for (const part of ["spec", "status"] as const) walk(root?.properties?.[part] ?? {}, part);
    expect(undocumented).toEqual([]);
  });

  it.each(kinds.map((k) => [k.kind, k] as const))("%s is in the ecs category with short names and a status subresource", (_kind, def) => {
    const crd = crdFor(def);
    expect(crd.spec.names.categories).toContain("ecs");
    expect(crd.spec.names.shortNames?.length).toBeGreaterThan(0);
    expect(crd.spec.versions[0]?.subresources?.status).toEqual({});
    expect(crd.spec.versions[0]?.additionalPrinterColumns?.map((c) => c.name)).toContain("Ready");
  });
});
