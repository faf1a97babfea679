// `make demo`: the whole thing on a laptop. Starts a real kube-apiserver + etcd and moto, runs the
// operator, applies examples/ (the seeds' apps) and shows them converge in ECS, ELBv2 and Cloud Map.
// Exits non-zero if anything is not Ready; on a terminal it then keeps running until Ctrl-C.
import { once } from "node:events";
import { awsSummary, FIRST_SERVICE, rollSecondRevision, runDemo } from "../test/env/demo.js";
import { kubectl } from "../test/env/kube.js";
import { startPrometheus, type Prometheus } from "../test/env/prometheus.js";
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

/** A few of the dashboard's queries (charts/ecs-operator/dashboards), as one-line commands. */
const DASHBOARD_QUERIES = [
  'sum by (kind, status) (ecs_operator_objects{condition="Ready"})',
  'sum by (kind, namespace, reason) (ecs_operator_objects{condition="Ready", status!="True"})',
  "sum by (kind, result) (rate(ecs_operator_reconcile_total[1m]))",
  "sum by (service, operation, outcome) (rate(ecs_operator_aws_calls_total[1m]))",
];

let exitCode = 1;
let prometheus: Prometheus | undefined;
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
    // Prometheus (built by `make prepare`) scrapes the operator, so the dashboard's queries can be tried.
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${demo.operator.httpPort}`], job: "ecs-operator", intervalSeconds: 5 }).catch((err: unknown) => {
      log(`Prometheus did not start (${err instanceof Error ? err.message : String(err)}); the metrics are still at /metrics`);
      return undefined;
    });
    process.stdout.write(`Explore it from another terminal:
  export KUBECONFIG=${info.kubeconfigPath}
  ${info.kubectl} get ecs -n ${NAMESPACE}
  ${info.kubectl} describe ecsservice sample-fargate-app -n ${NAMESPACE}
  AWS endpoint for SDKs and the AWS CLI: ${info.awsEndpoint} (region ${info.region}, access key ${ACCOUNT})
The operator's metrics, and the Grafana dashboard's queries through Prometheus:
  curl -s http://127.0.0.1:${demo.operator.httpPort}/metrics | grep ^ecs_operator_
${prometheus ? DASHBOARD_QUERIES.map((q) => `  curl -sG ${prometheus?.url ?? ""}/api/v1/query --data-urlencode 'query=${q}'`).join("\n") : "  (no Prometheus: see above)"}
Press Ctrl-C to stop everything.
`);
    await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
  }
  await demo.operator.stop();
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  log("stopping ...");
  await prometheus?.stop();
  await stack.stop();
  log("stopped; nothing left running.");
}
process.exit(exitCode);
