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
export const AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
/** Events remembered for aggregation at most (the oldest go first). */
const MAX_REMEMBERED = 10_000;
const MAX_MESSAGE = 1024;

/**
 * Records core/v1 Events for `kubectl describe`. Fire and forget: an event that cannot be written
 * is logged, never allowed to fail a reconcile.
 */
export function kubeEventRecorder(kube: KubeClient, logger: Logger, now: () => Date = () => new Date()): EventRecorder & { remembered(): number } {
  /** In order of last use, so that what is past the window is at the front. */
  const recent = new Map<string, Recorded & { at: number }>();
  /** Forgets what can no longer be aggregated: a fleet's worth of "Created" would otherwise stay for the life of the process. */
  const forgetOld = (at: number): void => {
    for (const [key, entry] of recent) {
      if (at - entry.at < AGGREGATION_WINDOW_MS && recent.size <= MAX_REMEMBERED) return;
      recent.delete(key);
    }
  };
  // A converged fleet records nothing for hours: look now and then too.
  setInterval(() => {
    forgetOld(now().getTime());
  }, AGGREGATION_WINDOW_MS).unref();

  const record = async (obj: ManagedObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void> => {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = `${obj.metadata.uid}\0${type}\0${reason}\0${text}`;
    const time = now();
    forgetOld(time.getTime());
    const seen = recent.get(key);
    if (seen) {
      seen.count += 1;
      seen.at = time.getTime();
      recent.delete(key);
      recent.set(key, seen);
      await kube
        .request({ method: "PATCH", path: `${eventsPath(seen.namespace)}/${encodeURIComponent(seen.name)}`, body: { count: seen.count, lastTimestamp: time.toISOString() }, patchType: "application/merge-patch+json" })
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
      firstTimestamp: time.toISOString(),
      lastTimestamp: time.toISOString(),
      count: 1,
    };
    const created = await kube.request<{ metadata?: { name?: string } }>({ method: "POST", path: eventsPath(obj.metadata.namespace), body: event });
    recent.set(key, { name: created.metadata?.name ?? "", namespace: obj.metadata.namespace, count: 1, at: time.getTime() });
    forgetOld(time.getTime());
  };

  const emit = (obj: ManagedObject, type: "Normal" | "Warning", reason: string, message: string): void => {
    logger[type === "Normal" ? "info" : "warn"]({ event: reason }, message);
    record(obj, type, reason, message).catch((err: unknown) => {
      logger.warn({ err }, "could not record event");
    });
  };
  return {
    remembered: () => recent.size,
    normal: (obj, reason, message) => {
      emit(obj, "Normal", reason, message);
    },
    warning: (obj, reason, message) => {
      emit(obj, "Warning", reason, message);
    },
  };
}
