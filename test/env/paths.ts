import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Heavy artefacts (Go builds, the moto venv, kubectl/helm) live outside the repo so a fresh clone
 * reuses them and `git clean` does not throw them away. */
export function cacheDir(...parts: string[]): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  const dir = join(base, "ecs-operator", ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A short content hash of a directory's files, so a cache entry is rebuilt when its recipe changes. */
export function hashTree(root: string, include: (path: string) => boolean = () => true): string {
  const hash = createHash("sha256");
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
      } else if (include(path)) {
        hash.update(relative(root, path)).update("\0").update(readFileSync(path)).update("\0");
      }
    }
  };
  walk(root);
  return hash.digest("hex").slice(0, 12);
}

/**
 * Fills cache entry `dir` once: `build` writes into a private staging directory that is renamed
 * into place only when complete, so an interrupted build never looks finished. When two runs
 * build at once, the first rename wins and the other discards its copy.
 */
export function buildOnce(dir: string, complete: (dir: string) => boolean, build: (staging: string) => void): void {
  if (complete(dir)) return;
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    build(staging);
    if (complete(dir)) return;
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
