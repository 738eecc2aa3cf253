/**
 * The instance commands: start, status, list, history, raise, terminate, suspend, resume,
 * rewind and purge, each one or two management API calls on a target. With `json`, stdout gets
 * the API's JSON; otherwise a readable text.
 *
 * @module
 */
import type { CheckStatusPayload } from "../http/check-status.js";
import type { StatusJson } from "../http/status-json.js";
import { InvalidArgumentError } from "../core/errors.js";
import { validateInstanceId } from "../core/ids.js";
import { validateVersion } from "../core/versions.js";
import { checkPageSize, parseStatusList, parseTime } from "../runtime/arguments.js";
import type { RuntimeStatus } from "../store/store.js";
import { CliError, ExitCode, responseError, usageError } from "./errors.js";
import { instancesTable, statusText, timeline } from "./format.js";
import type { Target } from "./target.js";

export interface Output {
  readonly json: boolean;
  out(text: string): void;
  err(text: string): void;
}

const enc = encodeURIComponent;

/** Parses a `--input`/`--data` option as JSON; absent stays absent. */
export function parseJsonOption(name: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw usageError(`${name} must be JSON (a string needs quotes: '"text"'); received ${text}.`);
  }
}

/** Runs a shared argument check, its InvalidArgumentError becoming a usage error (exit 2). */
function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw usageError(error.message);
    throw error;
  }
}

/** A date option as ISO 8601 (nothing else); a date alone, or a time without an offset, is UTC. */
export function parseDateOption(name: string, text: string | undefined): string | undefined {
  return asUsage(() => parseTime(text, name));
}

async function ok(response: Response, expected: readonly number[]): Promise<Response> {
  if (expected.includes(response.status)) return response;
  throw await responseError(response);
}

export async function startCommand(target: Target, o: Output, name: string, opts: { input?: string; id?: string; version?: string }): Promise<void> {
  if (opts.id !== undefined) asUsage(() => validateInstanceId(opts.id));
  asUsage(() => validateVersion(opts.version, "--version"));
  const input = parseJsonOption("--input", opts.input);
  const path = `/orchestrators/${enc(name)}${opts.id === undefined ? "" : `/${enc(opts.id)}`}`;
  const response = await ok(await target.request("POST", path, { body: input, query: { version: opts.version } }), [202]);
  const payload = (await response.json()) as CheckStatusPayload;
  o.out(o.json ? JSON.stringify(payload) : `Started ${name}: instance ${payload.id}`);
}

async function getStatus(target: Target, id: string, query: Record<string, string>): Promise<StatusJson> {
  const response = await ok(await target.request("GET", `/instances/${enc(id)}`, { query }), [200, 202, 500]);
  return (await response.json()) as StatusJson;
}

export async function statusCommand(target: Target, o: Output, id: string): Promise<void> {
  const status = await getStatus(target, id, {});
  o.out(o.json ? JSON.stringify(status) : statusText(status));
}

export interface ListOptions {
  readonly status?: string;
  readonly createdFrom?: string;
  readonly createdTo?: string;
  readonly prefix?: string;
  readonly version?: string;
  readonly top?: string;
}

export async function listCommand(target: Target, o: Output, opts: ListOptions): Promise<void> {
  const top = opts.top ?? "100";
  parseTopOption(top);
  if (opts.prefix === "") throw usageError("--prefix must not be empty; leave it out to list every instance.");
  const query = {
    runtimeStatus: parseStatuses(opts.status)?.join(","),
    createdTimeFrom: parseDateOption("--created-from", opts.createdFrom),
    createdTimeTo: parseDateOption("--created-to", opts.createdTo),
    instanceIdPrefix: opts.prefix,
    version: opts.version,
    top,
    showInput: "false",
  };
  const response = await ok(await target.request("GET", "/instances", { query }), [200]);
  const instances = (await response.json()) as StatusJson[];
  o.out(o.json ? JSON.stringify(instances) : instancesTable(instances));
  if (response.headers.get("x-ms-continuation-token")) o.err(`More instances match than the ${top} shown; raise --top or narrow the filters.`);
}

/**
 * The history as a timeline; with `--json`, every event of the current execution with its ids and
 * payloads (the history route's pages, joined): what `replayHistory` reads, so it can be saved as
 * a golden file.
 */
export async function historyCommand(target: Target, o: Output, id: string): Promise<void> {
  if (o.json) {
    o.out(JSON.stringify(await rawHistory(target, id)));
    return;
  }
  const status = await getStatus(target, id, { showHistory: "true", showHistoryOutput: "true", showInput: "false" });
  const events = status.historyEvents ?? [];
  o.out(`${status.name} ${status.instanceId}: ${status.runtimeStatus}\n${timeline(events)}`);
}

interface HistoryPageJson {
  readonly instanceId: string;
  readonly executionId: string;
  readonly runtimeStatus: string;
  readonly events: unknown[];
  readonly next: number;
  readonly hasMore: boolean;
}

async function rawHistory(target: Target, id: string): Promise<{ instanceId: string; executionId: string; runtimeStatus: string; events: unknown[] }> {
  const events: unknown[] = [];
  let after = 0;
  for (;;) {
    const response = await ok(await target.request("GET", `/instances/${enc(id)}/history`, { query: { after: String(after), top: "5000" } }), [200]);
    const page = (await response.json()) as HistoryPageJson;
    events.push(...page.events);
    if (!page.hasMore) return { instanceId: page.instanceId, executionId: page.executionId, runtimeStatus: page.runtimeStatus, events };
    after = page.next;
  }
}

export async function raiseCommand(target: Target, o: Output, id: string, event: string, opts: { data?: string }): Promise<void> {
  const data = parseJsonOption("--data", opts.data);
  // The API needs a JSON body; no --data sends JSON null, which the orchestration receives as null.
  await ok(await target.request("POST", `/instances/${enc(id)}/raiseEvent/${enc(event)}`, { body: data ?? null }), [202]);
  o.out(o.json ? JSON.stringify({ instanceId: id, event, raised: true }) : `Raised event '${event}' to instance ${id}.`);
}

export type Operation = "terminate" | "suspend" | "resume" | "rewind";
const DONE: Record<Operation, string> = { terminate: "Termination", suspend: "Suspension", resume: "Resumption", rewind: "Rewind" };

export async function operationCommand(target: Target, o: Output, op: Operation, id: string, opts: { reason?: string }): Promise<void> {
  await ok(await target.request("POST", `/instances/${enc(id)}/${op}`, { query: { reason: opts.reason } }), [202]);
  o.out(o.json ? JSON.stringify({ instanceId: id, operation: op, accepted: true }) : `${DONE[op]} of instance ${id} accepted.`);
}

export interface PurgeOptions {
  readonly createdBefore?: string;
  readonly createdAfter?: string;
  readonly status?: string;
}

async function purgeMany(target: Target, o: Output, opts: PurgeOptions): Promise<number> {
  const createdTo = parseDateOption("--created-before", opts.createdBefore)!;
  const createdFrom = parseDateOption("--created-after", opts.createdAfter) ?? new Date(0).toISOString();
  const progress = (text: string): void => o.err(`\rPurging… ${text}`);
  if (target.client !== undefined) {
    const statuses = parseStatuses(opts.status, { finishedOnly: true });
    const count = await target.client.purgeBy({ createdFrom, createdTo, statuses }, (n) => progress(`${n} purged`));
    o.err("\n");
    return count;
  }
  const started = Date.now();
  const timer = setInterval(() => progress(`${Math.round((Date.now() - started) / 1000)}s, waiting for the server`), 1000);
  try {
    const query = { createdTimeFrom: createdFrom, createdTimeTo: createdTo, runtimeStatus: parseStatuses(opts.status, { finishedOnly: true })?.join(",") };
    const response = await target.request("DELETE", "/instances", { query });
    if (response.status === 404) return 0;
    return ((await (await ok(response, [200])).json()) as { instancesDeleted: number }).instancesDeleted;
  } finally {
    clearInterval(timer);
    if (Date.now() - started >= 1000) o.err("\n");
  }
}

/** `--top`: a page size, as every list takes it. */
export function parseTopOption(top: string): number {
  return asUsage(() => checkPageSize(/^\d+$/.test(top) ? Number(top) : top, "--top")!);
}

/** A comma-separated list of runtime statuses, any case; with `finishedOnly`, statuses of finished instances only. */
export function parseStatuses(list: string | undefined, options: { finishedOnly?: boolean } = {}): RuntimeStatus[] | undefined {
  return asUsage(() => parseStatusList(list, "--status", options));
}

export async function purgeCommand(target: Target, o: Output, id: string | undefined, opts: PurgeOptions): Promise<void> {
  if ((id === undefined) === (opts.createdBefore === undefined)) {
    throw usageError("Pass an instance id, or --created-before DATE (with --status, --created-after), not both.");
  }
  if (id === undefined) {
    const count = await purgeMany(target, o, opts);
    o.out(o.json ? JSON.stringify({ instancesDeleted: count }) : `Purged ${count} instance${count === 1 ? "" : "s"}.`);
    return;
  }
  if (opts.status !== undefined || opts.createdAfter !== undefined) throw usageError("--status and --created-after go with --created-before, not with an id.");
  const response = await target.request("DELETE", `/instances/${enc(id)}`);
  if (response.status === 404) throw new CliError(ExitCode.Failed, `No instance with id '${id}' exists.`);
  const body = (await (await ok(response, [200])).json()) as { instancesDeleted: number };
  o.out(o.json ? JSON.stringify(body) : `Purged instance ${id}.`);
}
