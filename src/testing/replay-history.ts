/**
 * `replayHistory`: runs an orchestration's current code against a recorded history and tells
 * whether it still makes the recorded calls — the question a deploy asks of every running
 * instance. Saved as JSON files, histories become golden tests in a user's repository.
 *
 * @module
 */
import { describeCall, type SequencedAction } from "../core/actions.js";
import { InvalidArgumentError, NonDeterminismError, type CallDescription, type PerdureError } from "../core/errors.js";
import type { HistoryEvent } from "../core/history.js";
import { OrchestrationExecutor, type ExecutionStatus } from "../core/replay/executor.js";
import type { App } from "../sdk/app.js";
import { UnknownOrchestrationError } from "../runtime/errors.js";
import { readHistory, type HistoryInput } from "./history-input.js";

export interface ReplayOptions {
  /**
   * Whether a recorded call made again with another input is a divergence (default true). A
   * worker does not compare inputs (the recorded result is used), so with false the replay
   * answers exactly what a worker would; `perdure check` reports input changes apart.
   */
  readonly compareInputs?: boolean | undefined;
}

/** Why a history does not replay. */
export type ReplayFailureReason =
  /** The code makes another call than the history records at some position (or the same call with another input). */
  | "nondeterminism"
  /** The app registers no orchestration of the history's name. */
  | "unknown-orchestration"
  /** The app registers the name, not the version the history started on. */
  | "unknown-version"
  /** The history contradicts itself (an answer to a call it never made, two starts). */
  | "corrupt-history"
  /** The code breaks a rule of orchestrations on the way (yields a non-task, is async). */
  | "invalid-orchestration";

interface ReplayBase {
  readonly instanceId: string;
  readonly orchestration: string;
  readonly version: string | undefined;
}

/** The history replays: the code makes every recorded call. */
export interface ReplaySuccess extends ReplayBase {
  readonly ok: true;
  /** Where the execution stands after the history: Running for one still in flight. */
  readonly status: ExecutionStatus;
  /** The output, when the execution completed (parsed JSON; a finished history's recorded one). */
  readonly output?: unknown;
  /** Calls the code makes beyond the history's last episode: work its next episode would add. */
  readonly newCalls: readonly CallDescription[];
}

/** The history does not replay. */
export interface ReplayFailure extends ReplayBase {
  readonly ok: false;
  readonly reason: ReplayFailureReason;
  /** For "nondeterminism", a NonDeterminismError whose `info` names the position and both calls. */
  readonly error: PerdureError;
}

export type ReplayResult = ReplaySuccess | ReplayFailure;

/**
 * Replays `history` (see history-input.ts for the forms accepted) with the app's code for the
 * orchestration and version the history started on.
 * @throws InvalidArgumentError when the history cannot be read or has no ExecutionStarted event.
 *
 * @example
 * const result = replayHistory(app, JSON.parse(readFileSync("test/histories/order-42.json", "utf8")));
 * if (!result.ok) throw result.error; // names the position, the recorded call and the new one
 */
export function replayHistory(app: App, history: HistoryInput, options: ReplayOptions = {}): ReplayResult {
  const events = readHistory(history);
  return replayEvents(app, events, options.compareInputs === false ? "ignore" : "fail");
}

/** Replays events already read; with "report", input differences are returned instead of failing. */
export function replayEvents(
  app: App,
  events: readonly HistoryEvent[],
  compareInputs: "ignore" | "fail" | "report",
): ReplayResult & { readonly inputDifferences?: readonly NonDeterminismError[] } {
  const started = events.find((e) => e.type === "ExecutionStarted");
  if (started === undefined) {
    throw new InvalidArgumentError("The history has no ExecutionStarted event: it is empty, or not the history of an orchestration.");
  }
  const base = { instanceId: started.instanceId, orchestration: started.name, version: started.version };
  const definition = app.getOrchestrationVersion(started.name, started.version);
  if (definition === undefined) {
    const versions = app.orchestrationVersions(started.name);
    if (versions.length === 0) {
      return { ...base, ok: false, reason: "unknown-orchestration", error: new UnknownOrchestrationError(started.name, app.orchestrationNames) };
    }
    const error = new UnknownOrchestrationError(started.name, app.orchestrationNames, { version: started.version, registered: versions });
    return { ...base, ok: false, reason: "unknown-version", error };
  }
  const executor = new OrchestrationExecutor(definition, { compareInputs });
  const result = executor.execute(events, []);
  const halted = executor.haltedBy;
  if (halted !== undefined) {
    const reason: ReplayFailureReason =
      halted instanceof NonDeterminismError ? "nondeterminism" : halted.name === "CorruptHistoryError" ? "corrupt-history" : "invalid-orchestration";
    return { ...base, ok: false, reason, error: halted as PerdureError };
  }
  const newCalls = result.actions.filter((a): a is SequencedAction => a.type !== "CompleteOrchestration").map(describeCall);
  return {
    ...base,
    ok: true,
    status: result.status,
    ...(result.output !== undefined ? { output: JSON.parse(result.output) as unknown } : {}),
    newCalls,
    inputDifferences: executor.inputDifferences,
  };
}
