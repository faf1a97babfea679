import { describe, expect, it } from "vitest";
import { derivedAwsName } from "../../src/aws/names.js";
import { desiredTags, ownershipOf, tagDiff, UID_TAG } from "../../src/aws/tags.js";

const ecsRules = { maxLength: 255, invalid: /[^a-zA-Z0-9_-]/g, separator: "_" };
const tgRules = { maxLength: 32, invalid: /[^a-zA-Z0-9-]/g, separator: "-" };

describe("derivedAwsName", () => {
  it("is namespace_name when that is valid", () => {
    expect(derivedAwsName("team-a", "web", ecsRules)).toBe("team-a_web");
  });

  it("does not collide where a plain join would", () => {
    // "a-b" + "c" and "a" + "b-c" join to the same string with a hyphen separator.
    expect(derivedAwsName("a-b", "c", tgRules)).not.toBe(derivedAwsName("a", "b-c", tgRules));
  });

  it("replaces invalid characters and stays within the length limit, stably", () => {
    const name = derivedAwsName("a-very-long-namespace-name", "my.service.with.dots", tgRules);
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name).toMatch(/^[a-zA-Z0-9-]+$/);
    expect(derivedAwsName("a-very-long-namespace-name", "my.service.with.dots", tgRules)).toBe(name);
  });
});

describe("ownership tags", () => {
  const owner = { kind: "EcsCluster", namespace: "ns", name: "c", uid: "uid-1" };

  it("tells ours, unowned and foreign apart by the uid tag", () => {
    expect(ownershipOf(desiredTags(owner, {}), "uid-1")).toBe("ours");
    expect(ownershipOf({ team: "x" }, "uid-1")).toBe("unowned");
    expect(ownershipOf({ [UID_TAG]: "uid-2" }, "uid-1")).toBe("foreign");
  });

  it("lets the ownership tags win over user tags of the same key", () => {
    expect(desiredTags(owner, { [UID_TAG]: "spoofed" })[UID_TAG]).toBe("uid-1");
  });

  it("sets changed tags and removes extra ones, but never aws: tags", () => {
    const diff = tagDiff({ a: "1", b: "2", "aws:cloudformation:stack-name": "s" }, { a: "1", b: "3", c: "4" });
    expect(diff).toEqual({ set: { b: "3", c: "4" }, remove: [] });
    expect(tagDiff({ a: "1", extra: "x" }, { a: "1" })).toEqual({ set: {}, remove: ["extra"] });
  });
});
