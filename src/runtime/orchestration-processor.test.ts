/**
 * The stepper's warm copies when several workers share a store: a copy that has not seen the
 * whole stored history is stale, so the stepper asks for the history and replays it instead of
 * resuming a copy another worker has moved past.
 */
import { describe, expect, it } from "vitest";
import { newEvent, type HistoryEvent } from "../core/history.js";
import { createApp } from "../sdk/app.js";
import { HistoryBuilder } from "../testing/history-builder.js";
import type { InboxMessage, InstanceRecord, OrchestrationCommit } from "../store/store.js";
import { ExecutorCache } from "./executor-cache.js";
import { OrchestrationProcessor } from "./orchestration-processor.js";

const app = createApp();
app.orchestration("TwoSteps", function* (ctx) {
  const a: number = yield ctx.callActivity("Step", 1);
  const b: number = yield ctx.callActivity("Step", a);
  return b;
});
app.activity("Step", (n: number) => n + 1);

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const instance: InstanceRecord = {
  instanceId: "i",
  kind: "orchestration",
  name: "TwoSteps",
  executionId: "e",
  status: "Running",
  createdAt: "2026-01-01T00:00:00.000Z",
  lastUpdatedAt: "2026-01-01T00:00:00.000Z",
};

function worker() {
  return new OrchestrationProcessor(app, new ExecutorCache(10), {
    workerId: "w",
    leaseMs: 1000,
    maxPayloadBytes: 1 << 20,
    logger: silent,
    newExecutionId: () => "next",
    reserveActivitySlot: () => false,
  });
}

function inbox(...events: HistoryEvent[]): InboxMessage[] {
  return events.map((event, i) => ({ id: String(i + 1), instanceId: "i", event, visibleAt: event.timestamp }));
}

describe("warm copies and the stored history's length", () => {
  it("resumes a copy that has seen the whole history, and replays instead of resuming one that has not", () => {
    const h = new HistoryBuilder("i", new Date("2026-01-01T00:00:00.000Z"), "e");
    const a = worker();
    const b = worker();
    const stored: HistoryEvent[] = [];
    const run = (processor: OrchestrationProcessor, messages: InboxMessage[]): OrchestrationCommit => {
      const session = processor.session();
      const warm = session.isWarm("i", "e", stored.length);
      const commit = session.step({ instance, messages, history: warm ? undefined : stored.slice(), now: h.now.toISOString() })!;
      stored.push(...commit.history);
      return commit;
    };

    run(a, inbox(h.executionStarted("TwoSteps")));
    expect(a.session().isWarm("i", "e", stored.length)).toBe(true);
    expect(a.session().isWarm("i", "e")).toBe(true);

    // Worker b takes the next episode: a's copy is now one episode behind.
    h.advance(10);
    run(b, inbox(newEvent("TaskCompleted", h.now.toISOString(), { taskScheduledId: 0, result: "2" })));
    expect(a.session().isWarm("i", "e", stored.length)).toBe(false);

    // Back on a: it replays the stored history rather than resume its stale copy.
    h.advance(10);
    const last = run(a, inbox(newEvent("TaskCompleted", h.now.toISOString(), { taskScheduledId: 1, result: "3" })));
    expect(last.status).toBe("Completed");
    expect(last.output).toBe("3");
  });
});

describe("what a warm copy waits for", () => {
  app.orchestration("Pair", function* (ctx) {
    const [a, b] = (yield ctx.all([ctx.callActivity("Step", 1), ctx.callActivity("Step", 2)])) as [number, number];
    return a + b;
  });
  app.orchestration("RaceTimer", function* (ctx) {
    const step = ctx.callActivity("Step", 1);
    return yield ctx.any([step, ctx.createTimer(60_000)]);
  });
  app.orchestration("WithEvent", function* (ctx) {
    const step = ctx.callActivity("Step", 1);
    const go = ctx.waitForExternalEvent("go");
    return yield ctx.all([step, go]);
  });

  function firstEpisode(name: string) {
    const h = new HistoryBuilder("i", new Date("2026-01-01T00:00:00.000Z"), "e");
    const processor = worker();
    const commit = processor.session().step({ instance: { ...instance, name }, messages: inbox(h.executionStarted(name)), history: [], now: h.now.toISOString() })!;
    return { session: processor.session(), length: commit.history.length };
  }

  it("waits for one task alone in a chain, and only for that task's id at the stored length", () => {
    const { session, length } = firstEpisode("TwoSteps");
    expect(session.awaitsOnly("i", "e", length, 0)).toBe(true);
    expect(session.awaitsOnly("i", "e", length, 1)).toBe(false);
    expect(session.awaitsOnly("i", "e", length + 1, 0)).toBe(false);
    expect(session.awaitsOnly("i", "other", length, 0)).toBe(false);
  });

  it("does not wait for one task alone when other tasks, a timer or an event are open too", () => {
    for (const name of ["Pair", "RaceTimer", "WithEvent"]) {
      const { session, length } = firstEpisode(name);
      expect([name, session.awaitsOnly("i", "e", length, 0)]).toEqual([name, false]);
    }
  });
});
