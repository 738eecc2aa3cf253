/**
 * Reading a recorded history from wherever it was saved, into Perdure's history events:
 *
 * - `client.getHistory(id)` (or its JSON): Perdure's events as they are stored;
 * - `perdure history <id> --json` and the HTTP API's history route: `{ events: [...] }`, with
 *   payloads given as parsed JSON, and `eventId`s kept;
 * - a Durable Task SDK client's history (`getOrchestrationHistory` of `@microsoft/durabletask-js`,
 *   read over the gRPC protocol): its events and field names, timestamps as Dates.
 *
 * Invariants kept here:
 * 1. Each event keeps its kind, sequence number, time and every field replay reads.
 * 2. A history that is none of these is refused with an InvalidArgumentError that names the
 *    first event it could not read, never replayed as something else.
 *
 * @module
 */
import { InvalidArgumentError, type FailureDetails } from "../core/errors.js";
import { EventType, type HistoryEvent } from "../core/history.js";

type Raw = Record<string, unknown>;

const KINDS = new Set<string>(Object.values(EventType));

/** Payload fields, by the name Perdure's events give them. */
const PAYLOAD_FIELDS = ["input", "result", "reason", "data", "output"] as const;

/** The statuses an SDK's ExecutionCompleted writes, as Perdure's. */
const SDK_STATUSES: Readonly<Record<string, string>> = {
  ORCHESTRATION_STATUS_COMPLETED: "Completed",
  ORCHESTRATION_STATUS_FAILED: "Failed",
  ORCHESTRATION_STATUS_TERMINATED: "Terminated",
  ORCHESTRATION_STATUS_CONTINUED_AS_NEW: "ContinuedAsNew",
};

/** Something a history may be given as: events, a document holding them, or JSON text of either. */
export type HistoryInput = readonly unknown[] | { readonly events: readonly unknown[] } | string;

/**
 * The events of a recorded history, in Perdure's form.
 * @throws InvalidArgumentError when it is not a history in a form listed above.
 */
export function readHistory(input: HistoryInput): HistoryEvent[] {
  let value: unknown = input;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new InvalidArgumentError(`The history is not JSON: ${(error as Error).message}.`);
    }
  }
  // The history route's document gives payloads as parsed JSON.
  const document = !Array.isArray(value) && typeof value === "object" && value !== null && Array.isArray((value as Raw).events);
  const events = document ? ((value as Raw).events as unknown[]) : value;
  if (!Array.isArray(events)) {
    throw new InvalidArgumentError("A history is a list of events, or a document with `events` (what `perdure history --json` prints).");
  }
  return events.map((event, index) => readEvent(event, index, document));
}

function readEvent(event: unknown, index: number, parsedPayloads: boolean): HistoryEvent {
  const raw = event as Raw;
  const type = typeof raw?.type === "string" ? raw.type : typeof raw?.EventType === "string" ? raw.EventType : undefined;
  if (type === undefined || !KINDS.has(type) || typeof raw.eventId !== "number") {
    const hint =
      raw !== null && typeof raw === "object" && "EventType" in raw
        ? " It looks like a Durable Functions status history (showHistory=true), which drops what replay needs; save the events of client.getHistory(), `perdure history --json` or the SDK client's history instead."
        : "";
    throw new InvalidArgumentError(`Event ${index} of the history is not a history event (a type and an eventId).${hint}`);
  }
  const out: Raw = { ...raw, type, timestamp: timeOf(raw.timestamp, index, "timestamp") };
  for (const field of PAYLOAD_FIELDS) {
    if (out[field] === undefined || out[field] === null) delete out[field];
    else if (parsedPayloads || typeof out[field] !== "string") out[field] = JSON.stringify(out[field]);
  }
  fromSdkFields(out, index);
  return out as unknown as HistoryEvent;
}

/** Renames and reshapes what the Durable Task SDKs' events spell differently. */
function fromSdkFields(out: Raw, index: number): void {
  for (const key of ["fireAt", "scheduledTime", "scheduledStartTimestamp"]) {
    if (out[key] !== undefined) out[key] = timeOf(out[key], index, key);
  }
  if (out.type === "ExecutionStarted") {
    const instance = out.orchestrationInstance as Raw | undefined;
    if (instance !== undefined) {
      out.instanceId ??= instance.instanceId;
      out.executionId ??= instance.executionId ?? "";
      delete out.orchestrationInstance;
    }
    const parent = out.parentInstance as Raw | undefined;
    if (parent !== undefined && out.parent === undefined) {
      const of = parent.orchestrationInstance as Raw | undefined;
      out.parent = { name: parent.name ?? "", instanceId: of?.instanceId ?? "", executionId: of?.executionId, taskScheduledId: parent.taskScheduledId };
      delete out.parentInstance;
    }
    if (out.scheduledStartTimestamp !== undefined) out.scheduledStartTime ??= out.scheduledStartTimestamp;
    delete out.scheduledStartTimestamp;
  }
  if (out.type === "ExecutionCompleted" && out.status === undefined && typeof out.orchestrationStatus === "string") {
    out.status = SDK_STATUSES[out.orchestrationStatus] ?? out.orchestrationStatus;
    delete out.orchestrationStatus;
  }
  // Terminations, suspensions and resumptions carry their reason as `input` in the SDKs.
  if ((out.type === "ExecutionTerminated" || out.type === "ExecutionSuspended" || out.type === "ExecutionResumed") && out.reason === undefined) {
    if (out.input !== undefined) out.reason = out.input;
    delete out.input;
  }
  if (out.failureDetails !== undefined) out.failureDetails = failureOf(out.failureDetails as Raw);
}

function failureOf(raw: Raw): FailureDetails {
  return {
    errorType: String(raw.errorType ?? "Error"),
    errorMessage: String(raw.errorMessage ?? raw.message ?? ""),
    ...(typeof raw.stackTrace === "string" ? { stackTrace: raw.stackTrace } : {}),
    ...(raw.innerFailure !== undefined && raw.innerFailure !== null ? { innerFailure: failureOf(raw.innerFailure as Raw) } : {}),
    ...(raw.isNonRetriable === true ? { isNonRetriable: true } : {}),
  };
}

function timeOf(value: unknown, index: number, field: string): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return value;
  throw new InvalidArgumentError(`Event ${index} of the history has no valid '${field}' (an ISO 8601 time or a Date); received ${JSON.stringify(value)}.`);
}
