// `make demo`: the whole thing on a laptop. Starts a real kube-apiserver + etcd and moto, runs the
// operator, applies examples/ (the seeds' apps) and shows them converge in ECS, ELBv2 and Cloud Map.
// Exits non-zero if anything is not Ready; on a terminal it then keeps running until Ctrl-C.
import { once } from "node:events";
import { awsSummary, FIRST_SERVICE, rollSecondRevision, runDemo } from "../test/env/demo.js";
import { kubectl } from "../test/env/kube.js";
import { startStack } from "../test/env/stack.js";

const log = (line: string): void => {
  process.stdout.write(`[demo] ${line}\n`);
};
const ACCOUNT = "123456789012";
const NAMESPACE = "demo";

log("starting etcd + kube-apiserver and moto (the AWS emulator) on loopback ...");
const stack = await startStack({ log });
const { info } = stack;
log(`Kubernetes ${info.kubernetesVersion} at ${info.kubeServer}; moto ${info.motoVersion} behind the AWS proxy at ${info.awsEndpoint}`);

let exitCode = 1;
try {
  const demo = await runDemo(info, { namespace: NAMESPACE, accountId: ACCOUNT, log });
  const watchCommand = `$ kubectl get ecssvc ${FIRST_SERVICE} -n ${NAMESPACE} -w`;
  process.stdout.write(`\nThe README's first manifest (a 2-task Fargate service) coming up:\n${watchCommand}\n${demo.firstRollout.join("\n")}\n`);
  let secondRevision = false;
  if (demo.ready) {
    log(`a second revision of TaskDefinition ${FIRST_SERVICE} (a new image) rolls over the running tasks ...`);
    const rows = await rollSecondRevision(info, NAMESPACE, "public.ecr.aws/docker/library/httpd:2.4.65");
    process.stdout.write(`${watchCommand}\n${rows.join("\n")}\n`);
    secondRevision = true;
  }
  process.stdout.write(`\n$ kubectl get ecs -n ${NAMESPACE}\n${kubectl(info, ["get", "ecs", "-n", NAMESPACE])}\n`);
  process.stdout.write(`What exists in AWS (moto) now:\n${await awsSummary(info, ACCOUNT, demo.listenerArn)}\n\n`);
  if (demo.ready && secondRevision) {
    log("everything is Ready.");
    exitCode = 0;
  } else {
    log(`not Ready: ${demo.notReady.join(", ")}`);
  }
  if (process.stdin.isTTY) {
    process.stdout.write(`Explore it from another terminal:
  export KUBECONFIG=${info.kubeconfigPath}
  ${info.kubectl} get ecs -n ${NAMESPACE}
  ${info.kubectl} describe ecsservice sample-fargate-app -n ${NAMESPACE}
  AWS endpoint for SDKs and the AWS CLI: ${info.awsEndpoint} (region ${info.region}, access key ${ACCOUNT})
Press Ctrl-C to stop everything.
`);
    await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
  }
  await demo.operator.stop();
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  log("stopping ...");
  await stack.stop();
  log("stopped; nothing left running.");
}
process.exit(exitCode);
