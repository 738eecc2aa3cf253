/**
 * Runs the CLI as a child process (`node --import tsx src/cli/main.ts …`) and keeps track of the
 * long-running ones, so that every test can end them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURE_APP = fileURLToPath(new URL("./fixtures/app.ts", import.meta.url));
const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const key of ["PERDURE_URL", "PERDURE_STORE", "PERDURE_API_KEY"]) if (!(key in extra)) delete env[key];
  return env;
}

export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs the CLI to its end. */
export function perdure(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  const child = spawnCli(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running CLI process, with its output so far. */
export class Running {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Resolves with the first match of `pattern` in stdout, or fails at the deadline or on exit. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`the CLI exited (${this.child.exitCode}) before printing ${pattern}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stdout: ${this.stdout}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const onData = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.child.stdout!.off("data", onData);
          resolve();
        }, 200);
        this.child.stdout!.once("data", onData);
      });
    }
  }

  /** Stops the process with a signal and waits for it. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
