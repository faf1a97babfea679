import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildOnce, cacheDir, hashTree, repoRoot } from "./paths.js";

const moduleDir = join(repoRoot, "test/env/prometheus");

export interface PrometheusBinaries {
  /** The Prometheus release, e.g. 3.16.0. */
  version: string;
  prometheus: string;
  promtool: string;
  /** Runs a program tied to its launcher (test/env/prometheus/cmd/tied). */
  tied: string;
}

/** The Prometheus release the tests use, read from the wrapper module so that go.mod stays the one
 * place it is pinned. Prometheus 3.x.y is published to the module proxy as v0.3xx.y. */
export function prometheusVersion(): { module: string; release: string } {
  const match = /github\.com\/prometheus\/prometheus (v0\.(\d)(\d\d)\.(\d+))/.exec(readFileSync(join(moduleDir, "go.mod"), "utf8"));
  if (!match?.[1]) throw new Error("github.com/prometheus/prometheus is not required in test/env/prometheus/go.mod");
  return { module: match[1], release: `${match[2] ?? ""}.${Number(match[3])}.${match[4] ?? ""}` };
}

/**
 * Builds prometheus and promtool once per version (and per change of the wrapper module) into the
 * user cache, like the control plane. With the tag remove_all_sd only static, file and HTTP service
 * discovery are compiled in, which is all the tests use and a third less to build. A cold build
 * takes about five minutes on two cores; later runs find the binaries at once.
 */
export function ensurePrometheusBinaries(log: (line: string) => void = () => undefined): PrometheusBinaries {
  const { module, release } = prometheusVersion();
  const key = `${release}-${hashTree(moduleDir, (path) => /\.(go|mod|sum)$/.test(path))}`;
  const dir = join(cacheDir("prometheus"), key);
  const binaries = { version: release, prometheus: join(dir, "prometheus"), promtool: join(dir, "promtool"), tied: join(dir, "tied") };
  const complete = (d: string): boolean => ["prometheus", "promtool", "tied"].every((name) => existsSync(join(d, name)));
  buildOnce(dir, complete, (staging) => {
    log(`building prometheus and promtool ${release} (${module}) from the Go module proxy into ${dir} (first run only, about five minutes)`);
    const pkg = "github.com/prometheus/common/version";
    const ldflags = ["-s", "-w", `-X ${pkg}.Version=${release}`, `-X ${pkg}.Branch=HEAD`, `-X ${pkg}.BuildUser=ecs-operator`].join(" ");
    execFileSync(
      "go",
      ["build", "-trimpath", "-tags=remove_all_sd", `-ldflags=${ldflags}`, "-o", `${staging}/`, "github.com/prometheus/prometheus/cmd/prometheus", "github.com/prometheus/prometheus/cmd/promtool", "./cmd/tied"],
      { cwd: moduleDir, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" } },
    );
  });
  return binaries;
}
