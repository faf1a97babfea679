// Everything a kind touches outside its own folder (docs/adding-a-kind.md), checked for every
// kind, so that a new kind missing one of them fails here rather than in a user's cluster.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { kinds } from "../../src/api/index.js";
import { registrations } from "../../src/controllers/index.js";
import { repoRoot } from "../env/paths.js";

const read = (path: string): string => readFileSync(join(repoRoot, path), "utf8");

describe.each(kinds.map((k) => [k.kind, k] as const))("kind %s", (kind, definition) => {
  it("has a registration with a driver", () => {
    expect(registrations.map((r) => r.definition.kind)).toContain(kind);
  });

  it("is in the chart's RBAC: the resource, its status and its finalizers", () => {
    const helpers = read("charts/ecs-operator/templates/_helpers.tpl");
    for (const resource of [definition.plural, `${definition.plural}/status`, `${definition.plural}/finalizers`]) expect(helpers).toMatch(new RegExp(`[\\[ ,]${resource}[\\], ]`));
  });

  it("is in the design contract's table, the README's table, and has an example", () => {
    expect(read("docs/design.md")).toContain(`| \`${kind}\``);
    expect(read("README.md")).toContain(`| \`${kind}\``);
    const examples = readdirSync(join(repoRoot, "examples"))
      .filter((f) => f.endsWith(".yaml"))
      .flatMap((f) => parseAllDocuments(read(join("examples", f))).map((d) => (d.toJS() as { kind?: string } | null)?.kind));
    expect(examples).toContain(kind);
  });

  it("has an Argo CD health check", () => {
    expect(read("docs/argocd/argocd-cm.yaml")).toContain(`resource.customizations.health.ecs.operator.dev_${kind}:`);
  });
});
