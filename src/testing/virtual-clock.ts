/**
 * A virtual clock: the time a test environment's store and worker read, which moves only when
 * the test moves it, and the timers the worker waits on, which fire when it passes their time.
 * No real timer is ever set, so nothing is left behind.
 *
 * @module
 */
import type { Timers } from "../runtime/wakeups.js";

interface VirtualTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

/** A clock that stands still until told to move. */
export class VirtualClock implements Timers {
  #nowMs: number;
  #nextId = 1;
  readonly #timers = new Map<number, VirtualTimer>();

  constructor(start: Date) {
    this.#nowMs = start.getTime();
  }

  /** The time, in milliseconds since the epoch (what the store reads). */
  readonly now = (): number => this.#nowMs;

  /** The time, as a Date. */
  get date(): Date {
    return new Date(this.#nowMs);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** The due time of the earliest pending timer, if any. */
  get nextDue(): number | undefined {
    let next: number | undefined;
    for (const timer of this.#timers.values()) if (next === undefined || timer.dueMs < next) next = timer.dueMs;
    return next;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { id, dueMs: this.#nowMs + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /**
   * Moves the time to `ms` (never back) and fires, in due order, the timers due by then. Returns
   * how many fired. Callers step through due times one at a time (see TestEnv.advanceTime) so
   * that what a timer starts runs at that timer's time.
   */
  moveTo(ms: number): number {
    if (ms > this.#nowMs) this.#nowMs = ms;
    const due = [...this.#timers.values()].filter((t) => t.dueMs <= this.#nowMs).sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
    for (const timer of due) {
      this.#timers.delete(timer.id);
      timer.callback();
    }
    return due.length;
  }

  /** Drops every pending timer (the environment is closing). */
  clearAll(): void {
    this.#timers.clear();
  }
}
