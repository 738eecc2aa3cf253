/**
 * The options of a worker, and their checks.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { IdSource } from "./ids.js";
import type { Logger } from "./logger.js";
import type { Timers } from "./wakeups.js";

export interface WorkerOptions {
  /** Identifies this worker in leases (default: a random id). */
  readonly workerId?: string | undefined;
  /** Activities run at once by this worker (default 100). */
  readonly maxConcurrentActivities?: number | undefined;
  /** Orchestration episodes in flight at once (default 1; raise it for a networked store). */
  readonly maxConcurrentOrchestrations?: number | undefined;
  /** Warm executors kept in memory (default 1000; 0 keeps none). */
  readonly executorCacheSize?: number | undefined;
  /** Lease length of work items; long activities renew theirs (default 30 s). */
  readonly leaseMs?: number | undefined;
  /** The longest an idle loop waits before looking again (default 1 s). */
  readonly maxIdleMs?: number | undefined;
  /** Largest payload accepted, in bytes of JSON (default 1 MiB). */
  readonly maxPayloadBytes?: number | undefined;
  readonly logger?: Logger | undefined;
  /**
   * What happens to an instance whose orchestration version no running worker registers (this
   * worker registers the name, not that version): "wait" (the default) leaves it until a worker
   * that has the version starts; "fail" fails it with a VersionNotAvailableError naming the version.
   */
  readonly missingVersion?: "wait" | "fail" | undefined;
  /** How the worker times its waits (default: Node's timers). The test kit passes a virtual clock's. */
  readonly timers?: Timers | undefined;
  /** Where new execution ids come from (default: random). The test kit passes a seeded source. */
  readonly ids?: IdSource | undefined;
}


/** @throws InvalidArgumentError when a worker option is not a positive number. */
export function positive(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`Worker option '${name}' must be a positive number; received ${String(value)}.`);
  }
  return value;
}
