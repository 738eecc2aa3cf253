/**
 * A bounded LRU cache of warm executors, keyed by instance id. A warm executor resumes its
 * generator with only the new events; an evicted one is rebuilt by replaying history once.
 * Each entry remembers how long the stored history is after the episodes it ran, so that a copy
 * another worker has moved past (a store shared by many processes) is known to be stale.
 *
 * @module
 */
import type { OrchestrationExecutor } from "../core/replay/executor.js";

interface Entry {
  readonly executionId: string;
  readonly executor: OrchestrationExecutor;
  /** Events in the execution's stored history once this executor's last episode committed. */
  readonly historyLength: number;
}

export class ExecutorCache {
  readonly #entries = new Map<string, Entry>();
  constructor(readonly capacity: number) {}

  /** The warm executor of this execution, if cached (and marks it recently used). */
  get(instanceId: string, executionId: string): OrchestrationExecutor | undefined {
    const entry = this.#entries.get(instanceId);
    if (entry === undefined) return undefined;
    if (entry.executionId !== executionId || entry.executor.isDone) {
      this.#entries.delete(instanceId);
      return undefined;
    }
    this.#entries.delete(instanceId);
    this.#entries.set(instanceId, entry);
    return entry.executor;
  }

  /** True when `has` holds and the warm executor waits for nothing but task `taskId` (OrchestrationExecutor.awaitsOnly). */
  awaitsOnly(instanceId: string, executionId: string, historyLength: number, taskId: number): boolean {
    return this.has(instanceId, executionId, historyLength) && this.#entries.get(instanceId)!.executor.awaitsOnly(taskId);
  }

  /** True when a warm executor of this execution is cached and, given the stored history's length, has seen all of it. */
  has(instanceId: string, executionId: string, historyLength?: number): boolean {
    const entry = this.#entries.get(instanceId);
    if (entry === undefined || entry.executionId !== executionId || entry.executor.isDone) return false;
    return historyLength === undefined || entry.historyLength === historyLength;
  }

  /** The stored history's length as the cached executor of this instance knows it. */
  historyLength(instanceId: string): number | undefined {
    return this.#entries.get(instanceId)?.historyLength;
  }

  set(instanceId: string, executionId: string, executor: OrchestrationExecutor, historyLength: number): void {
    if (this.capacity <= 0) return;
    this.#entries.delete(instanceId);
    this.#entries.set(instanceId, { executionId, executor, historyLength });
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(instanceId: string): void {
    this.#entries.delete(instanceId);
  }

  get size(): number {
    return this.#entries.size;
  }
}
