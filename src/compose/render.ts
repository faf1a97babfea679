import { Document, type ToStringOptions } from "yaml";
import type { Manifest } from "./names.js";

/** Long commands and descriptions stay on one line each. */
const OUTPUT: ToStringOptions = { lineWidth: 0 };

/**
 * Written as YAML 1.1, which is what kubectl reads: there yes, on, 0777 and 12:30 are not strings,
 * so the 1.1 writer quotes such strings and an environment value "on" stays a string. Repeated
 * objects are written out rather than as aliases, which some tools refuse.
 */
function document(manifest: Manifest, comment?: string): Document {
  const doc = new Document(manifest, { version: "1.1", aliasDuplicateObjects: false });
  if (comment !== undefined) doc.commentBefore = comment;
  return doc;
}

/** All manifests as one multi-document YAML stream, for `kubectl apply -f -`. */
export function renderManifests(manifests: Manifest[], header?: string): string {
  return manifests.map((m, i) => document(m, i === 0 ? header : undefined).toString(OUTPUT)).join("---\n");
}

export function renderManifest(manifest: Manifest, header?: string): string {
  return document(manifest, header).toString(OUTPUT);
}

/** One file per object in an output directory: kind and name, which are unique together. */
export function manifestFileName(manifest: Manifest): string {
  return `${manifest.kind.toLowerCase()}-${manifest.metadata.name}.yaml`;
}
