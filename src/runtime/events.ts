import type { Logger } from "pino";
import type { ManagedObject } from "./driver.js";
import { FIELD_MANAGER } from "./identity.js";
import type { KubeClient } from "./kube-client.js";

export interface EventRecorder {
  normal(obj: ManagedObject, reason: string, message: string): void;
  warning(obj: ManagedObject, reason: string, message: string): void;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
}

const COMPONENT = FIELD_MANAGER;

const eventsPath = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
/** Repeats of one event within this window bump a count instead of adding an object, as kubelet does. */
const AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
const MAX_MESSAGE = 1024;

/**
 * Records core/v1 Events for `kubectl describe`. Fire and forget: an event that cannot be written
 * is logged, never allowed to fail a reconcile.
 */
export function kubeEventRecorder(kube: KubeClient, logger: Logger): EventRecorder {
  const recent = new Map<string, Recorded & { at: number }>();

  const record = async (obj: ManagedObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void> => {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = `${obj.metadata.uid}\0${type}\0${reason}\0${text}`;
    const now = new Date();
    const seen = recent.get(key);
    if (seen && now.getTime() - seen.at < AGGREGATION_WINDOW_MS) {
      seen.count += 1;
      seen.at = now.getTime();
      await kube
        .request({ method: "PATCH", path: `${eventsPath(seen.namespace)}/${encodeURIComponent(seen.name)}`, body: { count: seen.count, lastTimestamp: now.toISOString() }, patchType: "application/merge-patch+json" })
        .catch(() => undefined);
      return;
    }
    const event = {
      metadata: { generateName: `${obj.metadata.name}.`, namespace: obj.metadata.namespace },
      involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
      type,
      reason,
      message: text,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: process.env.HOSTNAME ?? COMPONENT,
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      count: 1,
    };
    const created = await kube.request<{ metadata?: { name?: string } }>({ method: "POST", path: eventsPath(obj.metadata.namespace), body: event });
    recent.set(key, { name: created.metadata?.name ?? "", namespace: obj.metadata.namespace, count: 1, at: now.getTime() });
    if (recent.size > 10_000) recent.delete(recent.keys().next().value ?? "");
  };

  const emit = (obj: ManagedObject, type: "Normal" | "Warning", reason: string, message: string): void => {
    logger[type === "Normal" ? "info" : "warn"]({ event: reason }, message);
    record(obj, type, reason, message).catch((err: unknown) => {
      logger.warn({ err }, "could not record event");
    });
  };
  return {
    normal: (obj, reason, message) => {
      emit(obj, "Normal", reason, message);
    },
    warning: (obj, reason, message) => {
      emit(obj, "Warning", reason, message);
    },
  };
}
