// `make demo`: the local stack a newcomer can poke at. Later it also runs the operator on examples/.
import { once } from "node:events";
import { startStack } from "../test/env/stack.js";

const log = (line: string): void => {
  process.stdout.write(`[demo] ${line}\n`);
};

log("starting etcd + kube-apiserver and moto (the AWS emulator) on loopback ...");
const stack = await startStack({ log });
const { info } = stack;
process.stdout.write(`
The local stack is up.
  Kubernetes ${info.kubernetesVersion}   ${info.kubeServer}
  moto ${info.motoVersion}            ${info.motoUrl}   (AWS endpoint through the counting proxy: ${info.awsEndpoint})

Try, in another terminal:
  export KUBECONFIG=${info.kubeconfigPath}
  ${info.kubectl} get --raw /version
  ${info.kubectl} get crds
  AWS endpoint for SDKs and the AWS CLI: ${info.awsEndpoint} (region ${info.region}, any credentials)

Press Ctrl-C to stop everything.
`);

await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
log("stopping ...");
await stack.stop();
log("stopped; nothing left running.");
