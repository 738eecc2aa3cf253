/**
 * Conformance: orchestration versions. A worker is handed only the instances of the versions it
 * runs (and, for the workers that fail what nobody runs, only the others); queries filter by
 * version; running workers register what they run, until their registration expires.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../core/errors.js";
import type { VersionFilter } from "../store.js";
import { RecordingStepper, WORKER, commitFor, raised, startRequest, useStore, type StoreFactory } from "./fixtures.js";

export function versionCases(factory: StoreFactory): void {
  describe("versions", () => {
    const h = useStore(factory);

    /** Flow without a version, Flow 1, Flow 2, Other 9 and an entity, each with a message. */
    async function seed(): Promise<void> {
      const { store, clock } = h;
      await store.createInstance(startRequest("plain", { name: "Flow" }));
      clock.advance(1);
      await store.createInstance(startRequest("v1", { name: "Flow", version: "1" }));
      clock.advance(1);
      await store.createInstance(startRequest("v2", { name: "FLOW", version: "2" }));
      clock.advance(1);
      await store.createInstance(startRequest("other", { name: "Other", version: "9" }));
      clock.advance(1);
      await store.sendMessages([{ instanceId: "@counter@k", event: raised("op"), ensureInstance: { name: "counter", kind: "entity" } }]);
    }

    async function stepped(versions: VersionFilter | undefined, only?: { orchestrations: string[]; entities: string[] }): Promise<string[]> {
      const stepper = new RecordingStepper((w) => commitFor(w, { history: [w.messages[0]!.event] }));
      await h.store.stepOrchestration(stepper, { ...WORKER, maxInstances: 10, versions, only });
      return stepper.calls.map((c) => c.instance.instanceId).sort();
    }

    it("hands out the listed versions of the listed names, and every instance of other names and entities", async () => {
      await seed();
      expect(await stepped({ allowed: { Flow: ["", "2"] } })).toEqual(["@counter@k", "other", "plain", "v2"]);
      // The instance on a version the worker lacks waits for a worker that has it.
      expect(await stepped({ allowed: { flow: ["1"] } })).toEqual(["v1"]);
    });

    it("with complement, hands out only the listed names' instances on versions not listed", async () => {
      await seed();
      expect(await stepped({ allowed: { flow: ["", "2"] }, complement: true })).toEqual(["v1"]);
      expect(await stepped({ allowed: { flow: ["", "1", "2"] }, complement: true })).toEqual([]);
      expect((await h.store.getInstance("v1"))?.status).toBe("Running");
    });

    it("combines versions with names", async () => {
      await seed();
      const only = { orchestrations: ["flow"], entities: [] };
      expect(await stepped({ allowed: { flow: ["1", "2"] } }, only)).toEqual(["v1", "v2"]);
    });

    it("compares versions exactly and tells no version from an empty one", async () => {
      const { store } = h;
      await store.createInstance(startRequest("dotted", { name: "Flow", version: "2.0" }));
      expect(await stepped({ allowed: { flow: ["2"] } })).toEqual([]);
      expect(await stepped({ allowed: { flow: [""] } })).toEqual([]);
      expect(await stepped({ allowed: { flow: ["2.0"] } })).toEqual(["dotted"]);
    });

    it("refuses a malformed filter, with nothing stepped", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      const stepper = new RecordingStepper((w) => commitFor(w));
      const bad = { allowed: { flow: "1" } } as unknown as VersionFilter;
      await expect(store.stepOrchestration(stepper, { ...WORKER, versions: bad })).rejects.toBeInstanceOf(InvalidArgumentError);
      const worse = { allowed: ["flow"] } as unknown as VersionFilter;
      await expect(store.stepOrchestration(stepper, { ...WORKER, versions: worse })).rejects.toThrow(/versions\.allowed/);
      expect(stepper.calls).toEqual([]);
    });

    it("filters queries and purges by version, \"\" matching instances without one", async () => {
      await seed();
      const ids = async (version: string) =>
        (await h.store.queryInstances({ version })).instances.map((i) => i.instanceId).sort();
      expect(await ids("1")).toEqual(["v1"]);
      expect(await ids("")).toEqual(["plain"]);
      expect(await ids("3")).toEqual([]);
      expect((await h.store.getInstance("v2"))?.version).toBe("2");
      expect((await h.store.getInstance("plain"))?.version).toBeUndefined();
    });

    it("keeps worker registrations until they expire, renewed or removed", async () => {
      const { store, clock } = h;
      await store.registerWorker({ workerId: "w1", orchestrations: [{ name: "Flow", version: "1" }], ttlMs: 1000 });
      await store.registerWorker({ workerId: "w2", orchestrations: [{ name: "flow", version: "" }], ttlMs: 5000 });
      expect((await store.listWorkers()).map((w) => [w.workerId, w.orchestrations])).toEqual([
        ["w1", [{ name: "flow", version: "1" }]],
        ["w2", [{ name: "flow", version: "" }]],
      ]);
      clock.advance(1000);
      expect((await store.listWorkers()).map((w) => w.workerId)).toEqual(["w2"]);
      await store.registerWorker({ workerId: "w1", orchestrations: [{ name: "Flow", version: "2" }], ttlMs: 1000 });
      const [w1] = await store.listWorkers();
      expect(w1).toMatchObject({ workerId: "w1", orchestrations: [{ name: "flow", version: "2" }], expiresAt: clock.iso(1000) });
      await store.unregisterWorker("w1");
      await store.unregisterWorker("nobody");
      expect((await store.listWorkers()).map((w) => w.workerId)).toEqual(["w2"]);
    });

    it("refuses a malformed registration", async () => {
      const { store } = h;
      await expect(store.registerWorker({ workerId: "", orchestrations: [], ttlMs: 1000 })).rejects.toBeInstanceOf(InvalidArgumentError);
      const bad = { workerId: "w", orchestrations: [{ name: "flow" }], ttlMs: 1000 } as never;
      await expect(store.registerWorker(bad)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.registerWorker({ workerId: "w", orchestrations: [], ttlMs: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await store.listWorkers()).toEqual([]);
    });
  });
}
