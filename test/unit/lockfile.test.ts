import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  resolved?: string;
}

const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as { lockfileVersion: number; packages: Record<string, LockEntry> };
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as LockEntry;

/** Where Node would find `name` from the package at `from`: its own node_modules, then each parent's. */
function lookup(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf("/node_modules/");
    base = i < 0 ? "" : base.slice(0, i);
  }
}

// `npm ci` with npm 11 refuses a lock that lacks another platform's optional package (rollup's and
// esbuild's native builds): every platform's must be recorded, whichever machine wrote the lock.
describe("package-lock.json", () => {
  it("records every platform's optional packages", () => {
    const optionals = Object.entries(lock.packages).flatMap(([path, entry]) => Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ path, name })));
    expect(optionals.length).toBeGreaterThan(40);
    expect(optionals.filter(({ path, name }) => lookup(path, name) === undefined).map(({ path, name }) => `${path || "(root)"} -> ${name}`)).toEqual([]);
  });

  it("is in step with package.json", () => {
    const root = lock.packages[""];
    expect(lock.lockfileVersion).toBe(3);
    expect(root?.dependencies).toEqual(pkg.dependencies);
    expect(root?.devDependencies).toEqual(pkg.devDependencies);
  });

  it("names no registry (npm ci takes the configured one; .npmrc keeps it so)", () => {
    expect(Object.entries(lock.packages).filter(([, e]) => e.resolved !== undefined).map(([path]) => path)).toEqual([]);
  });
});
