/**
 * The tasks that stand for durable calls: activities, sub-orchestrations, timers, external event
 * waits and retried calls. Each sequenced task owns the sequence number taken when its call was
 * made; the executor settles it when the history event answering that number is replayed.
 *
 * @module
 */
import type { SequencedAction } from "../actions.js";
import {
  EntityOperationFailedError,
  EventTimeoutError,
  TaskCanceledError,
  TaskFailedError,
  normalizeError,
  type FailedTaskKind,
  type FailureDetails,
} from "../errors.js";
import { nextRetryDelayMs, type RetryPolicy } from "../retry.js";
import { Task, ManualTask, onSettled, settle } from "./task.js";

/** A task answered by a history event carrying its sequence number. */
export abstract class SequencedTask<T> extends Task<T> {
  constructor(readonly action: SequencedAction) {
    super();
  }
  /** The sequence number of the durable call. */
  get id(): number {
    return this.action.id;
  }
}

/** An activity call or a sub-orchestration call. */
export class CallTask<T> extends SequencedTask<T> {
  constructor(
    action: SequencedAction,
    readonly kind: FailedTaskKind,
    readonly name: string,
    readonly target?: string,
  ) {
    super(action);
  }
  /** @internal */
  succeed(value: T): void {
    this[settle]({ ok: true, value });
  }
  /** @internal */
  failWith(details: FailureDetails): void {
    this[settle]({ ok: false, error: new TaskFailedError(this.kind, this.name, this.id, details, this.target) });
  }
}

/** Called by a timer task when user code cancels it. */
export interface TimerHost {
  timerCanceled(timer: TimerTask): void;
}

/** A durable timer. Cancel it when it lost a race, so that it does not wake the instance. */
export class TimerTask extends SequencedTask<void> {
  #canceled = false;
  constructor(
    action: SequencedAction & { type: "CreateTimer" },
    private readonly host: TimerHost,
  ) {
    super(action);
  }
  /** When the timer fires (ISO-8601 UTC). */
  get fireAt(): Date {
    return new Date((this.action as { fireAt: string }).fireAt);
  }
  /** True once the timer was canceled. */
  get isCanceled(): boolean {
    return this.#canceled;
  }
  /**
   * Cancels a pending timer: it will not complete, and awaiting it raises TaskCanceledError. A
   * timer that already fired is not affected.
   */
  cancel(): void {
    if (this.isCompleted) return;
    this.#canceled = true;
    this[settle]({ ok: false, error: new TaskCanceledError(`Timer ${this.id} was canceled.`) });
    this.host.timerCanceled(this);
  }
  /** @internal */
  fire(): void {
    this[settle]({ ok: true, value: undefined });
  }
}

/** A wait for an external event, optionally with a built-in timeout timer. */
export class ExternalEventTask<T> extends ManualTask<T> {
  timer: TimerTask | undefined;
  constructor(readonly name: string) {
    super();
  }
  /** @internal Delivers the event; cancels the timeout timer. */
  deliver(value: T): void {
    if (this[settle]({ ok: true, value })) this.timer?.cancel();
  }
  /** @internal Fails the wait when its timeout fires first. */
  timeOut(timeoutMs: number): void {
    this[settle]({ ok: false, error: new EventTimeoutError(this.name, timeoutMs) });
  }
}

/** What a retried call needs from its context: start an attempt, start a delay timer, tell the time. */
export interface RetryHost {
  startAttempt(): CallTask<unknown>;
  startDelay(delayMs: number): TimerTask;
  nowMs(): number;
}

/**
 * A call retried under a policy. Each attempt and each delay is its own durable call, so every
 * attempt is visible in history and a replay takes the same decisions from the same events.
 */
export class RetryableTask<T> extends ManualTask<T> {
  #attempts = 0;
  readonly #startedMs: number;
  constructor(
    private readonly policy: RetryPolicy,
    private readonly host: RetryHost,
  ) {
    super();
    this.#startedMs = host.nowMs();
    this.attempt();
  }

  /** Attempts made so far. */
  get attempts(): number {
    return this.#attempts;
  }

  private attempt(): void {
    this.#attempts++;
    const child = this.host.startAttempt();
    child[onSettled]((c) => {
      if (!c.isFaulted) {
        this[settle]({ ok: true, value: c.result as T });
        return;
      }
      const error = c.error as TaskFailedError;
      const delay = this.retryDelay(error);
      if (delay === undefined) {
        this[settle]({ ok: false, error });
        return;
      }
      this.host.startDelay(delay)[onSettled]((timer) => {
        if (!timer.isFaulted) this.attempt();
      });
    });
  }

  private retryDelay(error: TaskFailedError): number | undefined {
    if (error.details.isNonRetriable) return undefined;
    const delay = nextRetryDelayMs(this.policy, this.#attempts, this.host.nowMs() - this.#startedMs);
    if (delay === undefined) return undefined;
    if (this.policy.handle) {
      let retry: boolean;
      try {
        retry = this.policy.handle(error);
      } catch (thrown) {
        const cause = normalizeError(thrown);
        this[settle]({ ok: false, error: cause });
        return undefined;
      }
      if (!retry) return undefined;
    }
    return delay;
  }
}

/** The record of a one-way call (an event, a signal, a release): nothing answers it; it holds its sequence number. */
export class OneWayTask extends SequencedTask<void> {}

/** The record of a one-way `sendEvent`. */
export class SendEventTask extends OneWayTask {}

/** The record of a patch marker (`ctx.patched`): it holds its sequence number, nothing answers it. */
export class PatchMarkerTask extends OneWayTask {}

/** A call of an entity operation, answered by EntityOperationCompleted or EntityOperationFailed. */
export class EntityCallTask<T> extends SequencedTask<T> {
  constructor(
    action: SequencedAction,
    readonly operation: string,
    readonly entityInstanceId: string,
    readonly requestId: string,
  ) {
    super(action);
  }
  /** @internal */
  succeed(value: T): void {
    this[settle]({ ok: true, value });
  }
  /** @internal */
  failWith(details: FailureDetails): void {
    this[settle]({ ok: false, error: new EntityOperationFailedError(this.operation, this.entityInstanceId, this.id, details) });
  }
}

/** A lock request of a critical section, answered by EntityLockGranted. */
export class LockTask<T> extends SequencedTask<T> {
  constructor(
    action: SequencedAction,
    readonly criticalSectionId: string,
    private readonly onGranted: () => T,
  ) {
    super(action);
  }
  /** @internal */
  grant(): void {
    if (!this.isCompleted) this[settle]({ ok: true, value: this.onGranted() });
  }
}
