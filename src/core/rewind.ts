/**
 * Rewinding a failed execution: the history to run again from, and the work to redo.
 *
 * The failing episode (from the last OrchestratorStarted on) loses its ExecutionCompleted, its
 * TaskFailed / SubOrchestrationInstanceFailed events and the actions the code took after the first
 * of them (the failure path, which the code will not take again); everything that succeeded stays. Every
 * call the remaining history scheduled but never saw answered is redone: activities are
 * enqueued again, timers set again, failed sub-orchestrations rewound.
 *
 * @module
 */
import type { EventOf, HistoryEvent } from "./history.js";

export interface RewindPlan {
  readonly history: HistoryEvent[];
  readonly tasks: ReadonlyArray<EventOf<"TaskScheduled">>;
  readonly timers: ReadonlyArray<EventOf<"TimerCreated">>;
  readonly children: ReadonlyArray<EventOf<"SubOrchestrationInstanceCreated">>;
}

/** Plans the rewind of a failed execution's history. Pure. */
export function planRewind(history: readonly HistoryEvent[]): RewindPlan {
  let lastEpisode = 0;
  history.forEach((e, i) => {
    if (e.type === "OrchestratorStarted") lastEpisode = i;
  });
  const isFailure = (e: HistoryEvent): boolean => e.type === "TaskFailed" || e.type === "SubOrchestrationInstanceFailed";
  let firstFailure = history.findIndex((e, i) => i >= lastEpisode && isFailure(e));
  if (firstFailure < 0) firstFailure = history.length;
  const kept = history.filter(
    (e, i) => e.type !== "ExecutionCompleted" && !(i >= firstFailure && (isFailure(e) || e.eventId >= 0)),
  );
  const answered = new Set<number>();
  for (const e of kept) {
    if (e.type === "TaskCompleted" || e.type === "TaskFailed") answered.add(e.taskScheduledId);
    if (e.type === "SubOrchestrationInstanceCompleted" || e.type === "SubOrchestrationInstanceFailed") answered.add(e.taskScheduledId);
    if (e.type === "TimerFired") answered.add(e.timerId);
  }
  const tasks: EventOf<"TaskScheduled">[] = [];
  const timers: EventOf<"TimerCreated">[] = [];
  const children: EventOf<"SubOrchestrationInstanceCreated">[] = [];
  for (const e of kept) {
    if (e.eventId < 0 || answered.has(e.eventId)) continue;
    if (e.type === "TaskScheduled") tasks.push(e);
    else if (e.type === "TimerCreated") timers.push(e);
    else if (e.type === "SubOrchestrationInstanceCreated") children.push(e);
  }
  return { history: kept, tasks, timers, children };
}
