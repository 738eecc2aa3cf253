/**
 * The JSON of an instance's status and history, shaped as Durable Functions' HTTP API answers it.
 *
 * Decisions (see also the README section on the HTTP API):
 * 1. `createdTime` and `lastUpdatedTime` are truncated to seconds (`yyyy-MM-ddTHH:mm:ssZ`), as
 *    Durable Functions writes them; history timestamps keep their full precision.
 * 2. An absent input, output or custom status is `null`. A Failed instance's `output` is the
 *    message Durable Functions gives ("Orchestrator function 'X' failed: …"), and its failure is
 *    also given as `failureDetails` (type, message, inner failure).
 * 3. Stack traces are never part of an HTTP answer, not even the user's recorded ones: they name
 *    files and lines of the server. They stay in the store, where `client.getStatus` reads them.
 *
 * @module
 */
import type { FailureDetails } from "../core/errors.js";
import type { HistoryEvent } from "../core/history.js";
import type { OrchestrationStatus } from "../runtime/client.js";

/** A failure as the HTTP API shows it: without stack traces. */
export interface FailureJson {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly innerFailure?: FailureJson;
  readonly isNonRetriable?: boolean;
}

/** The status object of `GET instances/{id}` and of each entry of `GET instances`. */
export interface StatusJson {
  readonly name: string;
  readonly instanceId: string;
  /** The orchestration version, when the instance has one. */
  readonly version?: string;
  readonly runtimeStatus: string;
  readonly input: unknown;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly failureDetails?: FailureJson;
  readonly historyEvents?: Record<string, unknown>[];
}

export interface StatusJsonOptions {
  readonly showInput: boolean;
  readonly showHistoryOutput: boolean;
}

/** A time as Durable Functions writes status times: UTC, to the second. */
export function toSecondsUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A failure without its stack traces, at every level. */
export function publicFailure(details: FailureDetails): FailureJson {
  return {
    errorType: details.errorType,
    errorMessage: details.errorMessage,
    ...(details.innerFailure ? { innerFailure: publicFailure(details.innerFailure) } : {}),
    ...(details.isNonRetriable ? { isNonRetriable: true } : {}),
  };
}

/** The status JSON of one instance (`history` only when it was asked for). */
export function toStatusJson(status: OrchestrationStatus, options: StatusJsonOptions): StatusJson {
  const failed = status.runtimeStatus === "Failed";
  const failure = status.failureDetails;
  const output = failed
    ? `Orchestrator function '${status.name}' failed: ${failure?.errorMessage ?? "no failure details were recorded"}`
    : status.output;
  const json: StatusJson = {
    name: status.name,
    instanceId: status.instanceId,
    ...(status.version !== undefined ? { version: status.version } : {}),
    runtimeStatus: status.runtimeStatus,
    input: options.showInput ? (status.input ?? null) : null,
    customStatus: status.customStatus ?? null,
    output: output ?? null,
    createdTime: toSecondsUtc(status.createdTime),
    lastUpdatedTime: toSecondsUtc(status.lastUpdatedTime),
    ...(failed && failure ? { failureDetails: publicFailure(failure) } : {}),
  };
  if (status.history === undefined) return json;
  return { ...json, historyEvents: status.runtimeStatus === "Pending" ? [] : toHistoryJson(status.history, options) };
}

const PAYLOAD_FIELDS = new Set(["input", "result", "reason", "data"]);

/** camelCase → PascalCase, as Durable Task history JSON spells its fields. */
function pascal(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

function parsePayload(payload: unknown): unknown {
  if (typeof payload !== "string") return payload ?? null;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

/** One event as Durable Task JSON: PascalCase keys, parsed payloads, failures without stacks. */
function eventJson(event: HistoryEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { EventType: event.type };
  for (const [key, value] of Object.entries(event)) {
    if (key === "type" || key === "eventId" || value === undefined) continue;
    if (key === "failureDetails") out.FailureDetails = publicFailure(value as FailureDetails);
    else out[pascal(key)] = PAYLOAD_FIELDS.has(key) ? parsePayload(value) : value;
  }
  if ("failureDetails" in event && event.failureDetails) out.Reason = event.failureDetails.errorMessage;
  return out;
}

const ANSWERS = {
  TaskCompleted: "TaskScheduled",
  TaskFailed: "TaskScheduled",
  SubOrchestrationInstanceCompleted: "SubOrchestrationInstanceCreated",
  SubOrchestrationInstanceFailed: "SubOrchestrationInstanceCreated",
} as const;

/**
 * The `historyEvents` of a status, post-processed as Durable Functions does: episode markers
 * removed; a completion merged with the event that scheduled it (`FunctionName`,
 * `ScheduledTime`), which is then dropped; results only with `showHistoryOutput`; the inputs of
 * starts, schedules and events left out; timer ids dropped.
 */
export function toHistoryJson(history: readonly HistoryEvent[], options: StatusJsonOptions): Record<string, unknown>[] {
  const scheduled = new Map<string, { index: number; name: string; timestamp: string }>();
  const merged = new Set<number>();
  const out: (Record<string, unknown> | undefined)[] = history.map((event, index) => {
    if (event.type === "OrchestratorStarted" || event.type === "OrchestratorCompleted") return undefined;
    const json = eventJson(event);
    switch (event.type) {
      case "TaskScheduled":
      case "SubOrchestrationInstanceCreated":
        scheduled.set(`${event.type}_${event.eventId}`, { index, name: event.name, timestamp: event.timestamp });
        delete json.Input;
        delete json.Version;
        break;
      case "TaskCompleted":
      case "TaskFailed":
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed": {
        const origin = scheduled.get(`${ANSWERS[event.type]}_${event.taskScheduledId}`);
        if (origin) {
          json.FunctionName = origin.name;
          json.ScheduledTime = origin.timestamp;
          merged.add(origin.index);
        }
        delete json.TaskScheduledId;
        if (!options.showHistoryOutput) delete json.Result;
        break;
      }
      case "ExecutionStarted":
        json.FunctionName = json.Name;
        for (const key of ["Name", "InstanceId", "ExecutionId", "Parent", "Version", "Tags", "Input"]) delete json[key];
        break;
      case "ExecutionCompleted":
        json.OrchestrationStatus = json.Status;
        delete json.Status;
        if (!options.showHistoryOutput) delete json.Result;
        break;
      case "EventRaised":
        delete json.Input;
        break;
      case "TimerFired":
        delete json.TimerId;
        break;
    }
    return json;
  });
  return out.filter((json, index): json is Record<string, unknown> => json !== undefined && !merged.has(index));
}
