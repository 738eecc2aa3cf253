/**
 * Runs one orchestration of an example app on the embedded store and prints what happened.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createClient, createWorker, sqlite, type App, type OrchestrationHandle } from "../src/index.js";

export async function runExample<TIn, TOut>(
  app: App,
  orchestration: OrchestrationHandle<TIn, TOut>,
  input: TIn,
  dbPath = process.env.PERDURE_DB ?? "perdure.db",
): Promise<void> {
  const store = sqlite(dbPath);
  const worker = createWorker(app, store).start();
  const client = createClient(store, { app });
  try {
    const instanceId = await client.startNew(orchestration, { input });
    console.log(`Started ${orchestration.name}, instance ${instanceId}`);
    const status = await client.waitForCompletion<TOut>(instanceId, { timeoutMs: 60_000 });
    console.log(`Status: ${status.runtimeStatus}`);
    if (status.runtimeStatus === "Failed") console.log("Failure:", status.failureDetails);
    else console.log("Result:", JSON.stringify(status.output, null, 2));
    const history = await client.getHistory(instanceId);
    console.log(`History: ${history.length} events, stored in ${resolve(dbPath)}`);
    console.log(`Inspect it: open that file with any SQLite tool (tables instances, history), or call client.getStatus("${instanceId}", { showHistory: true }).`);
  } finally {
    await worker.stop();
    await store.close();
  }
}

/** True when the module with this `import.meta.url` is the script being run. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(resolve(process.argv[1])).href;
}
