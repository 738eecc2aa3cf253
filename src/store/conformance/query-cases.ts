/**
 * Conformance: what an instance browser asks of a store — pages in both creation orders, counts
 * by status under a filter, and history read from a position.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../core/errors.js";
import type { QueryOptions, Store } from "../store.js";
import { WORKER, commitFor, createAndLease, createFinished, raised, startRequest, useStore, type StoreFactory } from "./fixtures.js";

/** Every id of the query, page after page. */
async function allPages(store: Store, options: QueryOptions): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await store.queryInstances({ ...options, continuationToken: token });
    ids.push(...page.instances.map((i) => i.instanceId));
    token = page.continuationToken;
    pages += 1;
  } while (token !== undefined);
  return { ids, pages };
}

export function queryCases(factory: StoreFactory): void {
  describe("queryInstances in both orders", () => {
    const h = useStore(factory);

    it("pages oldest first with order asc, ties broken by ascending instance id", async () => {
      const { store, clock } = h;
      for (let i = 0; i < 7; i++) {
        await store.createInstance(startRequest(`i-${i}`));
        if (i % 3 === 2) clock.advance(1);
      }
      const oldest = await allPages(store, { pageSize: 3, order: "asc" });
      expect(oldest).toEqual({ ids: ["i-0", "i-1", "i-2", "i-3", "i-4", "i-5", "i-6"], pages: 3 });
      const newest = await allPages(store, { pageSize: 3, order: "desc" });
      expect(newest.ids).toEqual([...oldest.ids].reverse());
      expect((await allPages(store, { pageSize: 2, order: "asc", statuses: ["Pending"], instanceIdPrefix: "i-1" })).ids).toEqual(["i-1"]);
    });

    it("refuses a token issued for the other order, and an unknown order", async () => {
      const { store } = h;
      for (let i = 0; i < 3; i++) await store.createInstance(startRequest(`i-${i}`));
      const desc = await store.queryInstances({ pageSize: 1 });
      const asc = await store.queryInstances({ pageSize: 1, order: "asc" });
      await expect(store.queryInstances({ order: "asc", continuationToken: desc.continuationToken })).rejects.toThrow(/issued for pages in "desc" order/);
      await expect(store.queryInstances({ continuationToken: asc.continuationToken })).rejects.toThrow(/issued for pages in "asc" order/);
      await expect(store.queryInstances({ order: "up" as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });

  describe("countInstances", () => {
    const h = useStore(factory);

    it("counts by status under every filter, one kind at a time", async () => {
      const { store, clock } = h;
      const t0 = clock.iso();
      await createFinished(store, "a-1", "Completed");
      await createFinished(store, "a-2", "Failed");
      clock.advance(1000);
      await createFinished(store, "b-1", "Completed", {}, { name: "Other" });
      await store.createInstance(startRequest("b-2"));
      await store.sendMessages([{ instanceId: "@counter@x", event: raised("op"), ensureInstance: { name: "counter", kind: "entity" } }]);
      expect(await store.countInstances({})).toStrictEqual({ Completed: 2, Failed: 1, Pending: 1 });
      expect(await store.countInstances({ statuses: ["Completed", "Running"] })).toStrictEqual({ Completed: 2 });
      expect(await store.countInstances({ name: "Other" })).toStrictEqual({ Completed: 1 });
      expect(await store.countInstances({ instanceIdPrefix: "a-" })).toStrictEqual({ Completed: 1, Failed: 1 });
      expect(await store.countInstances({ createdTo: t0 })).toStrictEqual({ Completed: 1, Failed: 1 });
      expect(await store.countInstances({ createdFrom: clock.iso() })).toStrictEqual({ Completed: 1, Pending: 1 });
      expect(await store.countInstances({ kind: "entity" })).toStrictEqual({ Running: 1 });
      expect(await store.countInstances({ instanceIdPrefix: "zzz" })).toStrictEqual({});
    });
  });

  describe("getHistory from a position", () => {
    const h = useStore(factory);

    it("reads sequence numbers as positions: after n skips the first n events, across episodes", async () => {
      const { store } = h;
      const item = await createAndLease(store, "a");
      const first = [raised("e0"), raised("e1"), raised("e2")];
      await store.commitOrchestration(item, commitFor(item, { history: first }));
      expect(await store.getHistory("a", { after: 2 })).toStrictEqual({ events: [raised("e2")] });
      await store.sendMessages([{ instanceId: "a", event: raised("more") }]);
      const next = (await store.leaseOrchestration(WORKER))!;
      await store.commitOrchestration(next, commitFor(next, { history: [raised("e3")] }));
      expect(await store.getHistory("a", { after: 3 })).toStrictEqual({ events: [raised("e3")] });
      expect(await store.getHistory("a", { after: 4 })).toStrictEqual({ events: [] });
    });
  });
}
