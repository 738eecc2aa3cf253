/**
 * A running worker's registration in the store: the orchestration versions it runs, renewed every
 * third of its lease, removed when it stops. Workers read each other's registrations to tell
 * whether some running worker has a version (see the worker's `missingVersion`).
 *
 * @module
 */
import type { App } from "../sdk/app.js";
import type { Store } from "../store/store.js";
import type { Logger } from "./logger.js";

/** The versions running workers register, by lower-case orchestration name (undefined: no version). */
export type RunningVersions = ReadonlyMap<string, ReadonlyArray<string | undefined>>;

export class WorkerRegistration {
  #timer: ReturnType<typeof setInterval> | undefined;
  #registering: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly store: Store,
    private readonly app: App,
    private readonly options: { readonly workerId: string; readonly ttlMs: number; readonly renewEveryMs: number; readonly logger: Logger },
  ) {}

  /** Registers now, and renews on a timer that does not keep the process alive. */
  start(): void {
    void this.#register();
    this.#timer = setInterval(() => void this.#register(), this.options.renewEveryMs).unref();
  }

  /** Stops renewing and removes the registration (it expires by itself if that fails). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#registering;
    try {
      await this.store.unregisterWorker(this.options.workerId);
    } catch (error) {
      this.options.logger.warn("Could not remove this worker's registration from the store; it expires by itself.", error);
    }
  }

  /** The versions that running workers register: this worker's own, and the others' of the same names. */
  async runningVersions(): Promise<RunningVersions> {
    const running = new Map<string, Array<string | undefined>>();
    const add = (name: string, version: string | undefined): void => {
      const versions = running.get(name) ?? [];
      if (!versions.includes(version)) versions.push(version);
      running.set(name, versions);
    };
    for (const o of this.app.orchestrations) add(o.name.toLowerCase(), o.version);
    for (const worker of await this.store.listWorkers()) {
      for (const o of worker.orchestrations) if (running.has(o.name)) add(o.name, o.version === "" ? undefined : o.version);
    }
    return running;
  }

  async #register(): Promise<void> {
    if (this.#registering !== undefined || this.#stopped) return;
    const orchestrations = this.app.orchestrations.map((o) => ({ name: o.name.toLowerCase(), version: o.version ?? "" }));
    const { workerId, ttlMs } = this.options;
    this.#registering = this.store.registerWorker({ workerId, orchestrations, ttlMs }).catch((error: unknown) => {
      this.options.logger.warn("Could not register this worker in the store; retrying at the next renewal.", error);
    });
    await this.#registering;
    this.#registering = undefined;
  }
}
