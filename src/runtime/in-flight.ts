/**
 * An activity a worker is running: its task, its lease renewals, and the signal it may watch.
 *
 * @module
 */
import type { ActivityWorkItem } from "../store/store.js";

/**
 * An activity running here: its task, and the signal its function may watch. The AbortController
 * is made when the function first asks for the signal: most never do, and making one per
 * activity costs as much as a short activity's bookkeeping.
 */
export class InFlight {
  abandoned = false;
  /** When its lease was last taken or renewed (the worker's clock, ms). */
  renewedAt = Date.now();
  renewing = false;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  constructor(public item: ActivityWorkItem) {}

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

