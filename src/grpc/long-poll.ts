/**
 * Waiting for an instance to reach a state, for WaitForInstanceStart / WaitForInstanceCompletion.
 *
 * Invariants kept here:
 * 1. The wait ends when the condition holds, when the instance does not exist, or when the caller
 *    goes away (cancel, deadline, closed connection): it never outlives its call, with or without
 *    a deadline (the JavaScript SDK sets none and races its own timer).
 * 2. It watches the store's events for the instance and stops watching on every
 *    exit; a slow poll (up to 1 s) covers stores whose events do not cross processes.
 *
 * @module
 */
import { watchInstance } from "../runtime/instance-watch.js";
import type { InstanceRecord, Store } from "../store/store.js";

const MAX_POLL_MS = 1000;

/**
 * Resolves with the record once `done(record)` holds, undefined when there is no such instance,
 * or "cancelled" once `signal` aborts.
 */
export async function waitForInstance(
  store: Store,
  instanceId: string,
  done: (record: InstanceRecord) => boolean,
  signal: AbortSignal,
): Promise<InstanceRecord | undefined | "cancelled"> {
  let wake: (() => void) | undefined;
  const unsubscribe = watchInstance(store, instanceId, () => wake?.());
  try {
    let pollMs = 10;
    for (;;) {
      if (signal.aborted) return "cancelled";
      const record = await store.getInstance(instanceId);
      if (record === undefined || record.kind !== "orchestration") return undefined;
      if (done(record)) return record;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          signal.removeEventListener("abort", finish);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(finish, pollMs);
        signal.addEventListener("abort", finish, { once: true });
        wake = finish;
      });
      pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
    }
  } finally {
    unsubscribe();
  }
}
