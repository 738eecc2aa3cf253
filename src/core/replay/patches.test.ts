/**
 * `ctx.patched` and `ctx.deprecatePatch`, and `ctx.version`: an in-place change takes the new
 * branch only where history allows it, the choice is recorded, and replay repeats it.
 */
import { describe, expect, it } from "vitest";
import { createApp, type App } from "../../sdk/app.js";
import { Simulator, replay, value } from "../../../test/helpers/simulator.js";
import type { HistoryEvent } from "../history.js";

const types = (events: readonly HistoryEvent[]) => events.map((e) => e.type);

/** Version 1 of Order: charge, then ship. */
function before(): App {
  const app = createApp();
  app.orchestration("Order", function* (ctx) {
    yield* ctx.callActivity("Charge");
    return yield* ctx.callActivity("Ship");
  });
  return app;
}

/** Order with a patch: a receipt is sent between charging and shipping. */
function patched(mode: "patched" | "deprecated" | "removed" = "patched"): App {
  const app = createApp();
  app.orchestration("Order", function* (ctx) {
    yield* ctx.callActivity("Charge");
    let receipt = false;
    if (mode === "patched") receipt = ctx.patched("send-receipt");
    else if (mode === "deprecated") {
      ctx.deprecatePatch("send-receipt");
      receipt = true;
    } else receipt = true;
    // A second ask of the same patch answers alike and records nothing more.
    if (mode === "patched" && ctx.patched("send-receipt") !== receipt) throw new Error("the patch changed its mind");
    if (receipt) yield* ctx.callActivity("SendReceipt");
    return yield* ctx.callActivity("Ship");
  });
  return app;
}

/** Runs Order on `app` to its end: each scheduled task completes with its name. */
function runToEnd(app: App, mode: "warm" | "cold" = "warm"): Simulator {
  const sim = new Simulator(app, "Order", mode);
  let r = sim.start();
  while (r.status === "Running") {
    const scheduled = r.actions.filter((a) => a.type === "ScheduleTask");
    r = sim.deliver(...scheduled.map((a) => sim.h.taskCompleted(a.id, a.type === "ScheduleTask" ? a.name : undefined)));
  }
  return sim;
}

const scheduledNames = (history: readonly HistoryEvent[]) => history.flatMap((e) => (e.type === "TaskScheduled" ? [e.name] : []));

describe("ctx.patched", () => {
  it("takes the new branch in a new instance and records a marker under the call's sequence number", () => {
    for (const mode of ["warm", "cold"] as const) {
      const sim = runToEnd(patched(), mode);
      expect(scheduledNames(sim.history)).toEqual(["Charge", "SendReceipt", "Ship"]);
      const marker = sim.history.find((e) => e.type === "GenericEvent");
      expect(marker).toMatchObject({ eventId: 1, data: '{"patch":"send-receipt"}' });
      expect(sim.history.filter((e) => e.type === "GenericEvent")).toHaveLength(1);
      expect(replay(patched(), "Order", sim.history).status).toBe("Completed");
    }
  });

  it("keeps the old branch for an instance whose history went past the call on the old code", () => {
    const old = runToEnd(before());
    const r = replay(patched(), "Order", old.history);
    expect(r.status).toBe("Completed");
    expect(r.actions).toEqual([]);
    // In flight past the call: its next episode goes on the old way too.
    const sim = new Simulator(before(), "Order");
    sim.start();
    sim.deliver(sim.h.taskCompleted(0, "Charge"));
    const resumed = replay(patched(), "Order", sim.history, [sim.h.orchestratorStarted(), sim.h.taskCompleted(1, "Ship")]);
    expect(resumed.status).toBe("Completed");
    expect(value(resumed.output)).toBe("Ship");
  });

  it("takes the new branch for an old instance that reaches the call only on the new code", () => {
    const sim = new Simulator(before(), "Order");
    sim.start();
    // Charging is still running when the new code is deployed.
    const r = replay(patched(), "Order", sim.history, [sim.h.orchestratorStarted(), sim.h.taskCompleted(0, "Charge")]);
    expect(r.actions).toEqual([
      { type: "MarkPatch", id: 1, patchId: "send-receipt" },
      { type: "ScheduleTask", id: 2, name: "SendReceipt", input: undefined },
    ]);
    expect(types(r.newHistory).slice(-2)).toEqual(["GenericEvent", "TaskScheduled"]);
  });

  it("fails with a NonDeterminismError naming the marker when the call is removed while instances hold it", () => {
    const sim = runToEnd(patched());
    const r = replay(patched("removed"), "Order", sim.history);
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorMessage).toContain("at position 1 the history records patch marker 'send-receipt', but the code now produces ScheduleTask 'SendReceipt'");
  });
});

describe("ctx.deprecatePatch", () => {
  it("replays histories with and without the marker, and records none for new instances", () => {
    const marked = runToEnd(patched());
    expect(replay(patched("deprecated"), "Order", marked.history).status).toBe("Completed");
    const fresh = runToEnd(patched("deprecated"));
    expect(fresh.history.some((e) => e.type === "GenericEvent")).toBe(false);
    expect(scheduledNames(fresh.history)).toEqual(["Charge", "SendReceipt", "Ship"]);
    // Instances started on the deprecated code replay once the call is gone.
    expect(replay(patched("removed"), "Order", fresh.history).status).toBe("Completed");
  });

  it("refuses a patch id that is not a non-empty string", () => {
    const app = createApp();
    app.orchestration("Bad", function* (ctx) {
      return ctx.patched("" as string);
    });
    const r = new Simulator(app, "Bad").start();
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorMessage).toContain("patched() needs a patch id");
  });
});

describe("ctx.version", () => {
  it("is the version the execution started on", () => {
    const app = createApp();
    app.orchestration("Flow", { version: "2" }, function* (ctx) {
      return ctx.version ?? "none";
    });
    const sim = new Simulator(app, "Flow");
    const start = sim.h.executionStarted("Flow");
    const r = sim.run([sim.h.orchestratorStarted(), { ...start, version: "2" }]);
    expect(value(r.output)).toBe("2");
  });
});
