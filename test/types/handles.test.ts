/**
 * Type tests of the typed SDK: `yield*` infers results from handles, inputs are checked, and the
 * combinators keep tuple and union types. `tsc --noEmit` (run by `npm test`) checks the
 * expectTypeOf assertions and the `@ts-expect-error` lines; vitest runs the orchestrations so the
 * typed code is also exercised.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { TimerTask } from "../../src/core/replay/durable-tasks.js";
import type { Task } from "../../src/core/replay/task.js";
import { createApp } from "../../src/sdk/app.js";
import type { ActivityHandle, InputOf, OrchestrationHandle, OutputOf } from "../../src/sdk/handles.js";
import { Simulator, value } from "../helpers/simulator.js";

type Row = { id: number; label: string };

const app = createApp();
const double = app.activity("Double", (n: number) => n * 2);
const loadRows = app.activity("LoadRows", async (day: string): Promise<Row[]> => [{ id: 1, label: day }]);
const ping = app.activity("Ping", async () => "pong" as const);
const noResult = app.activity("NoResult", async (_flag: boolean) => {});
const child = app.orchestration("Child", function* (_ctx, input: { n: number }) {
  return { doubled: input.n * 2 };
});

describe("handles", () => {
  it("carry their input and output types, with Promise results unwrapped", () => {
    expectTypeOf(double).toEqualTypeOf<ActivityHandle<number, number>>();
    expectTypeOf(loadRows).toEqualTypeOf<ActivityHandle<string, Row[]>>();
    expectTypeOf(ping).toEqualTypeOf<ActivityHandle<void, "pong">>();
    expectTypeOf<OutputOf<typeof double>>().toEqualTypeOf<number>();
    expectTypeOf<OutputOf<typeof loadRows>>().toEqualTypeOf<Row[]>();
    expectTypeOf<OutputOf<typeof noResult>>().toEqualTypeOf<void>();
    expectTypeOf<OutputOf<typeof child>>().toEqualTypeOf<{ doubled: number }>();
    expectTypeOf<InputOf<typeof loadRows>>().toEqualTypeOf<string>();
    expectTypeOf<InputOf<typeof child>>().toEqualTypeOf<{ n: number }>();
    expectTypeOf(child).toEqualTypeOf<OrchestrationHandle<{ n: number }, { doubled: number }>>();
    expect(double).toEqual({ kind: "activity", name: "Double" });
  });
});

describe("typed durable calls", () => {
  app.orchestration("Typed", function* (ctx, day: string) {
    const n = yield* ctx.callActivity(double, 21);
    expectTypeOf(n).toEqualTypeOf<number>();
    const rows = yield* ctx.callActivity(loadRows, day);
    expectTypeOf(rows).toEqualTypeOf<Row[]>();
    const pong = yield* ctx.callActivity(ping);
    expectTypeOf(pong).toEqualTypeOf<"pong">();
    const out = yield* ctx.callSubOrchestrator(child, { n });
    expectTypeOf(out).toEqualTypeOf<{ doubled: number }>();
    const byName = yield* ctx.callActivity<boolean>("ByName", 1);
    expectTypeOf(byName).toEqualTypeOf<boolean>();
    // `yield task`, Durable Functions style, is untyped.
    const untyped = yield ctx.callActivity(double, 1);
    expectTypeOf(untyped).toBeAny();
    return { n, rows, pong, out, byName, untyped };
  });

  it("infers each result from the handle, and runs", () => {
    const sim = new Simulator(app, "Typed", "warm", "typed-1");
    sim.start("monday");
    sim.deliver(sim.h.taskCompleted(0, 42));
    sim.deliver(sim.h.taskCompleted(1, [{ id: 1, label: "monday" }]));
    sim.deliver(sim.h.taskCompleted(2, "pong"));
    sim.deliver(sim.h.subOrchestrationCompleted(3, { doubled: 84 }));
    sim.deliver(sim.h.taskCompleted(4, true));
    const r = sim.deliver(sim.h.taskCompleted(5, 2));
    expect(value(r.output)).toEqual({
      n: 42,
      rows: [{ id: 1, label: "monday" }],
      pong: "pong",
      out: { doubled: 84 },
      byName: true,
      untyped: 2,
    });
  });
});

describe("inputs", () => {
  app.orchestration("Inputs", function* (ctx) {
    // Optional when the function takes none, required when it takes one.
    yield* ctx.callActivity(ping);
    yield* ctx.callActivity(ping, undefined, { retry: { firstRetryIntervalMs: 1000, maxAttempts: 2 } });
    // @ts-expect-error the activity takes a number
    yield* ctx.callActivity(double, "21");
    // @ts-expect-error the activity needs its input
    yield* ctx.callActivity(double);
    // @ts-expect-error the activity takes a string
    yield* ctx.callActivity(loadRows, { day: "monday" });
    // @ts-expect-error the sub-orchestration takes { n: number }
    yield* ctx.callSubOrchestrator(child, { n: "1" });
    // @ts-expect-error the sub-orchestration needs its input
    yield* ctx.callSubOrchestrator(child);
    // @ts-expect-error an activity handle is not an orchestration handle
    yield* ctx.callSubOrchestrator(double, 1);
    return "checked";
  });

  it("are checked at compile time against the handle's input type", () => {
    const sim = new Simulator(app, "Inputs");
    expect(sim.start().actions).toEqual([{ type: "ScheduleTask", id: 0, name: "Ping", input: undefined }]);
  });

  it("are typed in the orchestration function from its declaration", () => {
    app.orchestration("Declared", function* (ctx, input: { id: number }) {
      expectTypeOf(ctx.instanceId).toEqualTypeOf<string>();
      expectTypeOf(input).toEqualTypeOf<{ id: number }>();
      return input.id;
    });
    expect(value(new Simulator(app, "Declared").start({ id: 7 }).output)).toBe(7);
  });
});

describe("combinators and events", () => {
  app.orchestration("Combined", function* (ctx) {
    const both = yield* ctx.all([ctx.callActivity(double, 1), ctx.callActivity(loadRows, "x")]);
    expectTypeOf(both).toEqualTypeOf<[number, Row[]]>();
    const settled = yield* ctx.allSettled([ctx.callActivity(ping)]);
    expectTypeOf(settled[0].status).toEqualTypeOf<"fulfilled" | "rejected">();
    const timer = ctx.createTimer(1000);
    const work = ctx.callActivity(double, 2);
    const winner = yield* ctx.any([work, timer]);
    expectTypeOf(winner).toEqualTypeOf<Task<number> | TimerTask>();
    const many = yield* ctx.all([1, 2, 3].map((i) => ctx.callActivity(double, i)));
    expectTypeOf(many).toEqualTypeOf<number[]>();
    const approval = yield* ctx.waitForExternalEvent<{ approved: boolean }>("Approval");
    expectTypeOf(approval).toEqualTypeOf<{ approved: boolean }>();
    return { both, winnerIsWork: winner === work, many, approved: approval.approved };
  });

  it("keep tuple and union types, and run", () => {
    const sim = new Simulator(app, "Combined");
    sim.start();
    sim.deliver(sim.h.taskCompleted(0, 2), sim.h.taskCompleted(1, []));
    sim.deliver(sim.h.taskCompleted(2, "pong"));
    sim.deliver(sim.h.taskCompleted(4, 4));
    sim.deliver(sim.h.taskCompleted(5, 2), sim.h.taskCompleted(6, 4), sim.h.taskCompleted(7, 6));
    const r = sim.deliver(sim.h.eventRaised("Approval", { approved: true }));
    expect(value(r.output)).toEqual({ both: [2, []], winnerIsWork: true, many: [2, 4, 6], approved: true });
  });
});
