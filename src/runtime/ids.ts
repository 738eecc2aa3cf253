/**
 * Fresh ids for instances and executions (random: the runtime may use randomness, the core may not).
 *
 * @module
 */
import { randomUUID } from "node:crypto";

/** A fresh execution id: 32 lowercase hex characters. */
export function newExecutionId(): string {
  return randomUUID().replace(/-/g, "");
}

/** A fresh instance id: 32 lowercase hex characters. */
export function newInstanceId(): string {
  return randomUUID().replace(/-/g, "");
}

/**
 * Where a client and a worker take new ids from: random by default; the test kit passes a seeded
 * source, so that a test sees the same ids on every run.
 */
export interface IdSource {
  /** A new instance id (for a start that names none). */
  instanceId(): string;
  /** A new execution id (a start, a sub-orchestration, a continue-as-new). */
  executionId(): string;
}

/** Random ids. */
export const randomIds: IdSource = Object.freeze({ instanceId: newInstanceId, executionId: newExecutionId });
