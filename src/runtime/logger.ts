/**
 * The runtime's logger: the same four levels as `ctx.log`, written to the console by default.
 *
 * @module
 */
import type { ReplayLogger } from "../core/replay/orchestration-context.js";

export type Logger = ReplayLogger;
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A logger writing lines at or above `level` to stderr, prefixed with the level. */
export function consoleLogger(level: LogLevel = "warn"): Logger {
  const at = ORDER[level];
  const write =
    (name: Exclude<LogLevel, "silent">) =>
    (message: string, ...args: unknown[]): void => {
      if (ORDER[name] >= at) console.error(`[perdure] ${name}: ${message}`, ...args);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
