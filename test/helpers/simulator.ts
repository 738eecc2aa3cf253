/**
 * Drives one orchestration instance through episodes without a store: keeps its history, feeds
 * each batch of new events to an executor (kept warm, or rebuilt cold from history each time) and
 * records what every episode returned.
 */
import { OrchestrationExecutor, type ExecutionResult } from "../../src/core/replay/executor.js";
import type { HistoryEvent } from "../../src/core/history.js";
import type { App } from "../../src/sdk/app.js";
import { HistoryBuilder } from "../../src/testing/history-builder.js";

export interface Episode {
  readonly newEvents: readonly HistoryEvent[];
  readonly result: ExecutionResult;
}

export class Simulator {
  readonly history: HistoryEvent[] = [];
  readonly episodes: Episode[] = [];
  readonly h: HistoryBuilder;
  private executor: OrchestrationExecutor | undefined;

  constructor(
    private readonly app: App,
    private readonly name: string,
    private readonly mode: "warm" | "cold" = "warm",
    instanceId = "sim-1",
    start = new Date("2026-01-01T00:00:00.000Z"),
    executionId?: string,
  ) {
    this.h = new HistoryBuilder(instanceId, start, executionId);
  }

  /**
   * Runs the first episode: OrchestratorStarted + ExecutionStarted, then `carryover` (the events a
   * continue-as-new carried over from the previous execution).
   */
  start(input?: unknown, ...carryover: HistoryEvent[]): ExecutionResult {
    return this.episode([this.h.executionStarted(this.name, input), ...carryover]);
  }

  /** Runs an episode with these new events (an OrchestratorStarted is put in front). */
  deliver(...events: HistoryEvent[]): ExecutionResult {
    return this.episode(events);
  }

  /** Runs an episode with exactly these new events; the caller puts the OrchestratorStarted first. */
  run(newEvents: readonly HistoryEvent[]): ExecutionResult {
    return this.execute(newEvents);
  }

  /** The last episode's result. */
  get last(): ExecutionResult {
    return this.episodes[this.episodes.length - 1]!.result;
  }

  private episode(events: HistoryEvent[]): ExecutionResult {
    return this.execute([this.h.orchestratorStarted(), ...events]);
  }

  private execute(newEvents: readonly HistoryEvent[]): ExecutionResult {
    const definition = this.app.getOrchestration(this.name);
    if (!definition) throw new Error(`no orchestration ${this.name}`);
    let result: ExecutionResult;
    if (this.mode === "cold" || this.executor === undefined) {
      this.executor = new OrchestrationExecutor(definition);
      result = this.executor.execute(this.history.slice(), newEvents);
    } else {
      result = this.executor.resume(newEvents);
    }
    this.history.push(...result.newHistory);
    this.episodes.push({ newEvents, result });
    return result;
  }
}

/** Replays a whole history cold in a new executor, then applies `newEvents` (none by default). */
export function replay(app: App, name: string, past: readonly HistoryEvent[], newEvents: readonly HistoryEvent[] = []): ExecutionResult {
  const definition = app.getOrchestration(name);
  if (!definition) throw new Error(`no orchestration ${name}`);
  return new OrchestrationExecutor(definition).execute(past, newEvents);
}

/** The value of a payload (JSON text) or undefined. */
export function value(payload: string | undefined): unknown {
  return payload === undefined ? undefined : JSON.parse(payload);
}
