/**
 * Work-item filters that name versions, on both stores: an orchestration of a listed version is
 * dispatched with its activities (which take their orchestration's version when they have none
 * of their own); one of another version waits, says why in the server's log, and is dispatched
 * as soon as a worker that takes its version connects.
 */
import { NoOpLogger, OrchestrationStatus, TaskHubGrpcWorker, type ActivityContext, type OrchestrationContext } from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { STORE_KINDS } from "../helpers/stores.js";
import { silent, startHarness, waitUntil, type Harness } from "./harness.js";

let harness: Harness | undefined;
const workers: TaskHubGrpcWorker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop().catch(() => undefined);
  await harness?.close();
  harness = undefined;
});

const greet = async (_ctx: ActivityContext, name: string): Promise<string> => `Hello v3, ${name}!`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const greetOrch = async function* (ctx: OrchestrationContext, name: string): AsyncGenerator<any, any, any> {
  return yield ctx.callActivity(greet, name);
};

async function startWorker(address: string, version: string): Promise<void> {
  const worker = new TaskHubGrpcWorker({
    hostAddress: address,
    logger: new NoOpLogger(),
    shutdownTimeoutMs: 2000,
    workItemFilters: { orchestrations: [{ name: "greetOrch", versions: [version] }], activities: [{ name: "greet", versions: [version] }] },
  });
  worker.addOrchestrator(greetOrch);
  worker.addActivity(greet);
  await worker.start();
  workers.push(worker);
}

describe.each(STORE_KINDS)("versioned work-item filters (%s)", (kind) => {
  it("dispatch by name and version, activities with their orchestration's version, and never wait silently", { timeout: 60_000 }, async () => {
    const warnings: string[] = [];
    const logger = { ...silent, warn: (message: string) => void warnings.push(message) };
    harness = await startHarness(() => undefined, { store: kind, startWorker: false, server: { logger } });
    const h = harness;
    await startWorker(h.address, "3.0.0");

    const matching = await h.client.scheduleNewOrchestration(greetOrch, "VersionTest", { version: "3.0.0" });
    const state = await h.client.waitForOrchestrationCompletion(matching, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(state?.serializedOutput).toBe(JSON.stringify("Hello v3, VersionTest!"));

    const other = await h.client.scheduleNewOrchestration(greetOrch, "Later", { version: "9.9.9" });
    await waitUntil(() => warnings.some((w) => w.includes(other)), "the server says why the instance waits");
    expect(warnings.find((w) => w.includes(other))).toMatch(/'greetOrch' version '9\.9\.9'.*only in version 3\.0\.0/);
    expect((await h.client.getOrchestrationState(other))?.runtimeStatus).toBe(OrchestrationStatus.PENDING);

    await startWorker(h.address, "9.9.9");
    expect((await h.client.waitForOrchestrationCompletion(other, true, 30))?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
  });
});
