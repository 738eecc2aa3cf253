/**
 * `perdure dev … --grpc <port>` as a child process: the app's own orchestrations and a JavaScript
 * SDK worker's run side by side on one store, each where it is registered.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NoOpLogger, OrchestrationStatus, TaskHubGrpcClient, TaskHubGrpcWorker, type OrchestrationContext } from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE_APP, Running, spawnCli } from "../cli/cli-helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("perdure dev --grpc", () => {
  it("serves the Durable Task protocol beside the app's own worker", { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "perdure-grpc-cli-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dev = new Running(spawnCli(["dev", FIXTURE_APP, "--store", join(dir, "dev.db"), "--port", "0", "--grpc", "0", "--log-level", "warn"]));
    cleanups.push(() => dev.stop("SIGTERM"));
    const [, port] = await dev.waitFor(/gRPC \(Durable Task protocol\): 127\.0\.0\.1:(\d+)/);

    const address = `localhost:${port}`;
    const client = new TaskHubGrpcClient({ hostAddress: address, logger: new NoOpLogger() });
    cleanups.push(() => client.stop());
    const worker = new TaskHubGrpcWorker({ hostAddress: address, logger: new NoOpLogger(), shutdownTimeoutMs: 2000 });
    // eslint-disable-next-line require-yield
    const remoteHello = async function* (_ctx: OrchestrationContext, name: string): AsyncGenerator<unknown, string> {
      return `remote:${name}`;
    };
    worker.addOrchestrator(remoteHello);
    await worker.start();
    cleanups.push(() => worker.stop());

    const local = await client.scheduleNewOrchestration("Hello", "ana");
    const remote = await client.scheduleNewOrchestration(remoteHello, "bo");
    const [a, b] = await Promise.all([client.waitForOrchestrationCompletion(local, true, 30), client.waitForOrchestrationCompletion(remote, true, 30)]);
    expect([a?.runtimeStatus, a?.serializedOutput]).toEqual([OrchestrationStatus.COMPLETED, '"echo:ana"']);
    expect([b?.runtimeStatus, b?.serializedOutput]).toEqual([OrchestrationStatus.COMPLETED, '"remote:bo"']);
    expect(await dev.stop("SIGTERM")).toBe(0);
  });

  it("refuses a bad port with a usage error", async () => {
    const run = new Running(spawnCli(["dev", FIXTURE_APP, "--grpc", "http"]));
    expect(await run.exited).toBe(2);
    expect(run.stderr).toMatch(/--grpc must be an integer/);
  });
});
