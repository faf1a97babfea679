import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REASONS } from "../../src/controllers/reasons.js";
import { repoRoot } from "../env/paths.js";

describe("condition reasons", () => {
  it("are CamelCase and each documented in docs/design.md", () => {
    const design = readFileSync(join(repoRoot, "docs/design.md"), "utf8");
    expect(REASONS.filter((r) => !/^[A-Z][A-Za-z]+$/.test(r))).toEqual([]);
    expect(REASONS.filter((r) => !design.includes(`\`${r}\``))).toEqual([]);
  });
});
