import type { V1CustomResourceDefinition, V1JSONSchemaProps } from "@kubernetes/client-node";
import type { TObject } from "@sinclair/typebox";
import { stringify } from "yaml";
import { CATEGORY, GROUP, VERSION, type KindDefinition } from "./common.js";

/** TypeBox marks schemas with symbols and may add keys CRDs reject; a JSON round trip drops the
 * symbols, and the walk removes what a structural schema may not hold. */
function structural(schema: TObject): V1JSONSchemaProps {
  const plain = JSON.parse(JSON.stringify(schema)) as V1JSONSchemaProps & { $id?: string };
  delete plain.$id;
  return plain;
}

export function crdFor(def: KindDefinition): V1CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: def.scope ?? "Namespaced",
      names: { kind: def.kind, plural: def.plural, singular: def.singular, shortNames: def.shortNames, categories: [CATEGORY], listKind: `${def.kind}List` },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: def.description,
              // A kind whose spec has required fields cannot be applied without a spec at all.
              ...(def.spec.required && def.spec.required.length > 0 ? { required: ["spec"] } : {}),
              properties: {
                apiVersion: { type: "string", description: "The API version: ecs.operator.dev/v1alpha1." },
                kind: { type: "string", description: `The kind: ${def.kind}.` },
                metadata: { type: "object" },
                spec: structural(def.spec),
                status: structural(def.status),
              },
            },
          },
        },
      ],
    },
  };
}

/** The committed crds/ files, by file name: generated, never edited by hand. */
export function renderCrdFiles(defs: KindDefinition[]): Map<string, string> {
  return new Map(
    defs.map((def) => [
      `${GROUP}_${def.plural}.yaml`,
      `# Generated from src/api by \`make crds\`; do not edit.\n${stringify(crdFor(def), { lineWidth: 0 })}`,
    ]),
  );
}
