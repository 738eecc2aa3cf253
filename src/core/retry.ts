/**
 * Retry arithmetic for activities and sub-orchestrations, with Durable Task semantics:
 * delay(n) = firstRetryIntervalMs × backoffCoefficient^(n−1), capped at maxRetryIntervalMs;
 * no more attempts after maxAttempts, nor when the next attempt would start after the retry timeout.
 *
 * @module
 */
import { InvalidArgumentError, type TaskFailedError } from "./errors.js";

/**
 * How a failed activity or sub-orchestration is retried. Retries are durable: a timer runs between
 * attempts and every attempt is its own TaskScheduled in history.
 */
export interface RetryPolicy {
  /** Delay before the first retry, in milliseconds (> 0). */
  readonly firstRetryIntervalMs: number;
  /** Total attempts, the first included (≥ 1). */
  readonly maxAttempts: number;
  /** Multiplier applied to the delay after each retry (≥ 1; default 1). */
  readonly backoffCoefficient?: number | undefined;
  /** Upper bound of one delay, in milliseconds (default: none). */
  readonly maxRetryIntervalMs?: number | undefined;
  /** No retry starts later than this many milliseconds after the first attempt (default: none). */
  readonly retryTimeoutMs?: number | undefined;
  /**
   * Decides whether a failure is worth retrying; called with the attempt's TaskFailedError. Must be
   * deterministic (it runs during replay). Failures marked non-retriable are never retried.
   */
  readonly handle?: ((error: TaskFailedError) => boolean) | undefined;
}

function requireNumber(name: string, value: unknown, min: number, allowInfinity: boolean): void {
  if (typeof value !== "number" || Number.isNaN(value) || value < min || (!allowInfinity && !Number.isFinite(value))) {
    throw new InvalidArgumentError(
      `Retry option '${name}' must be a number ≥ ${min}${allowInfinity ? "" : " and finite"}; received ${String(value)}.`,
    );
  }
}

/** Checks a retry policy at the call site, so that a bad option fails the call that set it. */
export function validateRetryPolicy(policy: RetryPolicy): void {
  if (policy === null || typeof policy !== "object") {
    throw new InvalidArgumentError(`Retry options must be an object; received ${String(policy)}.`);
  }
  requireNumber("firstRetryIntervalMs", policy.firstRetryIntervalMs, 0, false);
  if (policy.firstRetryIntervalMs <= 0) {
    throw new InvalidArgumentError(
      `Retry option 'firstRetryIntervalMs' must be greater than 0; received ${policy.firstRetryIntervalMs}.`,
    );
  }
  requireNumber("maxAttempts", policy.maxAttempts, 1, false);
  if (!Number.isInteger(policy.maxAttempts)) {
    throw new InvalidArgumentError(`Retry option 'maxAttempts' must be an integer; received ${policy.maxAttempts}.`);
  }
  if (policy.backoffCoefficient !== undefined) requireNumber("backoffCoefficient", policy.backoffCoefficient, 1, false);
  if (policy.maxRetryIntervalMs !== undefined) requireNumber("maxRetryIntervalMs", policy.maxRetryIntervalMs, 0, true);
  if (policy.retryTimeoutMs !== undefined) requireNumber("retryTimeoutMs", policy.retryTimeoutMs, 0, true);
  if (policy.handle !== undefined && typeof policy.handle !== "function") {
    throw new InvalidArgumentError(`Retry option 'handle' must be a function; received ${typeof policy.handle}.`);
  }
}

/**
 * Longest single retry delay: 100 years. Exponential backoff without a `maxRetryIntervalMs` would
 * otherwise outgrow what a Date can hold.
 */
export const MAX_RETRY_DELAY_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/** The delay before retry number `retry` (1 for the first retry). */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  const coefficient = policy.backoffCoefficient ?? 1;
  const delay = policy.firstRetryIntervalMs * Math.pow(coefficient, retry - 1);
  const cap = Math.min(policy.maxRetryIntervalMs ?? MAX_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS);
  return Math.min(delay, cap);
}

/**
 * The delay before the next attempt, or `undefined` when the policy allows no more attempts.
 * `attemptsMade` counts the attempts so far (≥ 1); `elapsedMs` is the time since the first attempt.
 * The `handle` predicate and non-retriable failures are decided by the caller.
 */
export function nextRetryDelayMs(policy: RetryPolicy, attemptsMade: number, elapsedMs: number): number | undefined {
  if (attemptsMade >= policy.maxAttempts) return undefined;
  const delay = retryDelayMs(policy, attemptsMade);
  const timeout = policy.retryTimeoutMs ?? Number.POSITIVE_INFINITY;
  if (elapsedMs + delay > timeout) return undefined;
  return delay;
}
