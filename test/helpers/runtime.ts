/**
 * Starts a worker and a client on a fresh SQLite store in a temporary folder, and removes
 * everything again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createWorker, sqlite, type App, type Client, type Store, type Worker, type WorkerOptions } from "../../src/index.js";

export interface TestRuntime {
  readonly store: Store;
  readonly worker: Worker;
  readonly client: Client;
  readonly dir: string;
  readonly file: string;
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export function startRuntime(app: App, options: WorkerOptions & { file?: string; clock?: () => number } = {}): TestRuntime {
  const dir = mkdtempSync(join(tmpdir(), "perdure-test-"));
  const file = options.file ?? join(dir, "test.db");
  const store = sqlite(file, { clock: options.clock });
  const worker = createWorker(app, store, { logger: silent, ...options }).start();
  const client = createClient(store, { app });
  return {
    store,
    worker,
    client,
    dir,
    file,
    async close() {
      await worker.stop({ timeoutMs: 2000 });
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(100, delay * 2);
  }
}
