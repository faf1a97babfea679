// `make image-check`, second half (scripts/image-check.sh builds the image first): runs the image
// as the Helm chart runs it (read-only root filesystem, UID 65532, no capabilities, /tmp the only
// writable place, settings through environment variables) against the local stack, and shows
// that it reconciles: an EcsCluster becomes Ready and exists in AWS (moto), and its deletion
// removes it there. Exits non-zero on any failure; leaves no container or server running.
import { DescribeClustersCommand } from "@aws-sdk/client-ecs";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testAwsClients, uniqueAccountId } from "../test/env/aws.js";
import { apply, createTestNamespace, getObject, kubectl, waitFor, waitForCondition } from "../test/env/kube.js";
import { freePort } from "../test/env/processes.js";
import { startStack } from "../test/env/stack.js";

const image = process.argv[2] ?? "ecs-operator:image-check";
const log = (line: string): void => {
  process.stderr.write(`[image-check] ${line}\n`);
};
const docker = (args: string[]): string => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

log("starting etcd + kube-apiserver and moto on loopback ...");
const stack = await startStack();
const { info } = stack;
const container = `ecs-operator-image-check-${randomBytes(3).toString("hex")}`;
const scratch = mkdtempSync(join(tmpdir(), "image-check-"));
let started = false;
let exitCode = 1;
try {
  const namespace = await createTestNamespace(info, "image");
  const accountId = uniqueAccountId();
  const httpPort = await freePort();
  // The kubeconfig is mounted read-only; UID 65532 must be able to read it.
  const kubeconfig = join(scratch, "kubeconfig");
  copyFileSync(info.kubeconfigPath, kubeconfig);
  chmodSync(scratch, 0o755);
  chmodSync(kubeconfig, 0o644);

  const env: Record<string, string> = {
    AWS_REGION: info.region,
    AWS_ACCESS_KEY_ID: accountId,
    AWS_SECRET_ACCESS_KEY: "test",
    ECS_OPERATOR_AWS_ENDPOINT: info.awsEndpoint,
    ECS_OPERATOR_NAMESPACES: namespace,
    ECS_OPERATOR_HTTP_PORT: String(httpPort),
    ECS_OPERATOR_LEADER_ELECTION: "true",
    ECS_OPERATOR_LEASE_DURATION_SECONDS: "15",
    POD_NAMESPACE: namespace,
    POD_NAME: container,
    KUBECONFIG: "/etc/ecs-operator/kubeconfig",
  };
  // The chart's securityContext, as far as docker has it; the host network reaches the stack on loopback.
  docker([
    "run", "--detach", "--name", container,
    "--read-only", "--user", "65532:65532", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
    "--network", "host",
    "--volume", `${kubeconfig}:/etc/ecs-operator/kubeconfig:ro`,
    ...Object.entries(env).flatMap(([name, value]) => ["--env", `${name}=${value}`]),
    image,
  ]);
  started = true;
  log(`container ${container} started from ${image}`);

  await waitFor("/readyz of the container", async () => (await fetch(`http://127.0.0.1:${String(httpPort)}/readyz`)).ok, 60_000);
  apply(info, JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace }, spec: { tags: { check: "image" } } }));
  const ready = await waitForCondition(info, "ecsclusters", namespace, "main", { type: "Ready", status: "True" }, 60_000);
  const clusterName = String((ready.status as { clusterName?: string } | undefined)?.clusterName);
  const { ecs } = testAwsClients(info, accountId);
  const described = await ecs.send(new DescribeClustersCommand({ clusters: [clusterName] }));
  const inAws = described.clusters?.find((c) => c.clusterName === clusterName);
  if (inAws?.status !== "ACTIVE") throw new Error(`cluster ${clusterName} is not ACTIVE in AWS: ${JSON.stringify(described)}`);
  log(`EcsCluster ${namespace}/main is Ready; AWS has cluster ${clusterName} (${inAws.status})`);
  process.stdout.write(`$ kubectl get ecscluster -n ${namespace}\n${kubectl(info, ["get", "ecscluster", "-n", namespace])}\n`);

  kubectl(info, ["delete", "ecscluster", "main", "-n", namespace, "--wait=false"]);
  await waitFor("the EcsCluster to be gone", async () => (await getObject(info, "ecsclusters", namespace, "main")) === undefined, 60_000);
  const after = await ecs.send(new DescribeClustersCommand({ clusters: [clusterName] }));
  const left = after.clusters?.find((c) => c.clusterName === clusterName && c.status === "ACTIVE");
  if (left) throw new Error(`cluster ${clusterName} is still ACTIVE in AWS after its object was deleted`);
  log(`deleted: the object is gone and AWS has no ACTIVE cluster ${clusterName}`);

  // What the container ran as, and that its root filesystem refused a write.
  const top = docker(["top", container, "-o", "uid,gid,pid,args"]);
  process.stdout.write(`$ docker top ${container} -o uid,gid,pid,args\n${top}\n`);
  // The ENTRYPOINT's V8 flags come between node and the script.
  if (!/^\s*65532\s+65532\s+\d+\s+node(?:\s+--\S+)*\s+\/app\/dist\/src\/main\.js run/m.test(top)) throw new Error("the operator does not run as 65532:65532");
  const inspect = docker(["inspect", "-f", "{{.Config.User}} ReadonlyRootfs={{.HostConfig.ReadonlyRootfs}} Tmpfs={{json .HostConfig.Tmpfs}}", container]);
  log(`docker inspect: user ${inspect}`);
  let writable = true;
  try {
    docker(["exec", container, "node", "-e", "require('fs').writeFileSync('/app/probe', 'x')"]);
  } catch (err) {
    writable = !/read-only file system/i.test(String((err as { stderr?: string }).stderr));
  }
  if (writable) throw new Error("a write to /app did not fail with EROFS");
  log("a write to /app fails: read-only file system");

  // A graceful stop, as Kubernetes does it: SIGTERM, then the exit code.
  docker(["stop", "--time", "30", container]);
  const stopped = docker(["inspect", "-f", "{{.State.ExitCode}}", container]);
  const logs = docker(["logs", container]);
  const lines = logs.split("\n").filter(Boolean);
  const errors = lines.filter((l) => /"level":(50|60)/.test(l));
  log(`stopped with exit code ${stopped}; ${String(lines.length)} log lines, ${String(errors.length)} at error level`);
  if (stopped !== "0") throw new Error(`the operator exited with ${stopped} on SIGTERM:\n${logs}`);
  if (errors.length > 0) throw new Error(`errors in the operator's log:\n${errors.join("\n")}`);
  log("image check passed");
  exitCode = 0;
} catch (err) {
  log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  if (started) {
    try {
      process.stderr.write(`${docker(["logs", "--tail", "40", container])}\n`);
    } catch {
      // the container may never have started
    }
  }
} finally {
  if (started) {
    try {
      docker(["rm", "--force", container]);
    } catch {
      log(`could not remove container ${container}`);
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  await stack.stop();
}
process.exit(exitCode);
