// The V8 flags the image runs the operator with are part of what ships: the bench starts the
// operator with exactly the Dockerfile ENTRYPOINT's flags, and each is explained in the Dockerfile
// and named in the chart's values, where operators of the chart look for them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { shippedNodeFlags } from "../../bench/operator.js";
import { repoRoot } from "../env/paths.js";

const read = (path: string): string => readFileSync(join(repoRoot, path), "utf8");

describe("the image's Node.js flags", () => {
  it("are read from the ENTRYPOINT, between node and the script", () => {
    expect(shippedNodeFlags('FROM x\nENTRYPOINT ["node", "--a=1", "--no-b", "/app/dist/src/main.js"]\nCMD ["run"]\n')).toEqual(["--a=1", "--no-b"]);
    expect(() => shippedNodeFlags('ENTRYPOINT ["/app/dist/src/main.js"]\n')).toThrow(/unexpected ENTRYPOINT/);
    expect(() => shippedNodeFlags("CMD node main.js\n")).toThrow(/no ENTRYPOINT/);
  });

  it("are each explained in the Dockerfile and named in the chart's values", () => {
    const flags = shippedNodeFlags();
    expect(flags.length).toBeGreaterThan(0);
    const dockerfile = read("Dockerfile");
    const values = read("charts/ecs-operator/values.yaml");
    for (const flag of flags) {
      expect(dockerfile).toMatch(new RegExp(`^#\\s+${flag.replace(/[-=]/g, "\\$&")}\\s+\\S`, "m"));
      expect(values).toContain(flag);
    }
  });
});
