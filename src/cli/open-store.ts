/**
 * Opens the store a `--store` option names: a SQLite file path, or a `postgres://` URL.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { postgres } from "../store/postgres/index.js";
import { sqlite } from "../store/sqlite/index.js";
import type { Store } from "../store/store.js";
import { InvalidArgumentError } from "../core/errors.js";
import { CliError, ExitCode, usageError } from "./errors.js";

/** The default store of every command: the embedded file of `perdure dev`. */
export const DEFAULT_STORE = "perdure.db";

function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** A store spec for messages, with any password hidden. */
export function describeStore(spec: string): string {
  return isPostgresUrl(spec) ? spec.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@") : resolve(spec);
}

async function openPostgres(url: string, schema: string | undefined): Promise<Store> {
  return postgres(url, { schema });
}

/**
 * Opens a store. With `mustExist`, a SQLite file that does not exist is an error rather than a
 * new empty store (a typo in the path should not look like an empty store).
 */
export async function openStore(spec: string, options: { mustExist: boolean; schema?: string | undefined }): Promise<Store> {
  if (isPostgresUrl(spec)) {
    try {
      return await openPostgres(spec, options.schema);
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (error instanceof InvalidArgumentError) throw usageError(error.message);
      throw new CliError(ExitCode.Failed, `Cannot open the store ${describeStore(spec)}: ${(error as Error).message}`);
    }
  }
  if (options.schema !== undefined) throw usageError(`--schema names a schema of a postgres:// store; '${spec}' is a SQLite file.`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw usageError(`--store takes a SQLite file path or a postgres:// URL; received '${spec}'. For a running server, use --url.`);
  }
  if (options.mustExist && !existsSync(spec)) {
    throw new CliError(ExitCode.Failed, `No store at ${resolve(spec)}: the file does not exist. Pass --store <path>, or --url for a running server.`);
  }
  return sqlite(spec);
}
