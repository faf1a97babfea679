import { join } from "node:path";
import { startAwsProxy } from "./aws-proxy.js";
import { startControlPlane, type ControlPlane } from "./controlplane.js";
import { installCrds, loadCrdFiles } from "./crds.js";
import { startMoto, type Moto } from "./moto.js";
import { repoRoot } from "./paths.js";
import { ensureTools, type Tools } from "./tools.js";

/** What a test, the demo or a benchmark needs to reach the local stack; plain data so that it can
 * cross process boundaries (vitest's provide/inject, environment variables). */
export interface StackInfo {
  kubeconfigPath: string;
  kubeServer: string;
  kubernetesVersion: string;
  motoUrl: string;
  motoVersion: string;
  /** The counting, fault-injecting proxy in front of moto: point every AWS client here. */
  awsEndpoint: string;
  region: string;
  kubectl: string;
  helm: string;
}

export interface Stack {
  info: StackInfo;
  controlPlane: ControlPlane;
  stop(): Promise<void>;
}

export const TEST_REGION = "us-east-1";

/** Starts kube-apiserver + etcd and moto side by side, puts our proxy in front of moto, installs
 * the CRDs from crds/. Whatever started before a failure is stopped again. */
export async function startStack(opts: { log?: (line: string) => void; crdsDir?: string } = {}): Promise<Stack> {
  const log = opts.log ?? (() => undefined);
  const tools: Tools = ensureTools();
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
  };
  try {
    const [controlPlane, moto] = await Promise.all([
      startControlPlane({ log }).then((cp) => (started.push(cp), cp)),
      startMoto({ log }).then((m: Moto) => (started.push(m), m)),
    ]);
    const proxy = await startAwsProxy({ target: moto.url });
    started.push({ stop: () => proxy.close() });
    const crds = loadCrdFiles(opts.crdsDir ?? join(repoRoot, "crds"));
    await installCrds(controlPlane.kubeconfigPath, crds);
    return {
      controlPlane,
      info: {
        kubeconfigPath: controlPlane.kubeconfigPath,
        kubeServer: controlPlane.server,
        kubernetesVersion: controlPlane.version,
        motoUrl: moto.url,
        motoVersion: moto.version,
        awsEndpoint: proxy.url,
        region: TEST_REGION,
        kubectl: tools.kubectl,
        helm: tools.helm,
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
