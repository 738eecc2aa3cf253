/**
 * The deploy check: replays the histories of a store's live instances (and, if asked, its last
 * finished ones) against an app's code, and tells which would fail on it. It only reads the
 * store. `perdure check` prints its report; CI scripts may call it directly.
 *
 * Invariants kept here:
 * 1. An instance is reported failing exactly when a worker running this app would fail it or
 *    could never run it: replay diverges (kind or name of a recorded call), its history cannot be
 *    replayed, or the app lacks its orchestration or its version.
 * 2. A recorded call made again with another input is no failure (a worker uses the recorded
 *    result); it is reported apart, and fails the check only when asked (`strictInputs`).
 * 3. Nothing is written to the store.
 *
 * @module
 */
import type { CallDescription, NonDeterminismError } from "../core/errors.js";
import type { App } from "../sdk/app.js";
import { TERMINAL_STATUSES, type InstanceRecord, type RuntimeStatus, type Store } from "../store/store.js";
import { replayEvents, type ReplayFailureReason } from "./replay-history.js";
import type { HistoryEvent } from "../core/history.js";

export interface DeployCheckOptions {
  /** Also check the last N finished instances (newest first by creation). Default 0. */
  readonly finished?: number | undefined;
  /** Leave out instances of orchestrations the app does not register at all (a store shared with other apps or SDK workers). */
  readonly skipUnregistered?: boolean | undefined;
  /** Histories read at once (default 8: a networked store answers several reads in one round trip's time). */
  readonly concurrency?: number | undefined;
  /** Told how many instances were checked so far, now and then. */
  readonly onProgress?: ((checked: number) => void) | undefined;
}

/** What the check found for one instance. */
export type CheckOutcome =
  | "replays"
  | "not-started"
  | "input-differs"
  | ReplayFailureReason;

export interface InstanceCheck {
  readonly instanceId: string;
  readonly name: string;
  readonly version?: string | undefined;
  readonly status: RuntimeStatus;
  readonly outcome: CheckOutcome;
  /** Where a divergence (or an input difference) is: the sequence number of the call. */
  readonly position?: number | undefined;
  readonly recorded?: CallDescription | undefined;
  readonly produced?: CallDescription | undefined;
  /** What went wrong, as one sentence. */
  readonly message?: string | undefined;
}

export interface DeployCheckReport {
  /** Instances checked (skipped ones not counted). */
  readonly checked: number;
  /** Instances by runtime status, among those checked. */
  readonly byStatus: Readonly<Partial<Record<RuntimeStatus, number>>>;
  /** Instances a worker running this app would fail or could not run. */
  readonly failing: readonly InstanceCheck[];
  /** Instances whose history replays, but a recorded call is now made with another input. */
  readonly inputChanges: readonly InstanceCheck[];
  /** Instances left out (`skipUnregistered`). */
  readonly skipped: number;
}

const LIVE: readonly RuntimeStatus[] = ["Pending", "Running", "Suspended"];
const PAGE = 500;

/**
 * Checks every Pending, Running and Suspended orchestration of `store` (and the last `finished`
 * finished ones) against `app`.
 *
 * @example
 * const report = await checkDeploy(app, store);
 * if (report.failing.length > 0) process.exitCode = 1;
 */
export async function checkDeploy(app: App, store: Store, options: DeployCheckOptions = {}): Promise<DeployCheckReport> {
  const failing: InstanceCheck[] = [];
  const inputChanges: InstanceCheck[] = [];
  const byStatus: Partial<Record<RuntimeStatus, number>> = {};
  let checked = 0;
  let skipped = 0;
  const check = async (record: InstanceRecord): Promise<void> => {
    if (options.skipUnregistered === true && app.getOrchestration(record.name) === undefined) {
      skipped++;
      return;
    }
    const result = checkHistory(app, record, await readHistory(store, record.instanceId));
    checked++;
    byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
    if (result.outcome === "input-differs") inputChanges.push(result);
    else if (result.outcome !== "replays" && result.outcome !== "not-started") failing.push(result);
    if (checked % 500 === 0) options.onProgress?.(checked);
  };
  const concurrency = options.concurrency ?? 8;
  await forEach(instances(store, LIVE, Infinity), concurrency, check);
  const finished = options.finished ?? 0;
  if (finished > 0) await forEach(instances(store, TERMINAL_STATUSES, finished), concurrency, check);
  options.onProgress?.(checked);
  return { checked, byStatus, failing, inputChanges, skipped };
}

/** The check of one instance, from its record and its current execution's history. */
export function checkHistory(app: App, record: InstanceRecord, history: readonly HistoryEvent[]): InstanceCheck {
  const base = { instanceId: record.instanceId, name: record.name, version: record.version, status: record.status };
  if (!history.some((e) => e.type === "ExecutionStarted")) {
    // Not started yet (Pending, its start in the inbox): a worker needs only its orchestration and version.
    if (app.getOrchestrationVersion(record.name, record.version) !== undefined) return { ...base, outcome: "not-started" };
    const reason = app.getOrchestration(record.name) === undefined ? "unknown-orchestration" : "unknown-version";
    return { ...base, outcome: reason, message: unregistered(app, record.name, record.version) };
  }
  const result = replayEvents(app, history, "report");
  if (!result.ok) {
    const info = (result.error as Partial<NonDeterminismError>).info;
    return { ...base, outcome: result.reason, position: info?.position, recorded: info?.recordedCall, produced: info?.producedCall, message: result.error.message };
  }
  const difference = result.inputDifferences?.[0];
  if (difference !== undefined) {
    const { position, recordedCall, producedCall } = difference.info;
    return { ...base, outcome: "input-differs", position, recorded: recordedCall, produced: producedCall, message: difference.message };
  }
  return { ...base, outcome: "replays" };
}

function unregistered(app: App, name: string, version: string | undefined): string {
  const versions = app.orchestrationVersions(name);
  if (versions.length === 0) return `The app registers no orchestration '${name}'.`;
  const label = (v: string | undefined): string => (v === undefined ? "no version" : `version '${v}'`);
  return `The app registers '${name}' with ${versions.map(label).join(", ")}, not with ${label(version)}, which the instance started on.`;
}

/** Instances of some statuses, newest first, up to `limit`, page by page. */
async function* instances(store: Store, statuses: readonly RuntimeStatus[], limit: number): AsyncGenerator<InstanceRecord> {
  let continuationToken: string | undefined;
  let given = 0;
  do {
    const page = await store.queryInstances({ kind: "orchestration", statuses, pageSize: Math.min(PAGE, limit - given), continuationToken });
    for (const record of page.instances) {
      yield record;
      if (++given >= limit) return;
    }
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
}

async function readHistory(store: Store, instanceId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await store.getHistory(instanceId, { after, pageSize: 5000 });
    events.push(...page.events);
    if (page.next === undefined) return events;
    after = page.next;
  }
}

/** Runs `work` on each item, at most `concurrency` at once; the first failure ends it. */
async function forEach<T>(items: AsyncIterable<T>, concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of items) {
    if (failure !== undefined) break;
    const task: Promise<void> = work(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => running.delete(task));
    running.add(task);
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure !== undefined) throw failure.error;
}
