/**
 * `perdure check <app-module> --store …`: will this deploy break running instances? Replays the
 * store's Pending, Running and Suspended instances (and with `--finished N` the last N finished
 * ones) against the module's code, reading the store only, and exits 0 when all replay, 1 when any
 * would fail, 2 when the check was misused or could not run.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import { postgres } from "../store/postgres/index.js";
import { sqlite } from "../store/sqlite/index.js";
import type { Store } from "../store/store.js";
import { checkDeploy, type DeployCheckReport, type InstanceCheck } from "../testing/deploy-check.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import { table } from "./format.js";
import { loadApp } from "./load-app.js";
import { describeStore } from "./open-store.js";

export interface CheckOptions {
  readonly store: string;
  readonly schema?: string | undefined;
  readonly finished?: string | undefined;
  readonly json?: boolean | undefined;
  readonly strictInputs?: boolean | undefined;
  readonly skipUnregistered?: boolean | undefined;
}

export interface CheckIo {
  out(text: string): void;
  err(text: string): void;
}

/** Runs the check and returns the exit code; misuse and failures to run are CliErrors with code 2. */
export async function checkCommand(modulePath: string, opts: CheckOptions, io: CheckIo): Promise<number> {
  const finished = parseFinished(opts.finished);
  const app = await loadApp(modulePath);
  const store = await openReadOnly(opts.store, opts.schema);
  const started = performance.now();
  let report: DeployCheckReport;
  try {
    report = await checkDeploy(app, store, { finished, skipUnregistered: opts.skipUnregistered === true });
  } catch (error) {
    throw new CliError(ExitCode.Usage, `The check could not run: ${(error as Error).message}`);
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const fails = report.failing.length > 0 || (opts.strictInputs === true && report.inputChanges.length > 0);
  if (opts.json) io.out(JSON.stringify({ ok: !fails, seconds: round(seconds), ...report }));
  else io.out(textReport(report, seconds, opts.strictInputs === true));
  return fails ? ExitCode.Failed : ExitCode.Ok;
}

function parseFinished(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text)) throw usageError(`--finished takes a number of finished instances to check too (0 or more); received '${text}'.`);
  return Number(text);
}

/** Opens the store to read it only: a change to it is never a side effect of a check. */
async function openReadOnly(spec: string, schema: string | undefined): Promise<Store> {
  const isPostgres = /^postgres(ql)?:\/\//i.test(spec);
  if (!isPostgres && schema !== undefined) throw usageError(`--schema names a schema of a postgres:// store; '${spec}' is a SQLite file.`);
  try {
    return isPostgres ? await postgres(spec, { schema, readOnly: true, poolSize: 8 }) : sqlite(spec, { readOnly: true });
  } catch (error) {
    const reason = error instanceof InvalidArgumentError ? error.message : `${(error as Error).message}`;
    throw usageError(`Cannot read the store ${describeStore(spec)}: ${reason}`);
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function where(check: InstanceCheck): string {
  switch (check.outcome) {
    case "nondeterminism":
      return check.produced === undefined && check.recorded !== undefined
        ? `at ${check.position}: history ${check.recorded.text}, code makes no such call`
        : `at ${check.position}: history ${check.recorded?.text ?? "nothing"}, code ${check.produced?.text ?? "nothing"}`;
    case "input-differs":
      return `at ${check.position}: ${check.recorded?.text ?? "?"} with another input`;
    case "unknown-version":
      return `version ${check.version === undefined ? "(none)" : `'${check.version}'`} not in the module`;
    case "unknown-orchestration":
      return "orchestration not in the module";
    default:
      return check.message?.split("\n")[0] ?? check.outcome;
  }
}

function rows(checks: readonly InstanceCheck[]): string[][] {
  return checks.map((c) => [c.instanceId, c.name, c.version ?? "", c.status, where(c)]);
}

function textReport(report: DeployCheckReport, seconds: number, strictInputs: boolean): string {
  const statuses = Object.entries(report.byStatus)
    .map(([status, n]) => `${n} ${status}`)
    .join(", ");
  const lines = [`Checked ${report.checked} instances${statuses ? ` (${statuses})` : ""} in ${seconds.toFixed(2)} s.`];
  if (report.skipped > 0) lines.push(`Skipped ${report.skipped} of orchestrations the module does not register.`);
  if (report.failing.length > 0) {
    lines.push("", `${report.failing.length} would fail on this code:`, table(["INSTANCE ID", "NAME", "VERSION", "STATUS", "DIVERGES"], rows(report.failing)));
  }
  if (report.inputChanges.length > 0) {
    const note = strictInputs ? "(failing the check: --strict-inputs)" : "(they replay: a worker uses the recorded results)";
    lines.push("", `${report.inputChanges.length} make a recorded call with another input ${note}:`, table(["INSTANCE ID", "NAME", "VERSION", "STATUS", "CHANGED"], rows(report.inputChanges)));
  }
  if (report.failing.length === 0) lines.push("", "Every instance replays on this code.");
  return lines.join("\n");
}
