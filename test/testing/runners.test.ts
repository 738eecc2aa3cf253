/**
 * The test kit works under other runners than vitest: a node:test file, run in a child process.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

it("runs a node:test file that uses createTestEnv and replayHistory, and the process exits by itself", async () => {
  const { code, output } = await run(["--import", "tsx", "--test", "--test-reporter=tap", "test/testing/runners/kit.node.ts"]);
  expect(output).toMatch(/# pass 2/);
  expect(output).toMatch(/# fail 0/);
  expect(code, output).toBe(0);
});
