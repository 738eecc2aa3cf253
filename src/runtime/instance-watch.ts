/**
 * Waits on instances share one store subscription per store: each status event goes to the waits
 * on its own instance, looked up by id. A subscription per wait would hand every event to every
 * wait, so that a thousand waits made each commit a thousand calls.
 *
 * @module
 */
import type { InstanceRecord, RuntimeStatus, Store } from "../store/store.js";

/** A status change of one instance, as the store announced it. */
export interface InstanceChange {
  readonly status: RuntimeStatus;
  /** The instance as the commit left it, when the store had it at hand. */
  readonly record?: InstanceRecord | undefined;
}

type Watch = (change: InstanceChange) => void;

interface Watchers {
  readonly byInstance: Map<string, Set<Watch>>;
  readonly unsubscribe: () => void;
}

const watched = new WeakMap<Store, Watchers>();

/** Calls `watch` at each status change of `instanceId` announced by `store`; returns the function that stops it. */
export function watchInstance(store: Store, instanceId: string, watch: Watch): () => void {
  let watchers = watched.get(store);
  if (watchers === undefined) {
    const byInstance = new Map<string, Set<Watch>>();
    const unsubscribe = store.subscribe((event) => {
      if (event.kind !== "instance") return;
      const set = byInstance.get(event.instanceId);
      if (set === undefined) return;
      const change: InstanceChange = { status: event.status, record: event.record };
      for (const w of [...set]) w(change);
    });
    watchers = { byInstance, unsubscribe };
    watched.set(store, watchers);
  }
  const { byInstance } = watchers;
  let set = byInstance.get(instanceId);
  if (set === undefined) byInstance.set(instanceId, (set = new Set()));
  set.add(watch);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    set.delete(watch);
    if (set.size > 0) return;
    byInstance.delete(instanceId);
    if (byInstance.size > 0 || watched.get(store) !== watchers) return;
    // The last wait on this store: nothing is left subscribed to it.
    watched.delete(store);
    watchers.unsubscribe();
  };
}
