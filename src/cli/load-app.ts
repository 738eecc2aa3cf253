/**
 * Loads a user's app module: a module that exports `app` (or a default export) made with
 * `createApp()`. A TypeScript module is loaded through tsx when it is installed.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { App } from "../sdk/app.js";
import { usageError } from "./errors.js";

/** Duck-typed, so that an app made by another copy of the package is accepted too. */
function isApp(value: unknown): value is App {
  const app = value as Partial<App> | null;
  return typeof app?.getOrchestration === "function" && typeof app.getActivity === "function" && Array.isArray(app.orchestrationNames);
}

async function importModule(url: string, isTypeScript: boolean): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if (!isTypeScript || (error as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
  }
  let tsx: { register(): unknown };
  try {
    tsx = (await import("tsx/esm/api")) as { register(): unknown };
  } catch {
    throw usageError("Loading a TypeScript app module needs tsx: run `npm i -D tsx`, or compile the app and pass the .js file.");
  }
  tsx.register();
  return (await import(url)) as Record<string, unknown>;
}

/** Imports the module at `path` (relative to the working directory) and returns its app. */
export async function loadApp(path: string): Promise<App> {
  const file = resolve(path);
  if (!existsSync(file)) throw usageError(`No app module at ${file}.`);
  let module: Record<string, unknown>;
  try {
    module = await importModule(pathToFileURL(file).href, /\.[cm]?tsx?$/.test(file));
  } catch (error) {
    if (error instanceof Error && error.name === "CliError") throw error;
    throw usageError(`Cannot load the app module ${file}: ${(error as Error).message.split("\n")[0]}`);
  }
  const app = isApp(module.app) ? module.app : isApp(module.default) ? module.default : undefined;
  if (app === undefined) {
    throw usageError(`The module ${file} exports no app: export one made with createApp(), as \`export const app = createApp();\`.`);
  }
  return app;
}
