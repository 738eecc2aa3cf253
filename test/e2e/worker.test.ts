/**
 * The worker end to end on the embedded store: its concurrency limit, lease renewal, the warm
 * executor cache, graceful stop, durable timers (also across a restart) and its lifecycle.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  createApp,
  createClient,
  createWorker,
  InstanceExistsError,
  InvalidArgumentError,
  shareStoreWithRemoteWorkers,
  WorkerStateError,
  type OrchestrationStatus,
} from "../../src/index.js";
import { gate, tempDir, Turnstile, type Gate } from "../helpers/gates.js";
import type { CreateInstanceRequest, OrchestrationStepper } from "../../src/store/store.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";

const app = createApp();

// Concurrency: activities queue at a turnstile the test opens one at a time.
let turnstile = new Turnstile();
const load = { running: 0, maxRunning: 0, finished: 0 };
const slow = app.activity("Slow", async (i: number) => {
  load.running++;
  load.maxRunning = Math.max(load.maxRunning, load.running);
  try {
    await turnstile.pass();
    return i * 2;
  } finally {
    load.running--;
    load.finished++;
  }
});
const fanOut = app.orchestration("FanOut", function* (ctx, n: number) {
  return yield* ctx.all(Array.from({ length: n }, (_, i) => ctx.callActivity(slow, i)));
});

// Long activities: each run waits on the current gate; the test counts runs and aborts.
let longGate: Gate = gate();
const long = { runs: 0, aborted: 0 };
const longActivity = app.activity("Long", async (_: void, ctx) => {
  const run = ++long.runs;
  ctx.signal.addEventListener("abort", () => long.aborted++);
  if (run === 1) await longGate.promise;
  return `run ${run}`;
});
const callsLong = app.orchestration("CallsLong", function* (ctx) {
  return yield* ctx.callActivity(longActivity);
});

// Graceful stop: this activity goes on working for a while after the test lets it through.
let workGate: Gate = gate();
const work = { runs: 0, aborted: 0 };
const worksOn = app.activity("WorksOn", async (workMs: number, ctx) => {
  const run = ++work.runs;
  ctx.signal.addEventListener("abort", () => work.aborted++);
  await workGate.promise;
  await new Promise((resolve) => setTimeout(resolve, workMs));
  return `run ${run}`;
});
const callsWorksOn = app.orchestration("CallsWorksOn", function* (ctx, workMs: number) {
  return yield* ctx.callActivity(worksOn, workMs);
});

// An activity that looks at its signal only after the test lets it through.
let lateGate: Gate = gate();
const late = { runs: 0, sawAborted: [] as Array<{ aborted: boolean; reason: unknown }> };
const looksLate = app.activity("LooksLate", async (_: void, ctx) => {
  late.runs++;
  await lateGate.promise;
  late.sawAborted.push({ aborted: ctx.signal.aborted, reason: ctx.signal.reason });
  return "late";
});
const callsLooksLate = app.orchestration("CallsLooksLate", function* (ctx) {
  return yield* ctx.callActivity(looksLate);
});

// Warm executors: count how often the generator body is entered, per instance.
const entered = new Map<string, number>();
function enter(instanceId: string): void {
  entered.set(instanceId, (entered.get(instanceId) ?? 0) + 1);
}
const inc = app.activity("Inc", async (x: number) => x + 1);
const chain = app.orchestration("Chain", function* (ctx, start: number) {
  enter(ctx.instanceId);
  let v = start;
  for (let i = 0; i < 10; i++) v = yield* ctx.callActivity(inc, v);
  return v;
});
// Two instances of this chain move in lockstep: step i of one finishes only once the other reached it.
let barriers = new Map<number, { arrived: number; gate: Gate }>();
const lockstepInc = app.activity("LockstepInc", async ({ x, step }: { x: number; step: number }) => {
  let barrier = barriers.get(step);
  if (barrier === undefined) barriers.set(step, (barrier = { arrived: 0, gate: gate() }));
  if (++barrier.arrived === 2) barrier.gate.open();
  await barrier.gate.promise;
  return x + 1;
});
const lockstepChain = app.orchestration("LockstepChain", function* (ctx, start: number) {
  enter(ctx.instanceId);
  let v = start;
  for (let step = 0; step < 10; step++) v = yield* ctx.callActivity(lockstepInc, { x: v, step });
  return v;
});

// Timers.
const sleeper = app.orchestration("Sleeper", function* (ctx, ms: number) {
  const before = ctx.currentUtcDateTime.getTime();
  yield* ctx.createTimer(ms);
  const after = ctx.currentUtcDateTime.getTime();
  return { before, after };
});

const runtimes: TestRuntime[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  longGate.open();
  workGate.open();
  turnstile.openForGood();
  for (const rt of runtimes.splice(0)) await rt.close();
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function runtime(options: Parameters<typeof startRuntime>[1] = {}): TestRuntime {
  const rt = startRuntime(app, options);
  runtimes.push(rt);
  return rt;
}

/** A store file in a temporary folder that outlives the runtimes opened on it. */
function storeFile(): string {
  const tmp = tempDir();
  cleanups.push(tmp.remove);
  return tmp.path("worker.db");
}

function finish<T = unknown>(rt: TestRuntime, id: string): Promise<OrchestrationStatus<T>> {
  return rt.client.waitForCompletion<T>(id, { timeoutMs: 30_000 });
}

describe("worker: concurrency and leases", () => {
  it("never runs more activities at once than maxConcurrentActivities, and runs them all", async () => {
    turnstile = new Turnstile();
    Object.assign(load, { running: 0, maxRunning: 0, finished: 0 });
    const rt = runtime({ maxConcurrentActivities: 2 });
    const id = await rt.client.startNew(fanOut, { input: 8 });
    for (let released = 0; released < 8; released++) {
      const expected = Math.min(2, 8 - released);
      await waitUntil(() => {
        expect(load.running).toBeLessThanOrEqual(2);
        return turnstile.waiting === expected;
      }, `${expected} activities wait (after ${released} released)`);
      expect(rt.worker.activeActivities).toBeLessThanOrEqual(2);
      turnstile.releaseOne();
    }
    const status = await finish(rt, id);
    expect(status.output).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect(load.maxRunning).toBe(2);
    expect(load.finished).toBe(8);
  });

  it("renews the lease of a long activity, which runs exactly once", async () => {
    longGate = gate();
    Object.assign(long, { runs: 0, aborted: 0 });
    // The store's time moves only here, so a slow turn of a loaded machine cannot let the lease
    // lapse; it moves most of a lease after each renewal, so a lease not renewed would lapse.
    let now = Date.now();
    const rt = runtime({ leaseMs: 300, clock: () => now });
    let renewals = 0;
    const renew = rt.store.renewActivityLease.bind(rt.store);
    rt.store.renewActivityLease = async (item, leaseMs) => {
      const renewed = await renew(item, leaseMs);
      renewals++;
      return renewed;
    };
    const id = await rt.client.startNew(callsLong);
    await waitUntil(() => long.runs === 1, "the activity started");
    for (let round = 1; round <= 3; round++) {
      // A renewal made after the last move of the clock: the lease runs from the store's new time.
      const before = renewals;
      await waitUntil(() => renewals > before, `renewal ${round}`);
      now += 250;
      rt.worker.wake();
    }
    longGate.open();
    const status = await finish(rt, id);
    expect(status.output).toBe("run 1");
    expect(long).toEqual({ runs: 1, aborted: 0 });
  });
});

describe("worker: looking for work", () => {
  it("runs a start's first episode in the start's transaction, and looks for work only when it is announced", async () => {
    const rt = runtime({ maxIdleMs: 60_000 });
    const calls = { stepOrchestration: 0, leaseActivities: 0 };
    for (const name of ["stepOrchestration", "leaseActivities"] as const) {
      const store = rt.store as unknown as Record<string, (...args: unknown[]) => unknown>;
      const original = store[name]!.bind(rt.store);
      store[name] = (...args: unknown[]) => {
        calls[name]++;
        return original(...args);
      };
    }
    // Both loops looked once when the worker started (before the counting began), found nothing,
    // and wait for an event: their idle deadline is a minute.
    const starts = 5;
    for (let i = 0; i < starts; i++) expect((await finish<number>(rt, await rt.client.startNew(chain, { input: i }))).output).toBe(i + 10);
    // The worker runs each start's first episode as the client creates the instance; each episode
    // leases its tasks directly and each result steps the next episode: neither loop is ever woken.
    expect(calls.leaseActivities).toBe(0);
    expect(calls.stepOrchestration).toBe(0);
  });

  it("starts an instance alone when its first episode cannot run with the start, and refuses a taken id", async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (message: string) => void warnings.push(message), error() {} };
    const rt = runtime({ logger });
    await rt.worker.stop();
    const store = rt.store;
    // A store that fails every start carrying an episode, as a broken episode would.
    const flaky = new Proxy(store, {
      get(target, property) {
        if (property === "createInstance") {
          return (request: CreateInstanceRequest, stepper?: OrchestrationStepper) =>
            stepper === undefined ? target.createInstance(request) : Promise.reject(new Error("the episode failed"));
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const worker = createWorker(app, flaky, { logger }).start();
    const client = createClient(flaky, { app });
    try {
      const id = await client.startNew(chain, { instanceId: "alone", input: 2 });
      expect(warnings.some((w) => w.includes("'alone'"))).toBe(true);
      expect((await client.waitForCompletion<number>(id, { timeoutMs: 30_000 })).output).toBe(12);
      await expect(client.startNew(chain, { instanceId: "alone", input: 2 })).rejects.toBeInstanceOf(InstanceExistsError);
    } finally {
      await worker.stop();
    }
  });

  it("runs its own instances while instances left to remote workers wait before them", async () => {
    const unshare = shareStoreWithRemoteWorkers(app);
    try {
      let now = Date.now();
      const rt = runtime({ maxIdleMs: 60_000, clock: () => now });
      const other = createClient(rt.store);
      for (let i = 0; i < 40; i++) await other.startNew("RemoteOnly", { instanceId: `remote-${i}` });
      // A start for later goes to the loop, behind the forty it leaves to remote workers.
      const id = await rt.client.startNew(chain, { input: 1, startAt: new Date(now + 1000) });
      now += 1000;
      rt.worker.wake();
      expect((await finish<number>(rt, id)).output).toBe(11);
      expect((await rt.client.getStatus("remote-0"))?.runtimeStatus).toBe("Pending");
    } finally {
      unshare();
    }
  });

  it("leaves a start it does not run (an orchestration of another app, a start for later) to the loops", async () => {
    let now = Date.now();
    const rt = runtime({ maxIdleMs: 60_000, clock: () => now });
    let stepped = 0;
    const store = rt.store as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = store.stepOrchestration!.bind(rt.store);
    store.stepOrchestration = (...args: unknown[]) => {
      stepped++;
      return original(...args);
    };
    const other = createClient(rt.store);
    const id = await other.startNew("NotInThisApp");
    // Created plainly: Pending with its start message, for a worker that defines it.
    expect(await rt.client.getStatus(id)).toMatchObject({ runtimeStatus: "Pending" });
    await waitUntil(() => stepped >= 1, "the instance loop looked at the new instance");
    const later = await rt.client.startNew(chain, { input: 1, startAt: new Date(now + 60_000) });
    expect(await rt.client.getStatus(later)).toMatchObject({ runtimeStatus: "Pending" });
    now += 60_000;
    rt.worker.wake();
    expect((await finish<number>(rt, later)).output).toBe(11);
  });
});

describe("worker: warm executors", () => {
  it("with the default cache, a 10-step chain enters its generator once", async () => {
    const rt = runtime();
    const id = await rt.client.startNew(chain, { input: 5 });
    expect((await finish(rt, id)).output).toBe(15);
    expect(entered.get(id)).toBe(1);
  });

  it("with a cache of one and two interleaved instances, executors are replayed and still right", async () => {
    barriers = new Map();
    const rt = runtime({ executorCacheSize: 1 });
    const a = await rt.client.startNew(lockstepChain, { input: 0 });
    const b = await rt.client.startNew(lockstepChain, { input: 100 });
    expect((await finish(rt, a)).output).toBe(10);
    expect((await finish(rt, b)).output).toBe(110);
    expect(entered.get(a)).toBeGreaterThan(1);
    expect(entered.get(b)).toBeGreaterThan(1);
  });
});

describe("worker: graceful stop", () => {
  it("lets an in-flight activity that finishes in time complete, and keeps its result", async () => {
    workGate = gate();
    Object.assign(work, { runs: 0, aborted: 0 });
    const file = storeFile();
    const first = runtime({ file });
    const id = await first.client.startNew(callsWorksOn, { instanceId: "stop-in-time", input: 300 });
    await waitUntil(() => work.runs === 1, "the activity runs");

    // The activity still has 300 ms of work when the stop begins.
    const stopping = first.worker.stop({ timeoutMs: 30_000 });
    expect(first.worker.isRunning).toBe(false);
    workGate.open();
    await stopping;
    expect(work.aborted).toBe(0);
    expect(first.worker.activeActivities).toBe(0);
    await first.close();

    // A new worker finds the stored result: the activity does not run again.
    const second = runtime({ file });
    const status = await finish(second, id);
    expect(status.output).toBe("run 1");
    expect(work.runs).toBe(1);
  });

  it("aborts an activity that does not finish in time and hands it back; a new worker runs it again", async () => {
    longGate = gate();
    Object.assign(long, { runs: 0, aborted: 0 });
    const file = storeFile();
    const first = runtime({ file });
    const id = await first.client.startNew(callsLong, { instanceId: "stop-late" });
    await waitUntil(() => long.runs === 1, "the activity runs");

    await first.worker.stop({ timeoutMs: 200 });
    expect(long.aborted).toBe(1);
    expect((await first.client.getStatus(id))?.runtimeStatus).toBe("Running");
    await first.close();

    const second = runtime({ file });
    const status = await finish(second, id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe("run 2");
    expect(long.runs).toBe(2);
    const completed = (await second.client.getHistory(id)).filter((e) => e.type === "TaskCompleted");
    expect(completed).toHaveLength(1);
  });

  it("gives an activity that asks for its signal after the abort a signal already aborted", async () => {
    lateGate = gate();
    Object.assign(late, { runs: 0, sawAborted: [] });
    const rt = runtime();
    await rt.client.startNew(callsLooksLate);
    await waitUntil(() => late.runs === 1, "the activity runs");
    await rt.worker.stop({ timeoutMs: 50 });
    lateGate.open();
    await waitUntil(() => late.sawAborted.length === 1, "the activity looked at its signal");
    expect(late.sawAborted[0]!.aborted).toBe(true);
    expect(String(late.sawAborted[0]!.reason)).toContain("The worker is stopping.");
  });

  it("lets its process exit once stopped, even when an activity ignores its AbortSignal", { timeout: 120_000 }, async () => {
    const file = storeFile();
    const script = "test/e2e/fixtures/stuck-activity-exit.ts";
    const child = spawn(process.execPath, ["--import", "tsx", script, file], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code, signal) => (exit = { code, signal }));
    cleanups.push(() => {
      if (exit === undefined) child.kill("SIGKILL");
    });
    await waitUntil(() => exit !== undefined, "the process exits by itself", 90_000).catch((error) => {
      throw new Error(`${(error as Error).message}\n${output}`);
    });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(output).toContain("stopped");
  });
});

describe("worker: timers", () => {
  it("never fires a timer before its time", async () => {
    const rt = runtime();
    const startedAt = Date.now();
    const id = await rt.client.startNew(sleeper, { input: 200 });
    const status = await finish<{ before: number; after: number }>(rt, id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output!.after - status.output!.before).toBeGreaterThanOrEqual(200);
    expect(status.lastUpdatedTime.getTime() - startedAt).toBeGreaterThanOrEqual(200);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200);
  });

  it("fires a timer that came due while no worker ran, once a worker is back", async () => {
    const file = storeFile();
    const first = runtime({ file });
    const id = await first.client.startNew(sleeper, { instanceId: "sleeps-through-restart", input: 1500 });
    let fireAt = 0;
    await waitUntil(async () => {
      const timer = (await first.client.getHistory(id)).find((e) => e.type === "TimerCreated");
      if (timer?.type === "TimerCreated") fireAt = Date.parse(timer.fireAt);
      return timer !== undefined;
    }, "the timer is set");
    await first.worker.stop();
    // The premise: the worker stopped before the timer was due.
    expect(Date.now()).toBeLessThan(fireAt);
    expect((await first.client.getHistory(id)).some((e) => e.type === "TimerFired")).toBe(false);
    await first.close();

    await waitUntil(() => Date.now() >= fireAt, "the timer is due");
    const second = runtime({ file });
    const status = await finish<{ before: number; after: number }>(second, id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output!.after - status.output!.before).toBeGreaterThanOrEqual(1500);
    expect(status.output!.after).toBeGreaterThanOrEqual(fireAt);
  });
});

describe("worker: lifecycle", () => {
  it("starts once, and stop() may be called any number of times", async () => {
    const rt = runtime();
    expect(rt.worker.isRunning).toBe(true);
    expect(() => rt.worker.start()).toThrow(WorkerStateError);
    await Promise.all([rt.worker.stop(), rt.worker.stop()]);
    await rt.worker.stop();
    expect(rt.worker.isRunning).toBe(false);
    expect(() => rt.worker.start()).toThrow(/starts once; this one is stopped/);
    // A worker that never started stops without complaint too.
    await createWorker(app, rt.store).stop();
  });

  it.each([
    ["maxConcurrentActivities", { maxConcurrentActivities: 0 }],
    ["leaseMs", { leaseMs: -1 }],
    ["maxIdleMs", { maxIdleMs: Number.NaN }],
    ["executorCacheSize", { executorCacheSize: Number.NaN }],
    ["executorCacheSize", { executorCacheSize: -1 }],
    ["executorCacheSize", { executorCacheSize: 1.5 }],
  ])("refuses an invalid %s with InvalidArgumentError", async (name, options) => {
    const rt = runtime();
    expect(() => createWorker(app, rt.store, options)).toThrow(InvalidArgumentError);
    expect(() => createWorker(app, rt.store, options)).toThrow(new RegExp(`Worker option '${name}' must be a`));
  });
});
