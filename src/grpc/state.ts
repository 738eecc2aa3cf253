/**
 * Instance rows as the protocol's OrchestrationState, and runtime statuses both ways.
 *
 * @module
 */
import type { HistoryEvent } from "../core/history.js";
import type { InstanceRecord, RuntimeStatus } from "../store/store.js";
import { strip, toWireFailure, toWireString, toWireTimestamp } from "./codec.js";
import { ProtocolError } from "./errors.js";
import type { WireOrchestrationState, WireStatus, WireTimestamp } from "./wire.js";

const TO_WIRE: Readonly<Record<RuntimeStatus, WireStatus>> = {
  Pending: "ORCHESTRATION_STATUS_PENDING",
  Running: "ORCHESTRATION_STATUS_RUNNING",
  Suspended: "ORCHESTRATION_STATUS_SUSPENDED",
  Completed: "ORCHESTRATION_STATUS_COMPLETED",
  Failed: "ORCHESTRATION_STATUS_FAILED",
  Terminated: "ORCHESTRATION_STATUS_TERMINATED",
  // An instance that continued as new is running its next execution; the protocol never reports it as ended.
  ContinuedAsNew: "ORCHESTRATION_STATUS_RUNNING",
  Canceled: "ORCHESTRATION_STATUS_CANCELED",
};

const FROM_WIRE: Readonly<Record<WireStatus, RuntimeStatus>> = {
  ORCHESTRATION_STATUS_PENDING: "Pending",
  ORCHESTRATION_STATUS_RUNNING: "Running",
  ORCHESTRATION_STATUS_SUSPENDED: "Suspended",
  ORCHESTRATION_STATUS_COMPLETED: "Completed",
  ORCHESTRATION_STATUS_FAILED: "Failed",
  ORCHESTRATION_STATUS_TERMINATED: "Terminated",
  ORCHESTRATION_STATUS_CONTINUED_AS_NEW: "ContinuedAsNew",
  ORCHESTRATION_STATUS_CANCELED: "Canceled",
};

/** The protocol's status of a runtime status. */
export function toWireStatus(status: RuntimeStatus): WireStatus {
  return TO_WIRE[status];
}

/** The runtime status of a protocol status (an absent enum is its zero value, RUNNING). */
export function fromWireStatus(status: WireStatus | number | undefined): RuntimeStatus {
  const ours = FROM_WIRE[(status ?? "ORCHESTRATION_STATUS_RUNNING") as WireStatus];
  if (ours === undefined) throw new ProtocolError(`Unknown orchestration status ${String(status)}.`);
  return ours;
}

/** Statuses of a filter; RUNNING also matches an instance recorded as ContinuedAsNew. */
export function fromWireStatuses(statuses: readonly (WireStatus | number)[] | undefined): RuntimeStatus[] | undefined {
  if (statuses === undefined || statuses.length === 0) return undefined;
  return [...new Set(statuses.map(fromWireStatus))];
}

/**
 * An instance row as the protocol's OrchestrationState. Payloads (input, output, custom status)
 * only with `withPayloads`, as `getInputsAndOutputs` asks; failure details always.
 */
export function toWireState(
  record: InstanceRecord,
  withPayloads: boolean,
  started?: HistoryEvent | undefined,
): WireOrchestrationState {
  const tags = started?.type === "ExecutionStarted" ? started.tags : undefined;
  return strip({
    instanceId: record.instanceId,
    name: record.name,
    version: toWireString(record.version),
    orchestrationStatus: toWireStatus(record.status),
    scheduledStartTimestamp: time(record.scheduledStartAt),
    createdTimestamp: time(record.createdAt),
    lastUpdatedTimestamp: time(record.lastUpdatedAt),
    input: withPayloads ? toWireString(record.input) : undefined,
    output: withPayloads ? toWireString(record.output) : undefined,
    customStatus: withPayloads ? toWireString(record.customStatus) : undefined,
    failureDetails: record.failureDetails === undefined ? undefined : toWireFailure(record.failureDetails),
    executionId: toWireString(record.executionId),
    completedTimestamp: time(record.completedAt),
    parentInstanceId: toWireString(record.parent?.instanceId),
    tags: tags === undefined ? undefined : { ...tags },
  });
}

function time(iso: string | undefined): WireTimestamp | undefined {
  return iso === undefined ? undefined : toWireTimestamp(iso);
}
