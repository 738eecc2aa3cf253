import { describe, expect, it } from "vitest";
import { RuntimeStatus, type Store, type StoreEvent } from "../store/store.js";
import { watchInstance, type InstanceChange } from "./instance-watch.js";

/** The part of a store that watching uses: its event subscription. */
function eventSource() {
  const listeners = new Set<(event: StoreEvent) => void>();
  const store = {
    subscribe(listener: (event: StoreEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as Store;
  const emit = (event: StoreEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  return { store, listeners, emit };
}

describe("watchInstance", () => {
  it("hands each status event to the watches of its own instance, through one subscription", () => {
    const { store, listeners, emit } = eventSource();
    const seen: Array<[string, InstanceChange]> = [];
    const stopA1 = watchInstance(store, "a", (change) => seen.push(["a1", change]));
    const stopA2 = watchInstance(store, "a", (change) => seen.push(["a2", change]));
    const stopB = watchInstance(store, "b", (change) => seen.push(["b", change]));
    expect(listeners.size).toBe(1);

    emit({ kind: "instance", instanceId: "a", status: RuntimeStatus.Running });
    emit({ kind: "work", queue: "instances" });
    emit({ kind: "instance", instanceId: "c", status: RuntimeStatus.Completed });
    expect(seen).toEqual([
      ["a1", { status: "Running", record: undefined }],
      ["a2", { status: "Running", record: undefined }],
    ]);

    stopA1();
    stopA1();
    emit({ kind: "instance", instanceId: "a", status: RuntimeStatus.Completed });
    emit({ kind: "instance", instanceId: "b", status: RuntimeStatus.Failed });
    expect(seen.slice(2).map(([who, change]) => [who, change.status])).toEqual([
      ["a2", "Completed"],
      ["b", "Failed"],
    ]);

    stopA2();
    expect(listeners.size).toBe(1);
    stopB();
    expect(listeners.size).toBe(0);
  });

  it("subscribes again for a watch that starts after the last one stopped", () => {
    const { store, listeners, emit } = eventSource();
    watchInstance(store, "a", () => undefined)();
    expect(listeners.size).toBe(0);
    const seen: string[] = [];
    const stop = watchInstance(store, "a", (change) => seen.push(change.status));
    emit({ kind: "instance", instanceId: "a", status: RuntimeStatus.Terminated });
    expect(seen).toEqual(["Terminated"]);
    stop();
    expect(listeners.size).toBe(0);
  });

  it("keeps the watches of different stores apart", () => {
    const one = eventSource();
    const two = eventSource();
    const seen: string[] = [];
    const stopOne = watchInstance(one.store, "a", () => seen.push("one"));
    const stopTwo = watchInstance(two.store, "a", () => seen.push("two"));
    two.emit({ kind: "instance", instanceId: "a", status: RuntimeStatus.Running });
    expect(seen).toEqual(["two"]);
    stopOne();
    stopTwo();
  });
});
