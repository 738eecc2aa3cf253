/**
 * Child processes running a TypeScript fixture (`node --import tsx <script>`) from the repository
 * root, with their output kept for failure messages.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far. */
  readonly output: () => string;
  readonly exited: Promise<void>;
  readonly hasExited: () => boolean;
}

/** Starts `script` (a path from the repository root) with `args` and extra environment. */
export function spawnFixture(name: string, script: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let done = false;
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      done = true;
      output += `\n[${name} exited with ${signal ?? `code ${code}`}]`;
      resolve();
    }),
  );
  return { name, process: child, output: () => output, exited, hasExited: () => done };
}
