/**
 * What a remote worker is sent for an orchestration work item: the execution's stored history as
 * `pastEvents`, and OrchestratorStarted followed by the inbox messages of the current execution
 * as `newEvents`. What was sent is kept (`DispatchedEpisode`) for the commit of the answer.
 *
 * @module
 */
import { newEvent, type ExecutionStartedEvent, type HistoryEvent } from "../core/history.js";
import type { InboxMessage, OrchestrationWorkItem, Store } from "../store/store.js";
import { toWireEvent, toWireString } from "./codec.js";
import type { DispatchedEpisode } from "./remote-commit.js";
import type { WireOrchestratorRequest } from "./wire.js";

/** The current execution's stored history, read page by page. */
export async function readHistory(store: Store, instanceId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await store.getHistory(instanceId, { after, pageSize: 1000 });
    events.push(...page.events);
    if (page.next === undefined) return events;
    after = page.next;
  }
}

/** The item's messages for the instance's current execution (those of an ended execution are dropped). */
export function currentMessages(item: OrchestrationWorkItem): InboxMessage[] {
  const executionId = item.instance.executionId;
  return item.messages.filter((m) => m.executionId === undefined || m.executionId === executionId);
}

/** The events of an episode that starts at `now`: OrchestratorStarted, then the current messages. */
export function newEventsOf(item: OrchestrationWorkItem, now: string): HistoryEvent[] {
  return [newEvent("OrchestratorStarted", now, {}), ...currentMessages(item).map((m) => m.event)];
}

/** The request a worker is sent for the item, and what is kept of it for the commit. */
export async function dispatchEpisode(
  store: Store,
  item: OrchestrationWorkItem,
  now: string,
): Promise<{ readonly episode: DispatchedEpisode; readonly request: WireOrchestratorRequest }> {
  const instance = item.instance;
  const past = await readHistory(store, instance.instanceId);
  const newEvents = newEventsOf(item, now);
  const started = [...past, ...newEvents].find((e): e is ExecutionStartedEvent => e.type === "ExecutionStarted");
  return {
    episode: { item, pastEvents: past, newEvents, started, now },
    request: {
      instanceId: instance.instanceId,
      executionId: toWireString(instance.executionId),
      pastEvents: past.map(toWireEvent),
      newEvents: newEvents.map(toWireEvent),
    },
  };
}
