/**
 * What the replay executor takes and gives: the orchestration it runs, its options, and what one
 * episode produced.
 *
 * @module
 */
import type { Action } from "../actions.js";
import type { FailureDetails } from "../errors.js";
import type { CompletionStatus, HistoryEvent } from "../history.js";
import type { Payload } from "../serde.js";
import type { OrchestrationContextImpl, ReplayLogger } from "./orchestration-context.js";

/** An orchestration as the executor runs it: a name and a (generator) function. */
export interface OrchestrationDefinition {
  readonly name: string;
  readonly fn: (ctx: OrchestrationContextImpl, input: unknown) => unknown;
}

/**
 * What replay does when the code makes a recorded call (same kind and name) with another input:
 * "ignore" it, as a worker does (the recorded result is used, as in Durable Functions); "fail"
 * with a NonDeterminismError that says the input differs; or "report" it in `inputDifferences`
 * and go on.
 */
export type InputComparison = "ignore" | "fail" | "report";

export interface ExecutorOptions {
  /** Where `ctx.log` writes when not replaying (default: nowhere). */
  readonly logger?: ReplayLogger | undefined;
  /** Whether replay compares the inputs of recorded calls (default "ignore"). */
  readonly compareInputs?: InputComparison | undefined;
  /**
   * The version a sub-orchestration starts on when the call names none (default: none). The
   * worker passes the newest version its app registers.
   */
  readonly subOrchestrationVersion?: ((orchestrationName: string) => string | undefined) | undefined;
}

/** The state of an execution after an episode. */
export type ExecutionStatus = "Running" | "Suspended" | CompletionStatus;

/** What one episode produced. */
export interface ExecutionResult {
  readonly status: ExecutionStatus;
  /** New work, in order: sequenced actions, then CompleteOrchestration if the execution ended. */
  readonly actions: readonly Action[];
  /** Events to append to history: the new events applied, action echoes, ExecutionCompleted. */
  readonly newHistory: readonly HistoryEvent[];
  /** The output (Completed), the next input (ContinuedAsNew) or the reason (Terminated). */
  readonly output?: Payload;
  readonly failureDetails?: FailureDetails | undefined;
  readonly customStatus?: Payload;
  /** Timers canceled in this episode: their pending messages may be dropped. */
  readonly canceledTimers: readonly number[];
  /** The critical section requested or held and not released, per history after this episode. */
  readonly heldLock?: HeldLock | undefined;
  /** The same before this episode: what stays locked if the episode is not committed. */
  readonly heldLockAtStart?: HeldLock | undefined;
}

/** A critical section of an execution, as its history records it. */
export interface HeldLock {
  readonly criticalSectionId: string;
  /** Entity instance ids, in lock order. */
  readonly lockSet: readonly string[];
}
