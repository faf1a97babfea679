// The informer's failure paths against a scripted API server on loopback HTTP: the ones a real
// kube-apiserver will not produce on demand (410 on a watch, a malformed line, an expired continue
// token, a server that accepts a watch and then says nothing).
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Informer, type InformerOptions } from "../../src/runtime/informer.js";

interface ConfigMap extends KubernetesObject {
  metadata: { name: string; namespace: string; resourceVersion: string; uid: string };
  data: Record<string, string>;
}

/** Answers `?watch=true` requests as a watch, everything else as a paginated list. */
class FakeApiServer {
  readonly objects = new Map<string, ConfigMap>();
  readonly requests: URL[] = [];
  /** One-shot overrides: the first that returns true has answered the request and is dropped. */
  readonly intercepts: ((url: URL, res: ServerResponse) => boolean)[] = [];
  /** Watches from a resourceVersion below this get a 410 ERROR event, as after etcd compaction. */
  oldestResourceVersion = 0;
  /** Connections are cut as soon as they arrive. */
  offline = false;
  /** Watches are answered with headers and then nothing, as through a black-holed connection. */
  silent = false;
  /** Watches are ended as soon as they are answered, with nothing in them. */
  emptyWatches = false;
  private resourceVersion = 100;
  private readonly history: { resourceVersion: number; line: string }[] = [];
  private readonly streams = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((req, res) => {
    this.handle(req, res);
  });

  async listen(): Promise<string> {
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  put(name: string, value: string): void {
    const old = this.objects.get(name);
    const resourceVersion = String(++this.resourceVersion);
    const obj: ConfigMap = { metadata: { name, namespace: "ns", resourceVersion, uid: old?.metadata.uid ?? `uid-${name}-${resourceVersion}` }, data: { value } };
    this.objects.set(name, obj);
    this.publish(old ? "MODIFIED" : "ADDED", obj);
  }

  remove(name: string): void {
    const old = this.objects.get(name);
    if (!old) throw new Error(`no ${name}`);
    this.objects.delete(name);
    this.publish("DELETED", { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.resourceVersion) } });
  }

  bookmark(): string {
    const resourceVersion = String(++this.resourceVersion);
    this.send(JSON.stringify({ type: "BOOKMARK", object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion } } }) + "\n");
    return resourceVersion;
  }

  /** Writes raw text into every open watch. */
  send(text: string): void {
    for (const stream of this.streams) stream.write(text);
  }

  compact(): void {
    this.oldestResourceVersion = this.resourceVersion;
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  watches(): URL[] {
    return this.requests.filter((url) => url.searchParams.get("watch") === "true");
  }

  private publish(type: string, obj: ConfigMap): void {
    const line = JSON.stringify({ type, object: { apiVersion: "v1", kind: "ConfigMap", ...obj } }) + "\n";
    this.history.push({ resourceVersion: this.resourceVersion, line });
    this.send(line);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake");
    this.requests.push(url);
    if (this.offline) {
      req.socket.destroy();
      return;
    }
    const intercept = this.intercepts.findIndex((answer) => answer(url, res));
    if (intercept >= 0) {
      this.intercepts.splice(intercept, 1);
      return;
    }
    if (url.searchParams.get("watch") === "true") this.watch(url, res);
    else this.list(url, res);
  }

  private list(url: URL, res: ServerResponse): void {
    const names = [...this.objects.keys()].sort();
    const start = Number(url.searchParams.get("continue") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? names.length);
    const next = start + limit < names.length ? String(start + limit) : undefined;
    // Like the real server, items of a built-in kind carry no apiVersion and kind.
    const items = names.slice(start, start + limit).map((name) => this.objects.get(name));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: String(this.resourceVersion), continue: next }, items }));
  }

  private watch(url: URL, res: ServerResponse): void {
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    if (this.silent) return;
    if (this.emptyWatches) {
      res.end();
      return;
    }
    const from = Number(url.searchParams.get("resourceVersion"));
    if (from < this.oldestResourceVersion) {
      res.end(JSON.stringify({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", code: 410, reason: "Expired", message: `too old resource version: ${from}` } }) + "\n");
      return;
    }
    for (const event of this.history) if (event.resourceVersion > from) res.write(event.line);
    this.streams.add(res);
    res.on("close", () => this.streams.delete(res));
  }
}

let server: FakeApiServer;
let kubeConfig: KubeConfig;
const informers: Informer<ConfigMap>[] = [];

beforeEach(async () => {
  server = new FakeApiServer();
  const url = await server.listen();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
    users: [{ name: "fake", token: "t" }],
    contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
    currentContext: "fake",
  });
});

afterEach(async () => {
  await Promise.all(informers.splice(0).map((informer) => informer.stop()));
  await server.close();
});

function startInformer(options: Partial<InformerOptions> = {}): { informer: Informer<ConfigMap>; events: string[] } {
  const informer = new Informer<ConfigMap>({ kubeConfig, path: "/api/v1/namespaces/ns/configmaps", backoff: { initialMs: 10, maxMs: 50 }, ...options });
  const events: string[] = [];
  informer.addHandler({
    onAdd: (obj) => events.push(`add ${obj.metadata.name}=${obj.data.value ?? ""}`),
    onUpdate: (obj, old) => events.push(`update ${obj.metadata.name}=${obj.data.value ?? ""} (was ${old.data.value ?? ""})`),
    onDelete: (obj) => events.push(`delete ${obj.metadata.name}`),
  });
  informers.push(informer);
  informer.start();
  return { informer, events };
}

const values = (informer: Informer<ConfigMap>): Record<string, string | undefined> =>
  Object.fromEntries(informer.list().map((cm) => [cm.metadata.name, cm.data.value]));

describe("Informer against a scripted API server", () => {
  it("lists in pages, then watches from the list's resourceVersion with bookmarks and a randomized timeout", async () => {
    for (const name of ["a", "b", "c", "d", "e"]) server.put(name, "1");
    const { informer, events } = startInformer({ pageSize: 2, watchTimeoutSeconds: 60 });
    await informer.waitForSync();
    expect(events).toEqual(["add a=1", "add b=1", "add c=1", "add d=1", "add e=1"]);
    expect(informer.get("ns/a")).toMatchObject({ apiVersion: "v1", kind: "ConfigMap" });
    expect(informer.stats()).toMatchObject({ lists: 1, listPages: 3 });

    await vi.waitFor(() => {
      expect(server.watches()).toHaveLength(1);
    });
    const watch = server.watches()[0];
    expect(watch?.searchParams.get("resourceVersion")).toBe("105");
    expect(watch?.searchParams.get("allowWatchBookmarks")).toBe("true");
    expect(Number(watch?.searchParams.get("timeoutSeconds"))).toBeGreaterThanOrEqual(60);
    expect(Number(watch?.searchParams.get("timeoutSeconds"))).toBeLessThan(120);

    server.put("a", "2");
    server.remove("b");
    await vi.waitFor(() => {
      expect(events.slice(5)).toEqual(["update a=2 (was 1)", "delete b"]);
    });
  });

  it("resumes after a cut connection from the last bookmark, losing nothing and relisting nothing", async () => {
    server.put("a", "1");
    const { informer, events } = startInformer();
    await informer.waitForSync();
    await vi.waitFor(() => {
      expect(server.watches()).toHaveLength(1);
    });
    const bookmark = server.bookmark();
    await vi.waitFor(() => {
      expect(informer.lastResourceVersion()).toBe(bookmark);
    });
    server.dropConnections();
    await vi.waitFor(() => {
      expect(server.watches().at(-1)?.searchParams.get("resourceVersion")).toBe(bookmark);
    });
    server.put("a", "2");
    await vi.waitFor(() => {
      expect(events).toEqual(["add a=1", "update a=2 (was 1)"]);
    });
    expect(informer.stats()).toMatchObject({ lists: 1, relistsOn410: 0 });
    expect(informer.stats().restarts).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ["an ERROR event with code 410", (): boolean => false],
    [
      "an HTTP 410 response",
      (): boolean => {
        server.intercepts.push((url, res) => {
          if (url.searchParams.get("watch") !== "true") return false;
          res.writeHead(410, { "content-type": "application/json" });
          res.end(JSON.stringify({ kind: "Status", status: "Failure", code: 410, reason: "Gone", message: "too old resource version" }));
          return true;
        });
        return true;
      },
    ],
  ])("relists on %s and delivers what changed while disconnected as add, update and delete", async (_, injectHttp410) => {
    server.put("kept", "1");
    server.put("changed", "1");
    server.put("gone", "1");
    const { informer, events } = startInformer();
    await informer.waitForSync();
    await vi.waitFor(() => {
      expect(server.watches()).toHaveLength(1);
    });

    server.offline = true;
    server.dropConnections();
    server.put("changed", "2");
    server.remove("gone");
    server.put("new", "1");
    if (!injectHttp410()) server.compact();
    server.offline = false;

    await vi.waitFor(() => {
      expect(informer.stats().relistsOn410).toBe(1);
      expect(events.slice(3).sort()).toEqual(["add new=1", "delete gone", "update changed=2 (was 1)"]);
    });
    expect(values(informer)).toEqual({ kept: "1", changed: "2", new: "1" });
    expect(informer.stats().lists).toBe(2);
  });

  it("restarts from the last applied event on a malformed line, so the event is re-read, not lost", async () => {
    server.put("a", "1");
    const { informer, events } = startInformer();
    await informer.waitForSync();
    await vi.waitFor(() => {
      expect(server.watches()).toHaveLength(1);
    });
    server.put("a", "2");
    server.send('{"type":"MODIFIED","object":{"metadata":{"name":\n');
    server.put("a", "3");
    await vi.waitFor(() => {
      expect(events).toEqual(["add a=1", "update a=2 (was 1)", "update a=3 (was 2)"]);
    });
    expect(server.watches().at(-1)?.searchParams.get("resourceVersion")).toBe("102");
    expect(informer.stats()).toMatchObject({ lists: 1, restarts: 1 });
  });

  it("lists the whole collection in one request when the continue token expires mid-list", async () => {
    for (const name of ["a", "b", "c", "d", "e"]) server.put(name, "1");
    server.intercepts.push((url, res) => {
      if (!url.searchParams.has("continue")) return false;
      res.writeHead(410, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 410, reason: "Expired", message: "The provided continue parameter is too old" }));
      return true;
    });
    const { informer, events } = startInformer({ pageSize: 2 });
    await informer.waitForSync();
    expect(events).toHaveLength(5);
    const lists = server.requests.filter((url) => !url.searchParams.has("watch"));
    expect(lists.map((url) => url.searchParams.get("limit"))).toEqual(["2", "2", null]);
    expect(informer.stats()).toMatchObject({ lists: 1, restarts: 0 });
  });

  it("aborts a watch that goes silent and starts another", async () => {
    server.put("a", "1");
    server.silent = true;
    const { informer, events } = startInformer({ inactivityTimeoutMs: 200 });
    await informer.waitForSync();
    await vi.waitFor(() => {
      expect(informer.stats().inactivityAborts).toBeGreaterThanOrEqual(1);
    });
    server.silent = false;
    server.put("a", "2");
    await vi.waitFor(() => {
      expect(events).toEqual(["add a=1", "update a=2 (was 1)"]);
    });
    expect(informer.stats().lists).toBe(1);
  });

  it("backs off, rather than spinning, when the server ends every watch at once", async () => {
    server.emptyWatches = true;
    const { informer } = startInformer({ backoff: { initialMs: 20, maxMs: 10_000 } });
    await informer.waitForSync();
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Delays of 10-20, 20-40, 40-80, 80-160, 160-320 ms... fit at most 6 watches in 600 ms; a delay
    // that did not grow would fit 30.
    const { watchesStarted, restarts } = informer.stats();
    expect(watchesStarted).toBeLessThanOrEqual(7);
    expect(restarts).toBeGreaterThanOrEqual(watchesStarted - 1);
  });

  it("keeps retrying with backoff while the server is unreachable or failing, and syncs once it answers", async () => {
    server.put("a", "1");
    server.offline = true;
    const { informer, events } = startInformer();
    await vi.waitFor(() => {
      expect(informer.stats().restarts).toBeGreaterThanOrEqual(3);
    });
    expect(informer.hasSynced()).toBe(false);
    server.intercepts.push((_, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 500, message: "etcd unavailable" }));
      return true;
    });
    server.offline = false;
    await informer.waitForSync();
    expect(events).toEqual(["add a=1"]);
  });

  it("survives a handler that throws", async () => {
    server.put("a", "1");
    const { informer, events } = startInformer();
    informer.addHandler({
      onAdd: () => {
        throw new Error("handler bug");
      },
    });
    await informer.waitForSync();
    server.put("b", "1");
    await vi.waitFor(() => {
      expect(events).toEqual(["add a=1", "add b=1"]);
    });
  });

  it("replays the cache to a handler added late", async () => {
    server.put("a", "1");
    const { informer } = startInformer();
    await informer.waitForSync();
    const seen: string[] = [];
    informer.addHandler({ onAdd: (obj) => seen.push(obj.metadata.name) });
    expect(seen).toEqual(["a"]);
  });

  it("stops only when told to: no handler calls afterwards, and a pending waitForSync rejects", async () => {
    server.offline = true;
    const { informer, events } = startInformer();
    const sync = informer.waitForSync();
    await vi.waitFor(() => {
      expect(informer.stats().restarts).toBeGreaterThanOrEqual(1);
    });
    await informer.stop();
    await expect(sync).rejects.toThrow(/stopped before its first list/);
    server.offline = false;
    server.put("a", "1");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual([]);
    const before = server.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests.length).toBe(before);
  });
});
