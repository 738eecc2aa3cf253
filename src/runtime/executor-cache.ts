/**
 * A bounded LRU cache of warm executors, keyed by instance id. A warm executor resumes its
 * generator with only the new events; an evicted one is rebuilt by replaying history once.
 *
 * @module
 */
import type { OrchestrationExecutor } from "../core/replay/executor.js";

interface Entry {
  readonly executionId: string;
  readonly executor: OrchestrationExecutor;
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

  has(instanceId: string, executionId: string): boolean {
    const entry = this.#entries.get(instanceId);
    return entry !== undefined && entry.executionId === executionId && !entry.executor.isDone;
  }

  set(instanceId: string, executionId: string, executor: OrchestrationExecutor): void {
    if (this.capacity <= 0) return;
    this.#entries.delete(instanceId);
    this.#entries.set(instanceId, { executionId, executor });
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
