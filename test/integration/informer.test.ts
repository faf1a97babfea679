// The informer against a real kube-apiserver, through outages: a cut or black-holed connection (a
// TCP proxy of ours between the informer and the server) and a restart of the server itself. Every
// scenario checks that no event is lost: handlers see each change exactly as a mirror kept from
// them would need to, and the mirror and the cache end equal to the server's state. This file
// restarts its API server, so it starts a private control plane instead of the shared one.
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Informer, objectKey, type InformerOptions } from "../../src/runtime/informer.js";
import { startControlPlane, type ControlPlane } from "../env/controlplane.js";

interface ConfigMap extends KubernetesObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/** A TCP relay that can cut its connections, refuse new ones, or stop forwarding on the open ones
 * without closing them (a half-open connection, as after a NAT or load balancer forgets it). */
class TcpProxy {
  refusing = false;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; blackHoled: boolean }>();
  private readonly server = createServer((client) => {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream, blackHoled: false };
    this.pairs.add(pair);
    client.on("data", (chunk) => !pair.blackHoled && upstream.write(chunk));
    upstream.on("data", (chunk) => !pair.blackHoled && client.write(chunk));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    for (const socket of [client, upstream]) socket.on("close", close).on("error", close);
  });

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  blackHole(): void {
    for (const pair of this.pairs) pair.blackHoled = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** What the handlers told: a log, and a mirror built only from them. An add for a key the mirror
 * holds, or an update or delete for one it lacks, means an event was lost or duplicated. */
interface Recording {
  log: string[];
  mirror: Map<string, ConfigMap>;
  violations: string[];
}

function record(informer: Informer<ConfigMap>): Recording {
  const recording: Recording = { log: [], mirror: new Map(), violations: [] };
  const { log, mirror, violations } = recording;
  informer.addHandler({
    onAdd(obj) {
      const key = objectKey(obj);
      if (mirror.has(key)) violations.push(`add of known ${key}`);
      mirror.set(key, obj);
      log.push(`add ${obj.metadata.name}`);
    },
    onUpdate(obj, old) {
      const key = objectKey(obj);
      if (mirror.get(key)?.metadata.resourceVersion !== old.metadata.resourceVersion) violations.push(`update of ${key} from a state not seen`);
      mirror.set(key, obj);
      log.push(`update ${obj.metadata.name}=${obj.data?.v ?? ""}`);
    },
    onDelete(obj) {
      const key = objectKey(obj);
      if (!mirror.delete(key)) violations.push(`delete of unknown ${key}`);
      log.push(`delete ${obj.metadata.name}`);
    },
  });
  return recording;
}

let cp: ControlPlane;
let kc: KubeConfig;
let core: CoreV1Api;
let objects: KubernetesObjectApi;
let proxy: TcpProxy;
let viaProxy: KubeConfig;
const informers: Informer<ConfigMap>[] = [];

beforeAll(async () => {
  cp = await startControlPlane();
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  objects = KubernetesObjectApi.makeApiClient(kc);
  const target = new URL(cp.server);
  proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
  const proxyPort = await proxy.listen();
  viaProxy = new KubeConfig();
  viaProxy.loadFromOptions({
    clusters: kc.clusters.map((cluster) => ({ ...cluster, server: `https://127.0.0.1:${proxyPort}` })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
});

afterAll(async () => {
  await proxy.close();
  await cp.stop();
});

afterEach(async () => {
  proxy.refusing = false;
  await Promise.all(informers.splice(0).map((informer) => informer.stop()));
});

async function namespace(): Promise<string> {
  const name = `inf-${randomBytes(4).toString("hex")}`;
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return name;
}

async function startInformer(ns: string, options: Partial<InformerOptions> = {}): Promise<{ informer: Informer<ConfigMap>; recording: Recording }> {
  const informer = new Informer<ConfigMap>({ kubeConfig: kc, path: `/api/v1/namespaces/${ns}/configmaps`, backoff: { initialMs: 100, maxMs: 1000 }, ...options });
  const recording = record(informer);
  informers.push(informer);
  informer.start();
  await informer.waitForSync();
  return { informer, recording };
}

const put = async (ns: string, name: string, v: string): Promise<void> => {
  const cm: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { v } };
  await objects.patch(cm, undefined, undefined, "informer-test", true, PatchStrategy.ServerSideApply);
};
const remove = (ns: string, name: string): Promise<unknown> => core.deleteNamespacedConfigMap({ name, namespace: ns });

/** Waits until the mirror and the cache both equal the server, object for object, with no
 * violation on the way. */
async function expectConverged(ns: string, informer: Informer<ConfigMap>, { mirror, violations }: Recording): Promise<void> {
  const versions = (objs: Iterable<ConfigMap>): Record<string, string | undefined> =>
    Object.fromEntries([...objs].map((o) => [o.metadata.name, o.metadata.resourceVersion]));
  await vi.waitFor(
    async () => {
      const server = versions((await objects.list<ConfigMap>("v1", "ConfigMap", ns)).items);
      expect(versions(mirror.values())).toEqual(server);
      expect(versions(informer.list())).toEqual(server);
    },
    { timeout: 20_000, interval: 100 },
  );
  expect(violations).toEqual([]);
}

/** Returns once the watch is live: a change made now arrives through it. */
async function watching(ns: string, recording: Recording): Promise<void> {
  const name = `probe-${randomBytes(2).toString("hex")}`;
  await put(ns, name, "1");
  await vi.waitFor(() => {
    expect(recording.log).toContain(`add ${name}`);
  });
}

const report = (name: string, informer: Informer<ConfigMap>): void => {
  process.stdout.write(`[informer] ${name}: ${JSON.stringify(informer.stats())}\n`);
};

describe("Informer against a real kube-apiserver", () => {
  it("delivers adds, updates and deletes across watches the server recycles", async () => {
    const ns = await namespace();
    await put(ns, "before", "1");
    const { informer, recording } = await startInformer(ns, { watchTimeoutSeconds: 1 });
    expect(recording.log).toEqual(["add before"]);
    expect(informer.get(`${ns}/before`)).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", data: { v: "1" } });
    await put(ns, "a", "1");
    await sleep(1500);
    await put(ns, "a", "2");
    await sleep(1500);
    await remove(ns, "before");
    await expectConverged(ns, informer, recording);
    expect(recording.log).toEqual(["add before", "add a", "update a=2", "delete before"]);
    expect(informer.stats()).toMatchObject({ lists: 1, restarts: 0 });
    expect(informer.stats().watchesStarted).toBeGreaterThanOrEqual(2);
    report("recycled watches", informer);
  });

  it("syncs a collection larger than a page through several pages", async () => {
    const ns = await namespace();
    const names = Array.from({ length: 35 }, (_, i) => `cm-${String(i).padStart(2, "0")}`);
    for (const name of names) await put(ns, name, "1");
    const { informer, recording } = await startInformer(ns, { pageSize: 10 });
    expect(informer.hasSynced()).toBe(true);
    expect(recording.log.sort()).toEqual(names.map((name) => `add ${name}`));
    expect(informer.stats()).toMatchObject({ lists: 1, listPages: 4 });
    report("pagination", informer);
  });

  it("recovers from a cut connection: changes made while it is down all arrive, the delete as a delete", async () => {
    const ns = await namespace();
    for (const name of ["kept", "changed", "gone"]) await put(ns, name, "1");
    const { informer, recording } = await startInformer(ns, { kubeConfig: viaProxy });
    await watching(ns, recording);

    proxy.refusing = true;
    proxy.cut();
    await put(ns, "changed", "2");
    await put(ns, "new", "1");
    await remove(ns, "gone");
    await sleep(500);
    proxy.refusing = false;

    await expectConverged(ns, informer, recording);
    expect(recording.log.slice(4)).toEqual(["update changed=2", "add new", "delete gone"]);
    expect(informer.stats().restarts).toBeGreaterThanOrEqual(1);
    report("cut connection", informer);
  });

  it("recovers from a restart of the API server, with changes made as soon as it is back", async () => {
    const ns = await namespace();
    for (const name of ["kept", "changed", "gone"]) await put(ns, name, "1");
    const { informer, recording } = await startInformer(ns);
    await watching(ns, recording);
    await cp.restartApiServer(2000);
    await put(ns, "changed", "2");
    await put(ns, "new", "1");
    await remove(ns, "gone");
    await expectConverged(ns, informer, recording);
    expect(recording.log.slice(4).sort()).toEqual(["add new", "delete gone", "update changed=2"]);
    expect(informer.stats().restarts).toBeGreaterThanOrEqual(1);
    report("API server restart", informer);
  });

  it("relists on 410 when its resourceVersion is gone, delivering a delete made while disconnected as a delete", async () => {
    const ns = await namespace();
    for (const name of ["kept", "changed", "gone"]) await put(ns, name, "1");
    const logged: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => logged.push(line) });
    const { informer, recording } = await startInformer(ns, { kubeConfig: viaProxy, logger });
    await watching(ns, recording);

    // Changes while the informer is cut off, then a restart: the new server's watch cache starts
    // after them, so the informer's last resourceVersion is too old for it (410) and only a relist
    // can tell what happened.
    proxy.refusing = true;
    proxy.cut();
    await put(ns, "changed", "2");
    await put(ns, "new", "1");
    await remove(ns, "gone");
    await cp.restartApiServer();
    proxy.refusing = false;

    await expectConverged(ns, informer, recording);
    expect(recording.log.slice(4).sort()).toEqual(["add new", "delete gone", "update changed=2"]);
    expect(informer.stats()).toMatchObject({ relistsOn410: 1, lists: 2 });
    expect(logged.join("")).toMatch(/"message":"too old resource version[^"]*".*"code":410/);
    report("410 relist", informer);
  });

  it("restarts a watch whose connection goes silent without closing", async () => {
    const ns = await namespace();
    await put(ns, "a", "1");
    const { informer, recording } = await startInformer(ns, { kubeConfig: viaProxy, inactivityTimeoutMs: 2000 });
    await watching(ns, recording);
    proxy.blackHole();
    await put(ns, "a", "2");
    await expectConverged(ns, informer, recording);
    expect(recording.log.filter((line) => !line.includes("probe"))).toEqual(["add a", "update a=2"]);
    expect(informer.stats().inactivityAborts).toBeGreaterThanOrEqual(1);
    report("black hole", informer);
  });
});
