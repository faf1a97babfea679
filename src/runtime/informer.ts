// The watch + cache ("informer") for one collection: a paginated list, then a watch from the list's
// resourceVersion, with client-go's reflector semantics. It is written on raw requests (auth, TLS and
// proxy from the kubeconfig, kube-config.ts) rather than on client-node 1.4's Watch and makeInformer:
// Watch skips a line it cannot parse (that event is lost for good), keeps only the status code of a failed watch, and
// has no timeout (its 30 s timeout signal is overwritten on the next line), so a half-open
// connection hangs forever; makeInformer stops for good on any error but 410, never asks for
// bookmarks and lists in one request.

/**
 * What the informer reads of an object: raw JSON as the API server sends it. Narrower than
 * client-node's KubernetesObject, whose metadata claims Date fields where the wire has strings.
 */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}
import type { KubeAccess } from "./kube-config.js";
import type { IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pino, type Logger } from "pino";
import { apiErrorFromResponse, apiErrorFromStatus, KubernetesApiError, sendRequest } from "./kube-client.js";

export { KubernetesApiError };

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface InformerOptions {
  kubeConfig: KubeAccess;
  /** The collection, e.g. /api/v1/namespaces/ns/configmaps or /apis/group/version/plural. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per list page (default 500). */
  pageSize?: number;
  /** A request that shows no sign of life for this long (no watch event or bookmark, no list
   * data) is aborted and retried (default 5 min). */
  inactivityTimeoutMs?: number;
  /** Each watch asks the server to end it after a random time in [n, 2n) seconds (default 120), so
   * connections are recycled and the reconnects of many informers spread out. Keep 2n below the
   * inactivity timeout: the API server sends a bookmark every minute only once it has seen an
   * event of the resource type, so a watch on a type nobody writes is silent until it ends. */
  watchTimeoutSeconds?: number;
  /** Restart delays after failures (default 500 ms doubling to 30 s, with jitter). */
  backoff?: Backoff;
  logger?: Logger;
  /** Called on every restart after a failure (for a metric). */
  onRestart?: () => void;
}

/** Handlers get the cached objects themselves: they must not modify them. */
export interface InformerHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  /** `obj` is the last state seen: when the deletion happened while disconnected, the state
   * before it, not the final one. */
  onDelete?(obj: T): void;
}

export interface InformerStats {
  /** Complete lists (the first sync and every relist). */
  lists: number;
  listPages: number;
  watchesStarted: number;
  /** Restarts after any failure (relists on 410 and inactivity aborts included). */
  restarts: number;
  relistsOn410: number;
  inactivityAborts: number;
}

export type InformerEvent<T> = { type: "add"; obj: T } | { type: "update"; obj: T; old: T } | { type: "delete"; obj: T };

export class InactivityError extends Error {
  constructor(readonly idleMs: number) {
    super(`no data for ${idleMs} ms`);
    this.name = "InactivityError";
  }
}

export class Informer<T extends KubernetesObject> {
  private readonly kubeConfig: KubeAccess;
  private readonly path: string;
  private readonly selectors: Record<string, string | undefined>;
  private readonly pageSize: number;
  private readonly inactivityTimeoutMs: number;
  private readonly watchTimeoutSeconds: number;
  private readonly backoff: Backoff;
  private readonly onRestart: (() => void) | undefined;
  private readonly log: Logger;
  private readonly handlers = new Set<InformerHandler<T>>();
  private readonly lifetime = new AbortController();
  private readonly synced: Promise<void>;
  private markSynced!: () => void;
  private failSync!: (err: Error) => void;
  private isSynced = false;
  private cache = new Map<string, T>();
  /** Where the next watch starts; undefined when only a list can tell. */
  private resourceVersion: string | undefined;
  private failures = 0;
  private running: Promise<void> | undefined;
  private readonly counters: InformerStats = { lists: 0, listPages: 0, watchesStarted: 0, restarts: 0, relistsOn410: 0, inactivityAborts: 0 };

  constructor(options: InformerOptions) {
    this.kubeConfig = options.kubeConfig;
    this.path = options.path;
    this.selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    this.pageSize = options.pageSize ?? 500;
    this.inactivityTimeoutMs = options.inactivityTimeoutMs ?? 5 * 60_000;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 120;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.onRestart = options.onRestart;
    this.log = (options.logger ?? pino({ enabled: false })).child({ informer: options.path });
    this.synced = new Promise<void>((resolve, reject) => {
      this.markSynced = resolve;
      this.failSync = reject;
    });
    // Rejected by stop() before the first sync even when nobody waits: not an unhandled rejection.
    this.synced.catch(() => undefined);
  }

  start(): void {
    if (this.running) throw new Error(`informer for ${this.path} already started`);
    this.running = this.run();
  }

  /** Aborts the request in flight; no handler is called once this resolves. */
  async stop(): Promise<void> {
    this.lifetime.abort(new Error("informer stopped"));
    this.failSync(new Error(`informer for ${this.path} stopped before its first list`));
    await this.running;
  }

  /** Registers handlers; objects already cached are replayed to `onAdd`, as in client-go, so a
   * late handler misses nothing. Returns the function that unregisters them. */
  addHandler(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    for (const obj of this.cache.values()) this.deliver(handler, { type: "add", obj });
    return () => {
      this.handlers.delete(handler);
    };
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** True once the first complete list is in the cache and its adds were delivered. */
  hasSynced(): boolean {
    return this.isSynced;
  }

  /** Resolves on the first sync; rejects if the informer is stopped first or `signal` aborts. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return signal ? Promise.race([this.synced, rejectOnAbort(signal)]) : this.synced;
  }

  /** The resourceVersion the next watch would start from (client-go's LastSyncResourceVersion). */
  lastResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  stats(): InformerStats {
    return { ...this.counters };
  }

  private async run(): Promise<void> {
    const signal = this.lifetime.signal;
    while (!this.stopped()) {
      try {
        this.resourceVersion ??= await this.relist(signal);
        const startedAt = performance.now();
        const delivered = await this.watch(this.resourceVersion, signal);
        // As client-go: a watch the server ends at once with nothing in it is a failure, or the
        // loop would spin; a quiet watch ended at its timeout is not.
        if (!delivered && performance.now() - startedAt < 1000) throw new Error("watch ended at once without any event");
        this.failures = 0;
      } catch (err) {
        if (this.stopped()) break;
        this.counters.restarts++;
        this.onRestart?.();
        if (isGone(err)) {
          this.counters.relistsOn410++;
          this.resourceVersion = undefined;
        }
        if (err instanceof InactivityError) this.counters.inactivityAborts++;
        const retryAfterMs = err instanceof KubernetesApiError ? (err.retryAfterMs ?? 0) : 0;
        const delayMs = Math.round(Math.max(backoffDelay(this.failures++, this.backoff), retryAfterMs));
        this.log.warn({ err, delayMs, resourceVersion: this.resourceVersion }, "informer restarting");
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private stopped(): boolean {
    return this.lifetime.signal.aborted;
  }

  private async relist(signal: AbortSignal): Promise<string> {
    this.counters.lists++;
    const { items, resourceVersion } = await this.listAll(signal);
    const { cache, events } = reconcileWithList(this.cache, items);
    this.cache = cache;
    this.emit(events);
    this.log.debug({ items: items.length, resourceVersion, events: events.length }, "listed");
    if (!this.isSynced) {
      this.isSynced = true;
      this.markSynced();
    }
    return resourceVersion;
  }

  private async listAll(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let limit: number | undefined = this.pageSize;
    let token: string | undefined;
    for (;;) {
      let page: ListPage<T>;
      try {
        page = await this.listPage(signal, limit, token);
      } catch (err) {
        if (token === undefined || !isGone(err)) throw err;
        // The snapshot the continue token pins was compacted before we paged through it: paging
        // cannot finish within the compaction window, so take the collection in one request.
        this.log.warn({ err }, "continue token expired; listing without pages");
        items.length = 0;
        limit = undefined;
        token = undefined;
        continue;
      }
      for (const item of page.items) items.push(item);
      if (page.continue === undefined) return { items, resourceVersion: page.resourceVersion };
      token = page.continue;
    }
  }

  private listPage(signal: AbortSignal, limit: number | undefined, token: string | undefined): Promise<ListPage<T>> {
    const url = this.url({ limit: limit?.toString(), continue: token });
    return withInactivityTimeout(signal, this.inactivityTimeoutMs, async (requestSignal, alive) => {
      const res = await sendRequest(this.kubeConfig, url, { method: "GET", signal: requestSignal, use: "control" });
      const body = await readBody(res, alive);
      if (res.statusCode !== 200) throw apiErrorFromResponse(res, body);
      this.counters.listPages++;
      return parseListPage<T>(body);
    });
  }

  /** Resolves true when the server ended the watch after delivering something. */
  private watch(resourceVersion: string, signal: AbortSignal): Promise<boolean> {
    const timeoutSeconds = Math.floor(this.watchTimeoutSeconds * (1 + Math.random()));
    const url = this.url({ watch: "true", resourceVersion, allowWatchBookmarks: "true", timeoutSeconds: timeoutSeconds.toString() });
    this.counters.watchesStarted++;
    return withInactivityTimeout(signal, this.inactivityTimeoutMs, async (requestSignal, alive) => {
      const res = await sendRequest(this.kubeConfig, url, { method: "GET", signal: requestSignal, use: "control" });
      if (res.statusCode !== 200) throw apiErrorFromResponse(res, await readBody(res, alive));
      let delivered = false;
      for await (const line of lines(res)) {
        this.apply(parseWatchLine<T>(line));
        // A watch that delivers is healthy: whatever ends it next starts again from the first step.
        this.failures = 0;
        delivered = true;
        alive();
      }
      return delivered;
    });
  }

  private apply(event: WatchEvent<T>): void {
    if (event.type === "ERROR") throw event.error;
    if (event.type !== "BOOKMARK") this.emit(applyWatchEvent(this.cache, event.type, event.object));
    this.resourceVersion = event.resourceVersion;
  }

  private url(params: Record<string, string | undefined>): URL {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error("the kubeconfig has no current cluster");
    const url = new URL(server.replace(/\/+$/, "") + this.path);
    for (const [name, value] of Object.entries({ ...this.selectors, ...params })) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url;
  }

  private emit(events: readonly InformerEvent<T>[]): void {
    for (const event of events) {
      for (const handler of this.handlers) this.deliver(handler, event);
    }
  }

  private deliver(handler: InformerHandler<T>, event: InformerEvent<T>): void {
    if (this.stopped()) return;
    try {
      if (event.type === "add") handler.onAdd?.(event.obj);
      else if (event.type === "update") handler.onUpdate?.(event.obj, event.old);
      else handler.onDelete?.(event.obj);
    } catch (err) {
      this.log.error({ err, key: objectKey(event.obj), event: event.type }, "informer handler threw");
    }
  }
}

/** `namespace/name`, or `name` for a cluster-scoped object. */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? "";
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Exponential, capped, with "equal jitter": never below half the step, so a failing server is not
 * hammered, yet informers that failed together do not retry together. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  return step / 2 + (random() * step) / 2;
}

/** What handlers must hear when `old` is replaced by `obj` under the same key: nothing if the
 * resourceVersion did not change (a relist re-reading it); a delete and an add if the object was
 * deleted and re-created under the same name (a new uid) while we were not watching. */
function changeEvents<T extends KubernetesObject>(old: T | undefined, obj: T): InformerEvent<T>[] {
  if (old === undefined) return [{ type: "add", obj }];
  if (old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return [];
  if (old.metadata?.uid !== obj.metadata?.uid) return [{ type: "delete", obj: old }, { type: "add", obj }];
  return [{ type: "update", obj, old }];
}

/** Applies one watch event to the cache and returns what to tell the handlers. */
export function applyWatchEvent<T extends KubernetesObject>(cache: Map<string, T>, type: "ADDED" | "MODIFIED" | "DELETED", obj: T): InformerEvent<T>[] {
  const key = objectKey(obj);
  if (type === "DELETED") {
    cache.delete(key);
    return [{ type: "delete", obj }];
  }
  const old = cache.get(key);
  cache.set(key, obj);
  return changeEvents(old, obj);
}

/** The cache a fresh list implies, and the events that turn the old cache into it: whatever
 * changed while the watch was down, deletions included, reaches handlers as if it had been
 * watched. */
export function reconcileWithList<T extends KubernetesObject>(cache: ReadonlyMap<string, T>, items: readonly T[]): { cache: Map<string, T>; events: InformerEvent<T>[] } {
  const next = new Map<string, T>();
  const events: InformerEvent<T>[] = [];
  for (const obj of items) {
    const key = objectKey(obj);
    next.set(key, obj);
    events.push(...changeEvents(cache.get(key), obj));
  }
  for (const [key, old] of cache) {
    if (!next.has(key)) events.push({ type: "delete", obj: old });
  }
  return { cache: next, events };
}

export type WatchEvent<T> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T; resourceVersion: string }
  | { type: "BOOKMARK"; resourceVersion: string }
  | { type: "ERROR"; error: KubernetesApiError };

/** Parses one line of a watch stream; anything malformed throws, so the watch restarts from the
 * last event it applied instead of skipping one. */
export function parseWatchLine<T extends KubernetesObject>(line: string): WatchEvent<T> {
  const event: unknown = JSON.parse(line);
  if (!isRecord(event) || !isRecord(event.object)) throw new SyntaxError(`not a watch event: ${line.slice(0, 200)}`);
  const { type, object } = event;
  if (type === "ERROR") return { type, error: apiErrorFromStatus(object, 500, undefined) };
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const { resourceVersion, name } = metadata;
  if (typeof resourceVersion !== "string") throw new SyntaxError(`watch event without a resourceVersion: ${line.slice(0, 200)}`);
  if (type === "BOOKMARK") return { type, resourceVersion };
  if ((type === "ADDED" || type === "MODIFIED" || type === "DELETED") && typeof name === "string") {
    return { type, object: withoutManagedFields(object) as T, resourceVersion };
  }
  throw new SyntaxError(`unexpected watch event: ${line.slice(0, 200)}`);
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continue: string | undefined;
}

/** Parses a list response. Items of built-in kinds come without apiVersion and kind (watch events
 * carry them): they are filled in from the list's, so handlers see one shape whatever the source. */
export function parseListPage<T extends KubernetesObject>(body: string): ListPage<T> {
  const list: unknown = JSON.parse(body);
  if (!isRecord(list) || !Array.isArray(list.items) || !isRecord(list.metadata) || typeof list.metadata.resourceVersion !== "string") {
    throw new SyntaxError(`not a list: ${body.slice(0, 200)}`);
  }
  const apiVersion = typeof list.apiVersion === "string" ? list.apiVersion : undefined;
  const kind = typeof list.kind === "string" && list.kind.endsWith("List") ? list.kind.slice(0, -"List".length) : undefined;
  const items = (list.items as unknown[]).map((item) => {
    if (!isRecord(item)) throw new SyntaxError("a list item is not an object");
    return { apiVersion, kind, ...withoutManagedFields(item) } as T;
  });
  const token = list.metadata.continue;
  return { items, resourceVersion: list.metadata.resourceVersion, continue: typeof token === "string" && token !== "" ? token : undefined };
}

/**
 * The object without metadata.managedFields: no handler reads them and they are over half of a
 * typical object, so keeping them would double the cache (client-go's informers drop them the
 * same way, with TransformStripManagedFields).
 */
function withoutManagedFields(obj: Record<string, unknown>): Record<string, unknown> {
  if (!isRecord(obj.metadata) || !("managedFields" in obj.metadata)) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isGone(err: unknown): boolean {
  return err instanceof KubernetesApiError && err.code === 410;
}

async function readBody(res: IncomingMessage, alive: () => void): Promise<string> {
  res.setEncoding("utf8");
  let body = "";
  for await (const chunk of res as AsyncIterable<string>) {
    body += chunk;
    alive();
  }
  return body;
}

async function* lines(res: IncomingMessage): AsyncGenerator<string> {
  res.setEncoding("utf8");
  let buffered = "";
  for await (const chunk of res as AsyncIterable<string>) {
    buffered += chunk;
    let end = buffered.indexOf("\n");
    while (end >= 0) {
      const line = buffered.slice(0, end).trim();
      buffered = buffered.slice(end + 1);
      if (line !== "") yield line;
      end = buffered.indexOf("\n");
    }
  }
  // A stream that ends mid-line was cut, whatever the transport said.
  if (buffered.trim() !== "") throw new SyntaxError("watch stream ended in the middle of an event");
}

/**
 * Runs one request under a watchdog: `work` calls `alive()` whenever data arrives, and if none
 * arrives for `idleMs` the request is aborted with an InactivityError. The race against the abort
 * (rather than trusting `work` to notice it) guarantees a return even if a stalled step, such as
 * an exec credential plugin or a half-open socket, never settles.
 */
async function withInactivityTimeout<R>(outer: AbortSignal, idleMs: number, work: (signal: AbortSignal, alive: () => void) => Promise<R>): Promise<R> {
  const controller = new AbortController();
  const { signal } = controller;
  // A listener removed below rather than AbortSignal.any, whose dependents some Node 20 releases
  // keep alive for as long as the long-lived outer signal.
  const forwardStop = (): void => {
    controller.abort(outer.reason);
  };
  if (outer.aborted) forwardStop();
  else outer.addEventListener("abort", forwardStop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      controller.abort(new InactivityError(idleMs));
    }, idleMs);
  };
  alive();
  const aborted = rejectOnAbort(signal);
  const running = work(signal, alive);
  // Whichever loses the race settles later with nobody listening.
  aborted.catch(() => undefined);
  running.catch(() => undefined);
  try {
    return await Promise.race([running, aborted]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener("abort", forwardStop);
    controller.abort();
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}
