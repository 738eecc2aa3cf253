/**
 * An orchestration instance's status as the client shows it: the stored record with its payloads
 * parsed, in Durable Functions' fields.
 *
 * @module
 */
import type { FailureDetails } from "../core/errors.js";
import type { HistoryEvent } from "../core/history.js";
import type { InstanceRecord, RuntimeStatus } from "../store/store.js";

/** An instance's status, with the Durable Functions fields. Payloads are parsed JSON values. */
export interface OrchestrationStatus<TOut = unknown> {
  readonly name: string;
  readonly instanceId: string;
  /** The version the instance started on (and runs for life); undefined when it has none. */
  readonly version?: string | undefined;
  /** The current execution (a new one per continue-as-new). */
  readonly executionId: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input?: unknown;
  readonly output?: TOut | undefined;
  readonly customStatus?: unknown;
  readonly createdTime: Date;
  readonly lastUpdatedTime: Date;
  readonly failureDetails?: FailureDetails | undefined;
  readonly parentInstanceId?: string | undefined;
  readonly scheduledStartTime?: Date | undefined;
  /** The current execution's history, with `showHistory`. */
  readonly history?: readonly HistoryEvent[] | undefined;
}

/**
 * Reads a stored payload for a status. Payloads written by other SDKs (over the Durable Task
 * protocol) are opaque texts of their own converters and may not be JSON (an SDK sends "" for
 * "no input"): a status read shows such a text as it is instead of failing.
 */
function readPayload(payload: string | undefined): unknown {
  if (payload === undefined) return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

/** The status of a stored record; the input only with `showInput`. */
export function toStatus<TOut>(record: InstanceRecord, showInput: boolean, history: readonly HistoryEvent[] | undefined): OrchestrationStatus<TOut> {
  return {
    name: record.name,
    instanceId: record.instanceId,
    version: record.version,
    executionId: record.executionId,
    runtimeStatus: record.status,
    input: showInput ? readPayload(record.input) : undefined,
    output: readPayload(record.output) as TOut | undefined,
    customStatus: readPayload(record.customStatus),
    createdTime: new Date(record.createdAt),
    lastUpdatedTime: new Date(record.lastUpdatedAt),
    failureDetails: record.failureDetails,
    parentInstanceId: record.parent?.instanceId,
    scheduledStartTime: record.scheduledStartAt === undefined ? undefined : new Date(record.scheduledStartAt),
    history,
  };
}
