/**
 * Crash survival in a real process (DESIGN.md invariants 3 and 6): a worker process is killed
 * with SIGKILL in the middle of a chain; a worker in this process takes over the expired leases
 * on the same SQLite file and finishes the chain. Every step runs at least once, the step that was
 * in flight may run twice, and every result is applied exactly once.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, sqlite } from "../../src/index.js";
import { spawnFixture, type Child } from "../helpers/children.js";
import { tempDir } from "../helpers/gates.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";
import { CHAIN_STEPS, CRASH_LEASE_MS, HOLD_ENV, LOG_ENV, crashApp } from "./fixtures/crash-app.js";

const workerScript = "test/e2e/fixtures/crash-worker.ts";

function spawnWorker(args: string[], env: Record<string, string>): Child {
  return spawnFixture("the worker process", workerScript, args, env);
}

function loggedSteps(log: string): number[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const match = /^step (\d+)$/.exec(line);
      if (match === null) throw new Error(`unexpected log line ${JSON.stringify(line)}`);
      return Number(match[1]);
    });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("crash survival", () => {
  it("finishes a chain whose worker process was killed mid-way, applying each result once", { timeout: 180_000 }, async () => {
    const tmp = tempDir("perdure-crash-");
    cleanups.push(tmp.remove);
    const db = tmp.path("crash.db");
    const log = tmp.path("steps.log");
    const id = "crash-1";

    const child = spawnWorker([db, "start", id], { [LOG_ENV]: log, [HOLD_ENV]: "5" });
    cleanups.push(async () => {
      if (!child.hasExited()) {
        child.process.kill("SIGKILL");
        await child.exited;
      }
    });
    await waitUntil(
      () => {
        if (child.hasExited()) throw new Error(`the worker process ended early:\n${child.output()}`);
        return loggedSteps(log).length >= 5;
      },
      "the worker process has run 5 steps",
      90_000,
    );
    child.process.kill("SIGKILL");
    await child.exited;
    expect(child.process.signalCode).toBe("SIGKILL");

    const probe = sqlite(db);
    try {
      const status = await createClient(probe).getStatus(id);
      expect(status?.runtimeStatus).toBe("Running");
    } finally {
      await probe.close();
    }
    const stepsBeforeRestart = loggedSteps(log).length;
    expect(stepsBeforeRestart).toBeGreaterThanOrEqual(5);
    expect(stepsBeforeRestart).toBeLessThan(CHAIN_STEPS);

    const rt: TestRuntime = startRuntime(crashApp({ logFile: log }).app, { file: db, leaseMs: CRASH_LEASE_MS });
    cleanups.push(() => rt.close());
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 90_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(CHAIN_STEPS);

    const counts = new Map<number, number>();
    for (const step of loggedSteps(log)) counts.set(step, (counts.get(step) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: CHAIN_STEPS }, (_, i) => i));
    const repeated = [...counts].filter(([, n]) => n > 1);
    expect(repeated.length).toBeLessThanOrEqual(1);
    expect(repeated.every(([, n]) => n === 2)).toBe(true);

    const history = await rt.client.getHistory(id);
    expect(history.filter((e) => e.type === "TaskCompleted")).toHaveLength(CHAIN_STEPS);
    expect(history.filter((e) => e.type === "TaskScheduled")).toHaveLength(CHAIN_STEPS);
  });
});
