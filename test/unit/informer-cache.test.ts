import { describe, expect, it } from "vitest";
import { applyWatchEvent, KubernetesApiError, objectKey, parseListPage, parseWatchLine, reconcileWithList, type InformerEvent } from "../../src/runtime/informer.js";

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
}

const cm = (name: string, resourceVersion: string, uid = `uid-${name}`): Obj => ({ metadata: { name, namespace: "ns", resourceVersion, uid } });
const cacheOf = (...objs: Obj[]): Map<string, Obj> => new Map(objs.map((o) => [objectKey(o), o]));
const summary = (events: InformerEvent<Obj>[]): string[] =>
  events.map((e) => `${e.type} ${objectKey(e.obj)}@${e.obj.metadata.resourceVersion ?? ""}${e.type === "update" ? ` (was @${e.old.metadata.resourceVersion ?? ""})` : ""}`);

describe("objectKey", () => {
  it("is namespace/name, or the name alone for cluster-scoped objects", () => {
    expect(objectKey(cm("a", "1"))).toBe("ns/a");
    const node: Obj = { metadata: { name: "node-1" } };
    expect(objectKey(node)).toBe("node-1");
  });
});

describe("reconcileWithList", () => {
  it("turns the old cache into the listed one with add, update and delete events", () => {
    const old = cacheOf(cm("kept", "1"), cm("changed", "2"), cm("gone", "3"));
    const { cache, events } = reconcileWithList(old, [cm("kept", "1"), cm("changed", "7"), cm("new", "8")]);
    expect(summary(events)).toEqual(["update ns/changed@7 (was @2)", "add ns/new@8", "delete ns/gone@3"]);
    expect([...cache.keys()]).toEqual(["ns/kept", "ns/changed", "ns/new"]);
    expect(old.size).toBe(3);
  });

  it("says nothing when a relist finds what the cache holds", () => {
    const objs = [cm("a", "1"), cm("b", "2")];
    expect(reconcileWithList(cacheOf(...objs), objs.map((o) => structuredClone(o))).events).toEqual([]);
  });

  it("delivers an object deleted and re-created under the same name as a delete and an add", () => {
    const { events } = reconcileWithList(cacheOf(cm("a", "1", "uid-old")), [cm("a", "5", "uid-new")]);
    expect(events.map((e) => `${e.type} ${e.obj.metadata.uid ?? ""}`)).toEqual(["delete uid-old", "add uid-new"]);
  });

  it("on the first list, adds everything", () => {
    expect(summary(reconcileWithList(new Map(), [cm("a", "1"), cm("b", "2")]).events)).toEqual(["add ns/a@1", "add ns/b@2"]);
  });
});

describe("applyWatchEvent", () => {
  it("adds, updates and deletes, and keeps the cache in step", () => {
    const cache = new Map<string, Obj>();
    expect(summary(applyWatchEvent(cache, "ADDED", cm("a", "1")))).toEqual(["add ns/a@1"]);
    expect(summary(applyWatchEvent(cache, "MODIFIED", cm("a", "2")))).toEqual(["update ns/a@2 (was @1)"]);
    expect(cache.get("ns/a")?.metadata.resourceVersion).toBe("2");
    expect(summary(applyWatchEvent(cache, "DELETED", cm("a", "3")))).toEqual(["delete ns/a@3"]);
    expect(cache.size).toBe(0);
  });

  it("suppresses an event whose resourceVersion the cache already holds", () => {
    const cache = cacheOf(cm("a", "4"));
    expect(applyWatchEvent(cache, "ADDED", cm("a", "4"))).toEqual([]);
  });
});

describe("parseWatchLine", () => {
  it("reads object events and bookmarks with their resourceVersion", () => {
    const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", resourceVersion: "12" } };
    expect(parseWatchLine(JSON.stringify({ type: "MODIFIED", object: obj }))).toEqual({ type: "MODIFIED", object: obj, resourceVersion: "12" });
    expect(parseWatchLine(JSON.stringify({ type: "BOOKMARK", object: { kind: "ConfigMap", metadata: { resourceVersion: "40" } } }))).toEqual({ type: "BOOKMARK", resourceVersion: "40" });
  });

  it("drops metadata.managedFields, which no handler reads, and keeps the rest of the metadata", () => {
    const managedFields = [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }];
    const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", resourceVersion: "12", uid: "u", managedFields }, data: { k: "v" } };
    const event = parseWatchLine(JSON.stringify({ type: "ADDED", object: obj }));
    expect(event).toEqual({ type: "ADDED", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", resourceVersion: "12", uid: "u" }, data: { k: "v" } }, resourceVersion: "12" });
    const page = parseListPage(JSON.stringify({ apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: "13" }, items: [obj] }));
    expect(page.items[0]?.metadata).toEqual({ name: "a", namespace: "ns", resourceVersion: "12", uid: "u" });
  });

  it("turns an ERROR event into an error with the Status code", () => {
    const event = parseWatchLine(JSON.stringify({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 5 (90)" } }));
    expect(event.type).toBe("ERROR");
    const error = event.type === "ERROR" ? event.error : undefined;
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error).toMatchObject({ code: 410, reason: "Expired", message: "too old resource version: 5 (90)" });
  });

  it("throws on anything malformed rather than skipping it", () => {
    expect(() => parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"a"')).toThrow(SyntaxError);
    expect(() => parseWatchLine(JSON.stringify({ type: "ADDED", object: { metadata: { name: "a" } } }))).toThrow(/resourceVersion/);
    expect(() => parseWatchLine(JSON.stringify({ type: "SURPRISE", object: { metadata: { name: "a", resourceVersion: "1" } } }))).toThrow(/unexpected/);
    expect(() => parseWatchLine("[]")).toThrow(/not a watch event/);
  });
});

describe("parseListPage", () => {
  it("fills in the items' apiVersion and kind from the list's, and reads the continue token", () => {
    const page = parseListPage(
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: "9", continue: "abc" }, items: [{ metadata: { name: "a", resourceVersion: "3" } }] }),
    );
    expect(page).toEqual({ resourceVersion: "9", continue: "abc", items: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", resourceVersion: "3" } }] });
  });

  it("treats an empty continue token as the last page, and keeps an item's own kind", () => {
    const page = parseListPage(
      JSON.stringify({ apiVersion: "g/v1", kind: "WidgetList", metadata: { resourceVersion: "9", continue: "" }, items: [{ apiVersion: "g/v1", kind: "Widget", metadata: { name: "w" } }] }),
    );
    expect(page.continue).toBeUndefined();
    expect(page.items[0]?.kind).toBe("Widget");
  });

  it("rejects what is not a list", () => {
    expect(() => parseListPage(JSON.stringify({ kind: "Status", code: 500 }))).toThrow(/not a list/);
  });
});
