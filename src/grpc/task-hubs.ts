/**
 * Task-hub management over the protocol (CreateTaskHub, DeleteTaskHub). The store a server fronts
 * is its one task hub, so recreating or deleting the hub deletes every instance and entity in the
 * store, with its history, messages and tasks. That is what test harnesses want between tests and
 * what no production server should allow by accident: it is served only when the server was
 * started with `taskHubManagement: true`, and answers UNIMPLEMENTED otherwise.
 *
 * Invariants kept here:
 * 1. With the option off, nothing is deleted, whatever the request.
 * 2. Work held for remote workers when the hub goes is forgotten with it: its completions are
 *    refused (ABORTED) and change nothing, as for any lost lease.
 *
 * @module
 */
import type { Logger } from "../runtime/logger.js";
import type { Store } from "../store/store.js";
import type { Dispatcher } from "./dispatcher.js";
import { UnsupportedError } from "./errors.js";

export class TaskHubs {
  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
    private readonly enabled: boolean,
    private readonly logger: Logger,
  ) {}

  /** CreateTaskHub: the hub exists (it is the store); with `recreateIfExists` it is emptied. */
  async create(req: { readonly recreateIfExists?: boolean }): Promise<object> {
    this.#allowed("CreateTaskHub");
    if (req.recreateIfExists === true) await this.#empty("recreated");
    return {};
  }

  /** DeleteTaskHub: every instance and entity of the store is deleted. */
  async delete(): Promise<object> {
    this.#allowed("DeleteTaskHub");
    await this.#empty("deleted");
    return {};
  }

  #allowed(method: string): void {
    if (!this.enabled) {
      throw new UnsupportedError(
        `${method} is turned off on this server: it would delete every instance in its store. ` +
          `Start the server with the option taskHubManagement: true (serveGrpc or createGrpcServer) to allow it.`,
      );
    }
  }

  async #empty(what: string): Promise<void> {
    this.dispatcher.forgetAll();
    const deleted = await this.store.deleteAllInstances();
    // Work leased while the store was being emptied is gone too.
    this.dispatcher.forgetAll();
    this.logger.info(`Task hub ${what} over the protocol: ${deleted} instances and entities deleted.`);
  }
}
