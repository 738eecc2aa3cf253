/**
 * An entity batch survives its worker's death (DESIGN.md invariants 1 and 6): a worker process
 * is killed with SIGKILL while one of its entity operations blocks in the middle of a batch,
 * inside the store's transaction. A worker in this process then carries on from the same SQLite
 * file. The operations of the killed batch may run again, but every operation is applied
 * exactly once, in the order it was sent: none is lost, none is doubled.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, entityId, sqlite } from "../../src/index.js";
import { spawnFixture, type Child } from "../helpers/children.js";
import { tempDir } from "../helpers/gates.js";
import { startRuntime, waitUntil } from "../helpers/runtime.js";
import { LEDGER_HOLD_ENV, LEDGER_LOG_ENV, ledgerApp } from "./fixtures/ledger-app.js";

const HOLD_AT = 15;

function spawnWorker(file: string, env: Record<string, string>): Child {
  return spawnFixture("the worker process", "test/e2e/fixtures/ledger-worker.ts", [file], env);
}

function ranOperations(log: string): number[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => Number(/^op (\d+)$/.exec(line)?.[1] ?? Number.NaN));
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("entity crash survival", () => {
  it("applies every operation exactly once, in order, after a worker dies in the middle of a batch", { timeout: 180_000 }, async () => {
    const tmp = tempDir("perdure-entity-crash-");
    cleanups.push(tmp.remove);
    const file = tmp.path("ledger.db");
    const log = tmp.path("ops.log");
    const { ledger } = ledgerApp({ logFile: log });
    const id = entityId(ledger, "main");

    const sender = sqlite(file);
    cleanups.push(() => sender.close());
    const client = createClient(sender);
    for (let i = 0; i < 10; i++) await client.signalEntity(id, "append", i);

    const worker = spawnWorker(file, { [LEDGER_LOG_ENV]: log, [LEDGER_HOLD_ENV]: String(HOLD_AT) });
    let killed = false;
    cleanups.push(async () => {
      if (!killed) {
        worker.process.kill("SIGKILL");
        await worker.exited;
      }
    });
    const state = async (): Promise<number[]> => (await client.readEntityState<number[]>(id)).state ?? [];
    await waitUntil(async () => (await state()).length === 10, `the worker process applied the first batch:\n${worker.output()}`, 90_000);

    // One write, so the worker sees all twenty at once: one batch, in which operation 15 blocks.
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.signalEntity(id, "append", 10 + i)));
    await waitUntil(() => ranOperations(log).includes(HOLD_AT), `operation ${HOLD_AT} runs:\n${worker.output()}`, 90_000);
    worker.process.kill("SIGKILL");
    killed = true;
    await worker.exited;
    expect(worker.process.signalCode).toBe("SIGKILL");
    // The killed batch committed nothing.
    expect(await state()).toEqual(Array.from({ length: 10 }, (_, i) => i));

    const rt = startRuntime(ledgerApp({ logFile: log }).app, { file });
    cleanups.push(() => rt.close());
    await waitUntil(async () => (await state()).length >= 30, "the new worker applies the rest", 90_000);
    expect(await state()).toEqual(Array.from({ length: 30 }, (_, i) => i));

    const runs = new Map<number, number>();
    for (const op of ranOperations(log)) runs.set(op, (runs.get(op) ?? 0) + 1);
    // The operations of the killed batch before the blocked one ran twice; their effects count once.
    expect(runs.get(10)).toBe(2);
    expect(runs.get(HOLD_AT)).toBe(2);
    expect(runs.get(29)).toBe(1);
    expect([...runs.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
