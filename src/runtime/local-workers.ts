/**
 * Workers running in this process, by the store object they run on. A client starting an
 * orchestration on that store hands the start to one of them, which runs the first episode in the
 * start's own transaction: one commit fewer per orchestration, and the start's tasks go straight
 * to that worker's activity slots.
 *
 * @module
 */
import type { CreateInstanceRequest, Store } from "../store/store.js";

/** A running worker that can take a start. */
export interface LocalStarter {
  /** Creates the instance and runs its first episode; undefined when this worker does not take it. */
  start(request: CreateInstanceRequest): Promise<void> | undefined;
}

const running = new WeakMap<Store, Set<LocalStarter>>();

export function registerLocalStarter(store: Store, starter: LocalStarter): () => void {
  let set = running.get(store);
  if (set === undefined) running.set(store, (set = new Set()));
  set.add(starter);
  return () => {
    set.delete(starter);
  };
}

/**
 * Creates the instance through a worker of this process on `store` when one takes it (it runs the
 * first episode in the same transaction), otherwise as a plain start.
 */
export async function startInstance(store: Store, request: CreateInstanceRequest): Promise<void> {
  for (const starter of running.get(store) ?? []) {
    const started = starter.start(request);
    if (started !== undefined) return started;
  }
  await store.createInstance(request);
}
