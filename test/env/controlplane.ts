import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureControlPlaneBinaries } from "./controlplane-build.js";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "./processes.js";

export interface ControlPlane {
  readonly version: string;
  readonly server: string;
  readonly kubeconfigPath: string;
  /** An admin bearer token (group system:masters). */
  readonly adminToken: string;
  readonly caCert: string;
  readonly dir: string;
  /** Writes a kubeconfig for another identity from the token file (see `addToken`). */
  kubeconfigFor(user: string): string;
  /** Stops and starts kube-apiserver on the same port and data (for watch-resilience tests). */
  restartApiServer(downMs?: number): Promise<void>;
  /** Stops and starts etcd on the same ports and data while kube-apiserver keeps running;
   * resolves once the API server is ready again. */
  restartEtcd(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface TokenUser {
  token: string;
  user: string;
  groups: string[];
}

/**
 * Starts etcd and kube-apiserver on free loopback ports, the way controller-runtime's envtest does:
 * token auth, a serving certificate the server signs itself, service-account keys made here.
 * Extra users (for RBAC tests) are declared up front because the token file is read at start-up.
 */
export async function startControlPlane(opts: { log?: (line: string) => void; extraUsers?: { user: string; groups?: string[] }[] } = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => undefined);
  const binaries = ensureControlPlaneBinaries(log);
  const dir = mkdtempSync(join(tmpdir(), "ecs-operator-cp-"));
  const certDir = join(dir, "certs");
  mkdirSync(certDir);

  const users: TokenUser[] = [
    { token: randomBytes(16).toString("hex"), user: "admin", groups: ["system:masters"] },
    ...(opts.extraUsers ?? []).map((u) => ({ token: randomBytes(16).toString("hex"), user: u.user, groups: u.groups ?? [] })),
  ];
  const tokenFile = join(dir, "tokens.csv");
  writeFileSync(tokenFile, users.map((u, i) => `${u.token},${u.user},uid-${i},"${u.groups.join(",")}"`).join("\n") + "\n");

  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const saPub = join(certDir, "sa.pub");
  const saKey = join(certDir, "sa.key");
  writeFileSync(saPub, publicKey.export({ type: "spki", format: "pem" }));
  writeFileSync(saKey, privateKey.export({ type: "pkcs8", format: "pem" }));

  const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const etcdLog = join(dir, "etcd.log");
  const etcdArgs = [
    "--name=default",
    `--data-dir=${join(dir, "etcd-data")}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
    // Test data is disposable: skipping fsync makes etcd several times faster on a shared disk.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
  let etcd = startProcess("etcd", binaries.etcd, etcdArgs, etcdLog);
  const etcdHealthy = async (): Promise<boolean> => (await fetch(`${etcdUrl}/health`)).ok;
  await waitUntil("etcd", etcdHealthy, { timeoutMs: 30_000, process: etcd, logFile: etcdLog });

  const server = `https://127.0.0.1:${apiPort}`;
  const apiLog = join(dir, "kube-apiserver.log");
  const apiArgs = [
    `--etcd-servers=${etcdUrl}`,
    `--cert-dir=${certDir}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--token-auth-file=${tokenFile}`,
    "--authorization-mode=RBAC",
    "--service-cluster-ip-range=10.0.0.0/24",
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${saPub}`,
    `--service-account-signing-key-file=${saKey}`,
    "--allow-privileged=true",
    // No controller-manager runs, so nothing would ever create the default ServiceAccount that
    // this admission plugin waits for.
    "--disable-admission-plugins=ServiceAccount",
    "--endpoint-reconciler-type=none",
    "--v=0",
  ];
  let apiServer: ManagedProcess = startProcess("kube-apiserver", binaries.kubeApiserver, apiArgs, apiLog);
  const adminToken = users[0]?.token ?? "";
  const readyz = (): Promise<boolean> => probeReady(server, adminToken, join(certDir, "apiserver.crt"));
  await waitUntil("kube-apiserver", readyz, { timeoutMs: 90_000, process: apiServer, logFile: apiLog });
  const caCert = readFileSync(join(certDir, "apiserver.crt"), "utf8");

  const kubeconfigFor = (user: string): string => {
    const entry = users.find((u) => u.user === user);
    if (!entry) throw new Error(`no token for user ${user}: pass it in extraUsers`);
    const path = join(dir, `kubeconfig-${user}`);
    writeFileSync(path, kubeconfigYaml(server, caCert, user, entry.token));
    return path;
  };

  return {
    version: binaries.version,
    server,
    kubeconfigPath: kubeconfigFor("admin"),
    adminToken,
    caCert,
    dir,
    kubeconfigFor,
    async restartApiServer(downMs = 0) {
      await apiServer.stop();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      apiServer = startProcess("kube-apiserver", binaries.kubeApiserver, apiArgs, apiLog);
      await waitUntil("kube-apiserver (restart)", readyz, { timeoutMs: 90_000, process: apiServer, logFile: apiLog });
    },
    async restartEtcd(downMs = 0) {
      await etcd.stop();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      etcd = startProcess("etcd", binaries.etcd, etcdArgs, etcdLog);
      await waitUntil("etcd (restart)", etcdHealthy, { timeoutMs: 30_000, process: etcd, logFile: etcdLog });
      await waitUntil("kube-apiserver (after etcd restart)", readyz, { timeoutMs: 90_000, process: apiServer, logFile: apiLog });
    },
    async stop() {
      await apiServer.stop();
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kubeconfigYaml(server: string, caCert: string, user: string, token: string): string {
  const ca = Buffer.from(caCert).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    `- name: ${user}@test`,
    "  context:",
    "    cluster: test",
    `    user: ${user}`,
    "    namespace: default",
    `current-context: ${user}@test`,
    "",
  ].join("\n");
}

/** True once /readyz answers 200 over TLS verified against the certificate the server made itself. */
function probeReady(server: string, token: string, caFile: string): Promise<boolean> {
  let ca: string;
  try {
    ca = readFileSync(caFile, "utf8");
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolveProbe) => {
    const req = request(`${server}/readyz`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolveProbe(res.statusCode === 200);
    });
    req.on("error", () => {
      resolveProbe(false);
    });
    req.on("timeout", () => {
      req.destroy();
    });
    req.end();
  });
}
