/**
 * The benchmark workloads W1–W4, as every engine compared runs them: one app, four orchestrations,
 * each run checked for its expected result and its persisted step count.
 */
import { performance } from "node:perf_hooks";
import { createApp, createClient, createWorker, type Store } from "../src/index.js";

export const app = createApp();
const step = app.activity("Step", async (x: number) => x + 1);

const sequential = app.orchestration("W1Sequential", function* (ctx, n: number) {
  let value = 0;
  for (let i = 0; i < n; i++) value = yield* ctx.callActivity(step, value);
  return value;
});
const fanOut = app.orchestration("W2FanOut", function* (ctx, n: number) {
  const results = yield* ctx.all(Array.from({ length: n }, (_, i) => ctx.callActivity(step, i)));
  return results.reduce((a, b) => a + b, 0);
});
const small = app.orchestration("W3Small", function* (ctx, i: number) {
  let value = i;
  for (let k = 0; k < 3; k++) value = yield* ctx.callActivity(step, value);
  return value;
});
const single = app.orchestration("W4Single", function* (ctx, i: number) {
  return yield* ctx.callActivity(step, i);
});

export type WorkloadName = "W1" | "W2" | "W3" | "W4";

/**
 * The warm-up call of each workload (the rules allow one, untimed): the workload's orchestration
 * with the workload's input. W1 and W2 are one call each, so their warm-up runs the whole
 * workload once: the timed run then measures the engine as it runs, not the JIT compiling it.
 */
const WARM_UP = {
  W1: [sequential, 1000],
  W2: [fanOut, 1000],
  W3: [small, 0],
  W4: [single, 0],
} as const;
export type Figures = Record<string, number>;

class CheckFailed extends Error {}
function check(condition: boolean, message: string): void {
  if (!condition) throw new CheckFailed(`check failed: ${message}`);
}

async function persistedSteps(store: Store, instanceId: string): Promise<number> {
  let count = 0;
  let after: number | undefined;
  for (;;) {
    const page = await store.getHistory(instanceId, { after, pageSize: 5000 });
    count += page.events.filter((e) => e.type === "TaskCompleted").length;
    if (page.next === undefined) return count;
    after = page.next;
  }
}

/** Runs one workload on a fresh store; returns its figures. Throws when a check fails. */
export async function runWorkload(name: WorkloadName, store: Store): Promise<Figures> {
  const worker = createWorker(app, store, { maxConcurrentActivities: 256, executorCacheSize: 4096 }).start();
  const client = createClient(store, { app });
  try {
    // One untimed warm-up call: one call of the workload's own orchestration, at its own size.
    const [warmUp, input] = WARM_UP[name];
    const warm = await client.startNew(warmUp, { input });
    await client.waitForCompletion(warm, { timeoutMs: 600_000 });
    switch (name) {
      case "W1": {
        const N = 1000;
        const t0 = performance.now();
        const id = await client.startNew(sequential, { input: N });
        const status = await client.waitForCompletion<number>(id, { timeoutMs: 600_000 });
        const wall = performance.now() - t0;
        check(status.output === N, `W1 output ${String(status.output)} != ${N}`);
        check((await persistedSteps(store, id)) === N, "W1 persisted steps");
        return { N, wall_ms: round(wall), ms_per_step: round(wall / N, 4) };
      }
      case "W2": {
        const N = 1000;
        const t0 = performance.now();
        const id = await client.startNew(fanOut, { input: N });
        const status = await client.waitForCompletion<number>(id, { timeoutMs: 600_000 });
        const wall = performance.now() - t0;
        check(status.output === 500500, `W2 output ${String(status.output)} != 500500`);
        check((await persistedSteps(store, id)) === N, "W2 persisted steps");
        return { N, wall_ms: round(wall), steps_per_s: round((N / wall) * 1000, 1) };
      }
      case "W3": {
        const M = 2000;
        const t0 = performance.now();
        const ids: string[] = [];
        for (let i = 0; i < M; i++) ids.push(await client.startNew(small, { input: i }));
        const startsDone = performance.now() - t0;
        const statuses = await Promise.all(ids.map((id) => client.waitForCompletion<number>(id, { timeoutMs: 600_000 })));
        const wall = performance.now() - t0;
        statuses.forEach((s, i) => check(s.output === i + 3, `W3 output of ${i}: ${String(s.output)}`));
        check((await persistedSteps(store, ids[M - 1]!)) === 3, "W3 persisted steps");
        return { M, wall_ms: round(wall), wf_per_s: round((M / wall) * 1000, 1), starts_done_ms: round(startsDone) };
      }
      case "W4": {
        const K = 200;
        const latencies: number[] = [];
        for (let i = 0; i < K; i++) {
          const t0 = performance.now();
          const id = await client.startNew(single, { input: i });
          const status = await client.waitForCompletion<number>(id, { timeoutMs: 60_000 });
          latencies.push(performance.now() - t0);
          check(status.output === i + 1, `W4 output of ${i}`);
        }
        latencies.sort((a, b) => a - b);
        const rank = (p: number): number => latencies[Math.max(0, Math.ceil((p / 100) * K) - 1)]!;
        const mean = latencies.reduce((a, b) => a + b, 0) / K;
        return { K, p50_ms: round(rank(50), 3), p99_ms: round(rank(99), 3), mean_ms: round(mean, 3) };
      }
    }
  } finally {
    await worker.stop();
  }
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
