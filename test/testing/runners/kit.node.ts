/**
 * The test kit under node:test (run by test/testing/runners.test.ts in a child process):
 * `node --import tsx --test test/testing/runners/kit.node.ts`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../../src/index.js";
import { createTestEnv, replayHistory, type TestEnv } from "../../../src/testing/index.js";

const app = createApp();
const remind = app.activity("Remind", async (who: string) => `reminded ${who}`);
const reminder = app.orchestration("Reminder", function* (ctx, who: string) {
  yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 30 * 86_400_000));
  return yield* ctx.callActivity(remind, who);
});

describe("perdure/testing under node:test", () => {
  let env: TestEnv;
  before(() => {
    env = createTestEnv(app);
  });
  after(async () => {
    await env.close();
  });

  it("runs a 30-day reminder on virtual time", async () => {
    env.mockActivity(remind, (who: string) => `mocked ${who}`);
    const id = await env.startNew(reminder, { input: "ana" });
    const status = await env.waitForCompletion(id);
    assert.equal(status.output, "mocked ana");
    assert.equal(env.now.toISOString(), "2026-01-31T00:00:00.000Z");
    assert.deepEqual(env.calls(remind).map((c) => c.input), ["ana"]);
  });

  it("replays the recorded history, and names the divergence of changed code", async () => {
    const id = await env.startNew(reminder, { input: "bo" });
    await env.waitForCompletion(id);
    const history = await env.client.getHistory(id);
    assert.equal(replayHistory(app, history).ok, true);
    const changed = createApp();
    changed.orchestration("Reminder", function* (ctx, who: string) {
      return yield* ctx.callActivity<string>("Remind", who);
    });
    const result = replayHistory(changed, history);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.reason, "nondeterminism");
      assert.match(result.error.message, /at position 0 the history records CreateTimer/);
    }
  });
});
