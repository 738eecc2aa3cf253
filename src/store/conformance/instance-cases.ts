/**
 * Conformance: instance management — creation and id reuse, history pages, queries and purges.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../core/errors.js";
import { InstanceExistsError, InvalidInstanceStateError, LeaseLostError } from "../errors.js";
import type { InstanceFilter, Store } from "../store.js";
import {
  WORKER,
  commitFor,
  createAndLease,
  createFinished,
  peekInbox,
  raised,
  runningWithTask,
  startRequest,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

export function instanceCases(factory: StoreFactory): void {
  describe("createInstance and id reuse", () => {
    const h = useStore(factory);

    it("writes a Pending row and the start message", async () => {
      const { store, clock } = h;
      const parent = { name: "P", instanceId: "p", taskScheduledId: 3 };
      const request = startRequest("a", { name: "Flow", version: "2", input: '{"n":1}', parent });
      await store.createInstance(request);
      const row = await store.getInstance("a");
      expect(row).toStrictEqual({
        instanceId: "a",
        kind: "orchestration",
        name: "Flow",
        version: "2",
        executionId: "a-e1",
        status: "Pending",
        input: '{"n":1}',
        createdAt: clock.iso(),
        lastUpdatedAt: clock.iso(),
        parent,
      });
      const item = await store.leaseOrchestration(WORKER);
      expect(item?.messages).toMatchObject([{ instanceId: "a", executionId: "a-e1", event: request.startEvent }]);
      expect(await store.getInstance("missing")).toBeUndefined();
    });

    it("refuses a taken id under 'never', whatever the status", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      await createFinished(store, "done", "Completed");
      const pending = await store.createInstance(startRequest("a")).catch((e: unknown) => e);
      expect(pending).toBeInstanceOf(InstanceExistsError);
      expect(pending).toMatchObject({ instanceId: "a", status: "Pending" });
      await expect(store.createInstance(startRequest("done"))).rejects.toMatchObject({ status: "Completed" });
    });

    it("refuses a taken id under 'ifTerminal' while the instance is not terminal", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a", { input: '"first"' }));
      const request = startRequest("a", { reuse: "ifTerminal", executionId: "x", input: '"second"' });
      await expect(store.createInstance(request)).rejects.toBeInstanceOf(InstanceExistsError);
      expect(await store.getInstance("a")).toMatchObject({ executionId: "a-e1", input: '"first"' });
    });

    it("replaces a terminal instance under 'ifTerminal', with its history, messages and tasks", async () => {
      const { store, clock } = h;
      const { task } = await runningWithTask(store, "a");
      const item = await (async () => {
        await store.sendMessages([{ instanceId: "a", event: raised("x") }]);
        return store.leaseOrchestration(WORKER);
      })();
      await store.commitOrchestration(item!, commitFor(item!, { status: "Failed", failureDetails: { errorType: "E", errorMessage: "m" } }));
      await store.sendMessages([{ instanceId: "a", event: raised("stale") }]);
      clock.advance(10);
      await store.createInstance(startRequest("a", { reuse: "ifTerminal", executionId: "a-e2", input: '"new"' }));
      const row = await store.getInstance("a");
      expect(row).toMatchObject({ executionId: "a-e2", status: "Pending", input: '"new"', createdAt: clock.iso() });
      expect(row?.failureDetails).toBeUndefined();
      expect((await store.getHistory("a")).events).toEqual([]);
      expect((await peekInbox(store))?.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted"]);
      await expect(store.completeActivity(task, { ok: true })).rejects.toBeInstanceOf(LeaseLostError);
    });
  });

  describe("getHistory pages", () => {
    const h = useStore(factory);

    async function withHistory(store: Store, count: number) {
      const item = await createAndLease(store, "a");
      const events = Array.from({ length: count }, (_, i) => raised(`e${i}`));
      await store.commitOrchestration(item, commitFor(item, { history: events }));
      return events;
    }

    it("returns the whole history by default, in order", async () => {
      const events = await withHistory(h.store, 5);
      expect(await h.store.getHistory("a")).toStrictEqual({ events });
    });

    it("pages with next until the last page", async () => {
      const { store } = h;
      const events = await withHistory(store, 5);
      const first = await store.getHistory("a", { pageSize: 2 });
      expect(first.events).toStrictEqual(events.slice(0, 2));
      const second = await store.getHistory("a", { pageSize: 2, after: first.next });
      expect(second.events).toStrictEqual(events.slice(2, 4));
      const third = await store.getHistory("a", { pageSize: 2, after: second.next });
      expect(third).toStrictEqual({ events: events.slice(4) });
      const rest = await store.getHistory("a", { after: first.next });
      expect(rest.events).toStrictEqual(events.slice(2));
    });

    it("gives no next on a last page that is exactly full", async () => {
      const { store } = h;
      await withHistory(store, 4);
      const first = await store.getHistory("a", { pageSize: 2 });
      expect((await store.getHistory("a", { pageSize: 2, after: first.next })).next).toBeUndefined();
    });

    it("appends later episodes after the earlier ones", async () => {
      const { store } = h;
      const events = await withHistory(store, 2);
      await store.sendMessages([{ instanceId: "a", event: raised("more") }]);
      const item = await store.leaseOrchestration(WORKER);
      await store.commitOrchestration(item!, commitFor(item!, { history: [raised("more")] }));
      expect((await store.getHistory("a")).events).toStrictEqual([...events, raised("more")]);
    });

    it("is empty for an unknown instance", async () => {
      expect(await h.store.getHistory("missing")).toStrictEqual({ events: [] });
    });
  });

  describe("queryInstances filters and pages", () => {
    const h = useStore(factory);

    /** order-1 (t0, Completed), order-2 (t+1s, Pending, name Other), batch-1 (t+2s), order-1:1 (t+3s, child of order-1). */
    async function seed(store: Store, advance: (ms: number) => void) {
      await createFinished(store, "order-1", "Completed", {
        children: [startRequest("order-1:1", { parent: { name: "Flow", instanceId: "order-1", taskScheduledId: 1 } })],
      });
      advance(1000);
      await store.createInstance(startRequest("order-2", { name: "Other" }));
      advance(1000);
      await store.createInstance(startRequest("batch-1"));
      advance(1000);
      await store.createInstance(startRequest("order-1:1x"));
    }

    const ids = async (store: Store, filter: InstanceFilter) =>
      (await store.queryInstances(filter)).instances.map((i) => i.instanceId);

    it("applies each filter, newest first", async () => {
      const { store, clock } = h;
      const t0 = clock.iso();
      await seed(store, (ms) => clock.advance(ms));
      expect(await ids(store, {})).toEqual(["order-1:1x", "batch-1", "order-2", "order-1:1", "order-1"]);
      expect(await ids(store, { statuses: ["Completed"] })).toEqual(["order-1"]);
      expect(await ids(store, { statuses: ["Completed", "Pending"], name: "Flow" })).toEqual(["order-1:1x", "batch-1", "order-1:1", "order-1"]);
      expect(await ids(store, { instanceIdPrefix: "order-1" })).toEqual(["order-1:1x", "order-1:1", "order-1"]);
      expect(await ids(store, { instanceIdPrefix: "order-1:" })).toEqual(["order-1:1x", "order-1:1"]);
      expect(await ids(store, { name: "Other" })).toEqual(["order-2"]);
      expect(await ids(store, { parentInstanceId: "order-1" })).toEqual(["order-1:1"]);
      const t1 = new Date(Date.parse(t0) + 1000).toISOString();
      const t2 = new Date(Date.parse(t0) + 2000).toISOString();
      expect(await ids(store, { createdFrom: t1, createdTo: t2 })).toEqual(["batch-1", "order-2"]);
      expect(await ids(store, { createdTo: t0 })).toEqual(["order-1:1", "order-1"]);
      expect(await ids(store, { createdFrom: t2.replace(".000Z", "Z") })).toEqual(["order-1:1x", "batch-1"]);
    });

    it("pages through every row once, ties broken by instance id", async () => {
      const { store, clock } = h;
      const expected: string[] = [];
      for (let i = 0; i < 7; i++) {
        await store.createInstance(startRequest(`i-${i}`));
        if (i % 3 === 2) clock.advance(1);
      }
      // Newest first; within one creation time, descending ids.
      expected.push("i-6", "i-5", "i-4", "i-3", "i-2", "i-1", "i-0");
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await store.queryInstances({ pageSize: 3, continuationToken: token });
        seen.push(...page.instances.map((i) => i.instanceId));
        token = page.continuationToken;
        pages += 1;
      } while (token !== undefined);
      expect(seen).toEqual(expected);
      expect(pages).toBe(3);
    });

    it("returns 100 rows by default", async () => {
      const { store } = h;
      for (let i = 0; i < 101; i++) await store.createInstance(startRequest(`i-${String(i).padStart(3, "0")}`));
      const page = await store.queryInstances({});
      expect(page.instances).toHaveLength(100);
      expect(page.continuationToken).toBeDefined();
      expect((await store.queryInstances({ continuationToken: page.continuationToken })).instances).toHaveLength(1);
    });

    it("refuses a bad page size or a token it did not issue", async () => {
      const { store } = h;
      for (const pageSize of [0, 1001, 1.5]) {
        await expect(store.queryInstances({ pageSize })).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      for (const continuationToken of ["garbage!", "", Buffer.from('{"a":1}').toString("base64")]) {
        await expect(store.queryInstances({ continuationToken })).rejects.toBeInstanceOf(InvalidArgumentError);
      }
    });
  });

  describe("purge", () => {
    const h = useStore(factory);

    it("deletes a terminal instance with its history, messages and tasks", async () => {
      const { store } = h;
      await createFinished(store, "a", "Completed", { tasks: [{ instanceId: "a", executionId: "a-e1", taskId: 1, name: "T" }] });
      await store.sendMessages([{ instanceId: "a", event: raised("late") }]);
      expect(await store.purgeInstance("a")).toBe(1);
      expect(await store.getInstance("a")).toBeUndefined();
      expect((await store.getHistory("a")).events).toEqual([]);
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      expect(await store.leaseActivities({ ...WORKER, max: 5 })).toEqual([]);
      expect(await store.purgeInstance("a")).toBe(0);
    });

    it("refuses to purge an instance that is not terminal", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      const error = await store.purgeInstance("a").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInstanceStateError);
      expect(error).toMatchObject({ instanceId: "a", status: "Pending" });
      expect(await store.getInstance("a")).toBeDefined();
    });

    it("purges terminal instances in bulk, up to the limit, never a running one", async () => {
      const { store } = h;
      await createFinished(store, "c-1", "Completed");
      await createFinished(store, "c-2", "Failed", { failureDetails: { errorType: "E", errorMessage: "m" } });
      await createFinished(store, "c-3", "Terminated");
      await createFinished(store, "r-1", "Running");
      await store.createInstance(startRequest("p-1"));
      expect(await store.purgeInstances({ statuses: ["Running", "Pending", "Completed"] })).toBe(1);
      expect(await store.getInstance("c-1")).toBeUndefined();
      expect(await store.purgeInstances({}, 1)).toBe(1);
      expect(await store.purgeInstances({ instanceIdPrefix: "c-" }, 5)).toBe(1);
      expect(await store.purgeInstances({})).toBe(0);
      expect((await store.queryInstances({})).instances.map((i) => i.instanceId).sort()).toEqual(["p-1", "r-1"]);
    });
  });
}
