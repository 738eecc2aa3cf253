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
