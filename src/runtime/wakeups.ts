/**
 * Wake-ups instead of sleeps: a loop that found no work waits here until something is notified
 * (an in-process commit, a store event) or a deadline passes, whichever comes first.
 *
 * @module
 */

export class Wakeup {
  #pending = false;
  #waiters: Array<() => void> = [];

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
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(wake);
      timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve();
      }, Math.max(0, ms));
    });
  }
}
