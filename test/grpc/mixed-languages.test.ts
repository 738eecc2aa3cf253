/**
 * One workflow across languages, on both stores: a Perdure (TypeScript) orchestration calls an
 * activity and a sub-orchestration that only the JavaScript SDK's worker registers, and that SDK
 * orchestration calls an activity only Perdure's worker registers. Each name runs where it is
 * registered, routed by the store, never guessed.
 */
import type { ActivityContext, OrchestrationContext } from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createWorker, type TaskFailedError, type Worker } from "../../src/index.js";
import { STORE_KINDS } from "../helpers/stores.js";
import { silent, startHarness, type Harness } from "./harness.js";

let harness: Harness | undefined;
let local: Worker | undefined;
afterEach(async () => {
  // Ours first: once the server is closed it would fail the names it leaves to remote workers.
  await local?.stop({ timeoutMs: 2000 });
  await harness?.close();
  local = undefined;
  harness = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Orchestrator = (ctx: OrchestrationContext, input: any) => AsyncGenerator<any, any, any>;

describe.each(STORE_KINDS)("a workflow across languages (%s)", (kind) => {
  it("runs a TypeScript orchestration that calls a JavaScript-SDK activity and sub-orchestration, which calls a Perdure activity", { timeout: 60_000 }, async () => {
    const ran = { shout: 0, stamp: 0, greet: 0 };
    const app = createApp();
    const greet = app.activity("Greet", async (name: string) => {
      ran.greet++;
      return `hello ${name}`;
    });
    const flow = app.orchestration("TsFlow", function* (ctx, name: string) {
      const greeting = yield* ctx.callActivity(greet, name);
      const shouted = yield ctx.callActivity("Shout", greeting);
      const child = yield ctx.callSubOrchestrator("JsChild", name, { instanceId: `${ctx.instanceId}:child` });
      let failure: unknown;
      try {
        yield ctx.callActivity("Explode", name);
      } catch (error) {
        failure = { type: (error as TaskFailedError).details.errorType, message: (error as Error).message };
      }
      return { greeting, shouted, child, failure };
    });

    const shout = async (_ctx: ActivityContext, text: string): Promise<string> => {
      ran.shout++;
      return `${text.toUpperCase()}!`;
    };
    const stamp = async (_ctx: ActivityContext, text: string): Promise<string> => {
      ran.stamp++;
      return `[${text}]`;
    };
    const explode = async (_ctx: ActivityContext, name: string): Promise<never> => {
      throw new RangeError(`no ${name} here`);
    };
    const jsChild: Orchestrator = async function* (ctx, name: string) {
      const greeting: string = yield ctx.callActivity("Greet", `${name} from JavaScript`);
      const stamped: string = yield ctx.callActivity(stamp, greeting);
      return { parent: ctx.parent?.instanceId, stamped };
    };
    harness = await startHarness(
      (w) => {
        w.addNamedActivity("Shout", shout);
        w.addNamedActivity("stamp", stamp);
        w.addNamedActivity("Explode", explode);
        w.addNamedOrchestrator("JsChild", jsChild);
      },
      { app, store: kind },
    );
    local = createWorker(app, harness.store, { logger: silent }).start();

    const id = await harness.ours.startNew(flow, { input: "ana" });
    const status = await harness.ours.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({
      greeting: "hello ana",
      shouted: "HELLO ANA!",
      child: { parent: id, stamped: "[hello ana from JavaScript]" },
      failure: { type: "RangeError", message: expect.stringContaining("no ana here") },
    });
    expect(ran).toEqual({ shout: 1, stamp: 1, greet: 2 });
    expect(await harness.ours.getStatus(`${id}:child`)).toMatchObject({ name: "JsChild", runtimeStatus: "Completed" });

    // And the other way round: the SDK's client starts the SDK's orchestration, which calls ours.
    const fromSdk = await harness.client.scheduleNewOrchestration("JsChild", "bo");
    const state = await harness.client.waitForOrchestrationCompletion(fromSdk, true, 30);
    expect(JSON.parse(state?.serializedOutput ?? "null")).toEqual({ stamped: "[hello bo from JavaScript]" });
  });
});
