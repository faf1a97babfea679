import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildOnce, cacheDir, hashTree, repoRoot } from "./paths.js";

const moduleDir = join(repoRoot, "test/env/controlplane");

/** The Kubernetes release the test control plane is built from, read from the wrapper module so
 * that go.mod stays the one place it is pinned. */
export function kubernetesVersion(): string {
  const match = /k8s\.io\/kubernetes (v\d+\.\d+\.\d+)/.exec(readFileSync(join(moduleDir, "go.mod"), "utf8"));
  if (!match?.[1]) throw new Error("k8s.io/kubernetes is not required in test/env/controlplane/go.mod");
  return match[1];
}

export interface ControlPlaneBinaries {
  version: string;
  etcd: string;
  kubeApiserver: string;
}

/**
 * Builds etcd and kube-apiserver once per version (and per change of the wrapper module) into the
 * user cache. A cold build takes several minutes on two cores; later runs find the binaries at once.
 */
export function ensureControlPlaneBinaries(log: (line: string) => void = () => undefined): ControlPlaneBinaries {
  const version = kubernetesVersion();
  const key = `${version}-${hashTree(moduleDir, (path) => /\.(go|mod|sum)$/.test(path))}`;
  const dir = join(cacheDir("controlplane"), key);
  const binaries = { version, etcd: join(dir, "etcd"), kubeApiserver: join(dir, "kube-apiserver") };
  const complete = (d: string): boolean => existsSync(join(d, "etcd")) && existsSync(join(d, "kube-apiserver"));
  buildOnce(dir, complete, (staging) => {
    log(`building kube-apiserver ${version} and etcd from the Go module proxy into ${dir} (first run only, several minutes)`);
    const [major, minor] = version.slice(1).split(".");
    const pkg = "k8s.io/component-base/version";
    // Without these the server reports v0.0.0 and clients warn about an unknown version skew.
    const ldflags = ["-s", "-w", `-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major ?? ""}`, `-X ${pkg}.gitMinor=${minor ?? ""}`, `-X ${pkg}.gitTreeState=clean`].join(" ");
    execFileSync("go", ["build", "-trimpath", `-ldflags=${ldflags}`, "-o", `${staging}/`, "./cmd/etcd", "./cmd/kube-apiserver"], {
      cwd: moduleDir,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" },
    });
  });
  return binaries;
}
