/**
 * Text for people: durations, times, one-line JSON, and the rows of the raw event table (the
 * columns `perdure history` prints: time, time since the previous event, elapsed, event, details).
 * Pure.
 *
 * @module
 */
import type { Failure, HistoryEvent } from "./api-types.js";

/** A duration in the largest unit that keeps it readable: 850ms, 12.3s, 4m05s, 2h07m, 3d04h. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)}s`;
  const s = Math.floor(abs / 1000);
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${sign}${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  return `${sign}${Math.floor(s / 86_400)}d${String(Math.floor(s / 3600) % 24).padStart(2, "0")}h`;
}

/** `2026-11-28 12:00:01.234` (UTC) from an ISO time; `withMs` false drops the milliseconds. */
export function utc(iso: string, withMs = true): string {
  const text = iso.replace("T", " ").replace(/Z$/, "");
  return withMs ? text.slice(0, 23) : text.slice(0, 19);
}

/** A JSON value on one line, cut to `max` characters; undefined is empty. */
export function brief(value: unknown, max = 80): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `Type: message` for a failure and each inner failure, joined by " ← ". */
export function failureText(failure: Failure | undefined): string {
  const parts: string[] = [];
  for (let f = failure; f !== undefined; f = f.innerFailure) parts.push(`${f.errorType}: ${f.errorMessage}`);
  return parts.join(" ← ");
}

/** One row of the raw event table. */
export interface EventRow {
  readonly index: number;
  readonly time: string;
  readonly sincePrevious: string;
  readonly elapsed: string;
  readonly type: string;
  readonly details: string;
  readonly failed: boolean;
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

interface Scheduled {
  readonly name: string;
  readonly at: number;
  readonly instanceId?: string | undefined;
}

const ANSWERED_BY: Readonly<Record<string, string>> = {
  TaskCompleted: "TaskScheduled",
  TaskFailed: "TaskScheduled",
  SubOrchestrationInstanceCompleted: "SubOrchestrationInstanceCreated",
  SubOrchestrationInstanceFailed: "SubOrchestrationInstanceCreated",
};

function resultParts(e: HistoryEvent, parts: string[]): void {
  if ("result" in e) parts.push(`→ ${brief(e.result)}`);
  const failure = e.failureDetails as Failure | undefined;
  if (failure !== undefined) parts.push(failureText(failure));
}

/** What a row says about an event besides its type, given the schedules seen before it. */
function details(e: HistoryEvent, scheduled: ReadonlyMap<string, Scheduled>): string {
  const parts: string[] = [];
  const origin = ANSWERED_BY[e.type];
  if (origin !== undefined) {
    const s = scheduled.get(`${origin}:${String(e.taskScheduledId)}`);
    if (s !== undefined) {
      parts.push(s.name);
      if (s.instanceId !== undefined) parts.push(`instance ${s.instanceId}`);
      parts.push(`took ${duration(Date.parse(e.timestamp) - s.at)}`);
    }
    resultParts(e, parts);
    return parts.join(", ");
  }
  const name = str(e.name) ?? str(e.operation);
  if (name !== undefined) parts.push(name);
  if (e.type !== "ExecutionStarted" && str(e.instanceId) !== undefined) parts.push(`instance ${String(e.instanceId)}`);
  if (str(e.targetInstanceId) !== undefined) parts.push(`entity ${String(e.targetInstanceId)}`);
  const parent = e.parent as { instanceId?: string } | undefined;
  if (parent?.instanceId !== undefined) parts.push(`parent ${parent.instanceId}`);
  if (str(e.fireAt) !== undefined) parts.push(`${e.type === "TimerFired" ? "fired for" : "fires at"} ${utc(String(e.fireAt))}`);
  if (str(e.status) !== undefined) parts.push(String(e.status));
  if (e.type === "EventRaised" || e.type === "EventSent") {
    if ("input" in e) parts.push(`data ${brief(e.input)}`);
  }
  if ("reason" in e && e.reason !== null) parts.push(`reason ${brief(e.reason)}`);
  resultParts(e, parts);
  return parts.join(", ");
}

/** The rows of the raw event table, one per event, in order. */
export function eventRows(events: readonly HistoryEvent[]): EventRow[] {
  const scheduled = new Map<string, Scheduled>();
  const first = events.length > 0 ? Date.parse(events[0]!.timestamp) : 0;
  let previous = first;
  return events.map((e, index) => {
    const at = Date.parse(e.timestamp);
    if (e.type === "TaskScheduled" || e.type === "SubOrchestrationInstanceCreated") {
      scheduled.set(`${e.type}:${String(num(e.eventId))}`, { name: String(e.name), at, instanceId: str(e.instanceId) });
    }
    const row: EventRow = {
      index,
      time: utc(e.timestamp),
      sincePrevious: at >= previous ? `+${duration(at - previous)}` : duration(at - previous),
      elapsed: duration(at - first),
      type: e.type,
      details: details(e, scheduled),
      failed: e.type.endsWith("Failed") || (e.type === "ExecutionCompleted" && e.status === "Failed"),
    };
    previous = at;
    return row;
  });
}
