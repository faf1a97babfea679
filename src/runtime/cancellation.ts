import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The cancellation of the reconcile in progress, carried implicitly through its async calls so
 * that every outgoing request (AWS, Kubernetes) can be aborted when the reconcile is: on shutdown
 * after a grace period, and at once when the leader lease is lost (another replica may already be
 * writing). Explicit signals in every driver signature would be noise in every call.
 */
const current = new AsyncLocalStorage<AbortSignal>();

export function runCancellable<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  return current.run(signal, work);
}

/** The signal of the reconcile this code runs in, if any. */
export function currentSignal(): AbortSignal | undefined {
  return current.getStore();
}

/** A reconcile was cancelled: nothing is wrong with the object, and nothing more is written. */
export class CancelledError extends Error {
  constructor(reason?: unknown) {
    super(`cancelled${reason instanceof Error ? `: ${reason.message}` : ""}`);
    this.name = "CancelledError";
  }
}

export function isCancelled(): boolean {
  return currentSignal()?.aborted === true;
}

export function throwIfCancelled(): void {
  const signal = currentSignal();
  if (signal?.aborted) throw new CancelledError(signal.reason);
}

/**
 * A signal that aborts when `parent` does or after `timeoutMs`, whichever is first, and a dispose
 * function that must be called when the request ends. A listener is used rather than
 * AbortSignal.any, whose dependents some Node 20 releases keep alive as long as a long-lived parent.
 */
export function deadline(parent: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const forward = (): void => {
    controller.abort(parent?.reason);
  };
  if (parent?.aborted) forward();
  else parent?.addEventListener("abort", forward, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", forward);
    },
  };
}

/**
 * Waits for `work` unless the current reconcile is cancelled first (then rejects with
 * CancelledError; `work` goes on unobserved). For waits that take no signal themselves.
 */
export async function unlessCancelled<T>(work: Promise<T>): Promise<T> {
  const signal = currentSignal();
  if (!signal) return work;
  if (signal.aborted) throw new CancelledError(signal.reason);
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(new CancelledError(signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
