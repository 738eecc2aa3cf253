/**
 * Options of durable calls, as users write them.
 *
 * @module
 */
import type { RetryPolicy } from "../core/retry.js";

/**
 * Retry options of `callActivity` and `callSubOrchestrator`: first retry interval, max attempts,
 * backoff coefficient, max retry interval, retry timeout and a `handle(error)` predicate.
 *
 * @example
 * yield* ctx.callActivity(charge, order, {
 *   retry: { firstRetryIntervalMs: 1000, maxAttempts: 5, backoffCoefficient: 2, maxRetryIntervalMs: 30_000 },
 * });
 */
export type RetryOptions = RetryPolicy;

export type {
  CallActivityOptions,
  CallSubOrchestratorOptions,
  ContinueAsNewOptions,
  WaitForExternalEventOptions,
  ReplayLogger,
} from "../core/replay/orchestration-context.js";
