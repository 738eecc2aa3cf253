/**
 * The SQLite store's small translations between the Store port and its statements: statement
 * parameters of filters and name lists, the events and errors of its operations.
 *
 * @module
 */
import { newEvent, type HistoryEvent } from "../../core/history.js";
import { foldedNames, foldedVersions, iso, parseTime, type CheckedFinishedQuery } from "../adapter-kit.js";
import { LeaseLostError } from "../errors.js";
import type { ActivityOutcome, ActivityWorkItem, InstanceFilter, InstanceNames, OrchestrationWorkItem, VersionFilter } from "../store.js";
import type { InstanceRow } from "./rows.js";
import * as sql from "./sql.js";
import type { Params, Tx } from "./statements.js";

export function isLeaseLive(row: InstanceRow, tx: Tx): boolean {
  return row.locked_until !== null && row.locked_until > tx.nowIso;
}

export function outcomeEvent(item: ActivityWorkItem, outcome: ActivityOutcome, now: string): HistoryEvent {
  return outcome.ok
    ? newEvent("TaskCompleted", now, { taskScheduledId: item.taskId, result: outcome.result })
    : newEvent("TaskFailed", now, { taskScheduledId: item.taskId, failureDetails: outcome.failureDetails });
}

export function lostInstance(item: OrchestrationWorkItem): LeaseLostError {
  return new LeaseLostError(`orchestration instance '${item.instance.instanceId}'`);
}

export function lostTask(item: ActivityWorkItem): LeaseLostError {
  return new LeaseLostError(`activity task ${item.id} ('${item.name}' #${item.taskId} of instance '${item.instanceId}')`);
}

export type NamesParams = { readonly orchestrations: string; readonly entities: string };

/** Folded instance names as the statements bind them (JSON arrays). */
export function namesParams(names: InstanceNames | undefined): NamesParams | undefined {
  return names && { orchestrations: JSON.stringify(names.orchestrations), entities: JSON.stringify(names.entities) };
}

/** The statement of a checked finished-instances query. */
export function finishedStatement(query: CheckedFinishedQuery): { text: string; params: Params } {
  const shape = { completedFrom: query.completedFrom !== undefined, completedTo: query.completedTo !== undefined, after: query.after !== undefined };
  const params: Params = {
    statuses: JSON.stringify(query.statuses),
    completedFrom: query.completedFrom === undefined ? null : iso(query.completedFrom),
    completedTo: query.completedTo === undefined ? null : iso(query.completedTo),
    afterCompletedAt: query.after === undefined ? null : iso(query.after.completedAt),
    afterInstanceId: query.after?.instanceId ?? null,
    limit: query.pageSize + 1,
  };
  return { text: sql.selectFinishedSql(shape), params };
}

/** The statement shape and parameters of an instance filter. An empty `statuses` list filters nothing. */
export function filterOf(filter: InstanceFilter): { shape: sql.FilterShape; params: Params } {
  const statuses = filter.statuses !== undefined && filter.statuses.length > 0 ? filter.statuses : undefined;
  const shape: sql.FilterShape = {
    statuses: statuses !== undefined,
    createdFrom: filter.createdFrom !== undefined,
    createdTo: filter.createdTo !== undefined,
    instanceIdPrefix: filter.instanceIdPrefix !== undefined && filter.instanceIdPrefix !== "",
    name: filter.name !== undefined,
    version: filter.version !== undefined,
    parentInstanceId: filter.parentInstanceId !== undefined,
  };
  const params: Params = {
    kind: filter.kind ?? "orchestration",
    statuses: statuses === undefined ? null : JSON.stringify(statuses),
    createdFrom: filter.createdFrom === undefined ? null : iso(parseTime(filter.createdFrom, "createdFrom", "up")),
    createdTo: filter.createdTo === undefined ? null : iso(parseTime(filter.createdTo, "createdTo", "down")),
    prefix: filter.instanceIdPrefix,
    name: filter.name,
    version: filter.version,
    parentInstanceId: filter.parentInstanceId,
  };
  return { shape, params };
}

/** The search for the next ready instance: its statement and parameters. */
export interface ReadySearch {
  readonly text: string;
  readonly params: Params;
}

/** Every ready instance. */
export const ANY_READY: ReadySearch = { text: sql.nextReadyInstanceSql({ names: "any", versions: "any" }), params: {} };

/** Searches already made for a version filter object: a worker passes the same one at every call. */
const searches = new WeakMap<object, ReadySearch>();

/**
 * The search of a lease or step: among the names `only` gives, or all but those `except` gives,
 * and among the versions `versions` allows; all checked.
 */
export function readySearch(names: { only?: InstanceNames | undefined; except?: InstanceNames | undefined }, versions?: VersionFilter): ReadySearch {
  if (names.only === undefined && names.except === undefined && versions !== undefined) {
    const known = searches.get(versions);
    if (known !== undefined) return known;
    const search = makeSearch(names, versions);
    searches.set(versions, search);
    return search;
  }
  return makeSearch(names, versions);
}

function makeSearch(names: { only?: InstanceNames | undefined; except?: InstanceNames | undefined }, versions: VersionFilter | undefined): ReadySearch {
  const only = namesParams(foldedNames(names.only));
  const except = namesParams(foldedNames(names.except, "except"));
  const folded = foldedVersions(versions);
  if (only === undefined && except === undefined && folded === undefined) return ANY_READY;
  const shape: sql.ReadyShape = {
    names: only !== undefined ? "only" : except !== undefined ? "except" : "any",
    versions: folded === undefined ? "any" : folded.complement ? "complement" : "allowed",
  };
  return {
    text: sql.nextReadyInstanceSql(shape),
    params: {
      ...(only ?? except ?? {}),
      ...(folded && { versionNames: JSON.stringify(folded.names), versionKeys: JSON.stringify(folded.keys) }),
    },
  };
}
