/**
 * Wake-ups instead of sleeps: a loop that found no work waits here until something is notified
 * (an in-process commit, a store event) or a deadline passes, whichever comes first.
 *
 * @module
 */

/**
 * How a worker times its waits: Node's timers by default; the test kit passes its virtual clock's,
 * so that a wait ends when virtual time passes, and no real timer is left behind.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers. */
export const realTimers: Timers = Object.freeze({
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

export class Wakeup {
  #pending = false;
  #waiters: Array<() => void> = [];

  constructor(private readonly timers: Timers = realTimers) {}

  /** Wakes every waiter now; a notify with no waiter is remembered for the next wait. */
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    if (waiters.length === 0) this.#pending = true;
    for (const wake of waiters) wake();
  }

  /** True when a notify is remembered: the next wait returns at once. */
  get isPending(): boolean {
    return this.#pending;
  }

  /** Resolves on the next notify, or after `ms` milliseconds. */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: unknown;
      const wake = (): void => {
        if (timer !== undefined) this.timers.clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(wake);
      timer = this.timers.setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve();
      }, Math.max(0, ms));
    });
  }
}
