/**
 * What an activity receives besides its input.
 *
 * @module
 */

/** Context of one activity execution. Activities may do anything: I/O, clocks, randomness. */
export interface ActivityContext {
  /** The activity's registered name. */
  readonly name: string;
  /** The orchestration instance that scheduled it. */
  readonly instanceId: string;
  /** The execution of that instance (a new one per continue-as-new). */
  readonly executionId: string;
  /** The sequence number of the call within the execution; stable across re-deliveries. */
  readonly taskId: number;
  /** Aborted when the worker shuts down or loses the task; long activities should honour it. */
  readonly signal: AbortSignal;
}
