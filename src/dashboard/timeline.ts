/**
 * A history as timeline rows: one bar per activity attempt, sub-orchestration, timer, external
 * event wait, entity call and lock request, from scheduled to finished. Pure: the time "now" is
 * an argument, so running bars grow as the caller passes later times.
 *
 * How rows are found (the history vocabulary is Durable Task's):
 * 1. An activity attempt is a TaskScheduled, ended by the TaskCompleted or TaskFailed whose
 *    `taskScheduledId` is its `eventId`; a sub-orchestration likewise (SubOrchestrationInstance*).
 *    A timer is a TimerCreated ended by the TimerFired whose `timerId` is its `eventId`.
 * 2. Retries are attempts of their own. A retry policy leaves, in the episode that saw a failure,
 *    a TimerCreated (the delay); in the episode where that timer fired, a new schedule of the same
 *    name. Such a timer is marked as a retry delay, and the new row counts as the next attempt.
 * 3. The history does not record when an orchestration began to wait for an external event, only
 *    when the event came. A wait is drawn from the last episode before the event (when the
 *    orchestration went idle) to the event; an event that came while the orchestration was busy
 *    is a point. A TimerFired is stamped when its timer was set: a timer ends when the episode
 *    that received it began. An instance that runs with nothing outstanding waits for an event: a
 *    running row says so.
 * 4. In a finished instance, nothing runs: an open row ends with the execution ("unfinished"); a
 *    timer that never fired is "not fired" (canceled by the code, e.g. a timeout that lost a race).
 *
 * @module
 */
import type { HistoryEvent } from "./api-types.js";
import { utc } from "./format.js";

export type RowKind = "activity" | "suborchestration" | "timer" | "event" | "entity";

/**
 * running: no answer yet; waiting: a timer before its time; completed; failed; unfinished: still
 * open when the instance finished; not-fired: a timer past its time (or of a finished instance)
 * that never fired.
 */
export type RowState = "running" | "waiting" | "completed" | "failed" | "unfinished" | "not-fired";

export interface TimelineRow {
  /** Unique within the timeline: kind and id. */
  readonly key: string;
  readonly kind: RowKind;
  /** The activity, orchestration, event or operation name; "timer" for timers. */
  readonly label: string;
  /** What else there is to say: the attempt, the child id, the fire time, the entity… */
  readonly detail: string;
  readonly start: number;
  readonly end: number;
  /** A timer's fire time, when it is still ahead or never came. */
  readonly plannedEnd?: number | undefined;
  readonly state: RowState;
  /** 1 for a first attempt, 2 for its first retry, … */
  readonly attempt: number;
  /** A sub-orchestration's instance id, or the entity of an entity call. */
  readonly instanceId?: string | undefined;
  /** A timer that waited between two attempts of a retried call. */
  readonly retryDelay: boolean;
}

export interface Timeline {
  /** When the execution started (ms since the epoch). */
  readonly start: number;
  /** When it ended, or now while it runs. */
  readonly end: number;
  readonly rows: readonly TimelineRow[];
}

export interface TimelineOptions {
  /** The time to draw running bars to (ms since the epoch). */
  readonly now: number;
  /** The instance's runtime status: finished statuses close every open row. */
  readonly status: string;
}

interface Draft {
  key: string;
  kind: RowKind;
  label: string;
  detail: string;
  start: number;
  end?: number;
  plannedEnd?: number;
  failed: boolean;
  attempt: number;
  instanceId?: string;
  retryDelay: boolean;
  /** Timers: the failed call whose retry this timer may be the delay of. */
  retryOf?: Draft;
}

const FINISHED = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Builds rows while walking a history once. */
class Builder {
  readonly rows: Draft[] = [];
  private readonly open = new Map<string, Draft>();
  /** Failures seen in the current episode, whose retry delay may follow. */
  private failures: Draft[] = [];
  /** Retry delays fired in the current episode, whose next attempt may follow. */
  private firedDelays: Draft[] = [];
  /** When the orchestration last went idle: the latest time seen before the current episode. */
  private idleSince: number | undefined;
  /** When the current episode started. */
  private episodeAt: number | undefined;
  /** The latest time of any event so far (events carry the time they were made, not always in order). */
  private latest: number | undefined;

  add(event: HistoryEvent): void {
    const at = Date.parse(event.timestamp);
    if (event.type === "OrchestratorStarted") {
      this.idleSince = this.latest;
      this.episodeAt = at;
      this.failures = [];
      this.firedDelays = [];
    }
    this.handle(event, at);
    this.latest = this.latest === undefined ? at : Math.max(this.latest, at);
  }

  private handle(e: HistoryEvent, at: number): void {
    switch (e.type) {
      case "TaskScheduled":
        return this.schedule("activity", `task:${e.eventId}`, String(e.name), at, undefined);
      case "SubOrchestrationInstanceCreated":
        return this.schedule("suborchestration", `sub:${e.eventId}`, String(e.name), at, str(e.instanceId));
      case "TaskCompleted":
      case "TaskFailed":
        return this.finish(`task:${String(e.taskScheduledId)}`, at, e.type === "TaskFailed");
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed":
        return this.finish(`sub:${String(e.taskScheduledId)}`, at, e.type === "SubOrchestrationInstanceFailed");
      case "TimerCreated":
        return this.timerCreated(e, at);
      case "TimerFired": {
        // A TimerFired is stamped when the timer was set; it fired when the episode that got it began.
        const timer = this.close(`timer:${String(e.timerId)}`, Math.max(at, this.episodeAt ?? at), false);
        if (timer?.retryOf !== undefined) this.firedDelays.push(timer);
        return;
      }
      case "EventRaised":
        return this.eventRaised(e, at);
      case "EntityOperationCalled":
        return this.push({ kind: "entity", key: `call:${String(e.requestId)}`, label: String(e.operation), start: at }, {
          detail: `call on ${String(e.targetInstanceId)}`,
          instanceId: str(e.targetInstanceId),
        });
      case "EntityOperationCompleted":
      case "EntityOperationFailed":
        this.close(`call:${String(e.requestId)}`, at, e.type === "EntityOperationFailed");
        return;
      case "EntityLockRequested": {
        const set = Array.isArray(e.lockSet) ? (e.lockSet as string[]).join(", ") : "";
        return this.push({ kind: "entity", key: `lock:${String(e.criticalSectionId)}`, label: "lock", start: at }, { detail: set });
      }
      case "EntityLockGranted":
        this.close(`lock:${String(e.criticalSectionId)}`, at, false);
        return;
    }
  }

  private push(base: Pick<Draft, "kind" | "key" | "label" | "start">, extra: Partial<Draft> = {}): void {
    const row: Draft = { detail: "", failed: false, attempt: 1, retryDelay: false, ...base, ...extra };
    this.rows.push(row);
    this.open.set(row.key, row);
  }

  private close(key: string, at: number, failed: boolean): Draft | undefined {
    const row = this.open.get(key);
    if (row === undefined) return undefined;
    this.open.delete(key);
    row.end = at;
    row.failed = failed;
    return row;
  }

  private schedule(kind: "activity" | "suborchestration", key: string, name: string, at: number, instanceId: string | undefined): void {
    const delay = this.firedDelays.find((t) => t.retryOf!.kind === kind && t.retryOf!.label === name);
    let attempt = 1;
    if (delay !== undefined) {
      this.firedDelays.splice(this.firedDelays.indexOf(delay), 1);
      delay.retryDelay = true;
      delay.detail = `retry delay after attempt ${delay.retryOf!.attempt} of ${name}`;
      attempt = delay.retryOf!.attempt + 1;
    }
    this.push({ kind, key, label: name, start: at }, { attempt, instanceId, detail: instanceId === undefined ? "" : `instance ${instanceId}` });
  }

  private finish(key: string, at: number, failed: boolean): void {
    const row = this.close(key, at, failed);
    if (row !== undefined && failed) this.failures.push(row);
  }

  private timerCreated(e: HistoryEvent, at: number): void {
    const fireAt = str(e.fireAt);
    const retryOf = this.failures.shift();
    this.push(
      { kind: "timer", key: `timer:${e.eventId}`, label: "timer", start: at },
      { plannedEnd: fireAt === undefined ? undefined : Date.parse(fireAt), retryOf, detail: fireAt === undefined ? "" : `for ${utc(fireAt)} UTC` },
    );
  }

  private eventRaised(e: HistoryEvent, at: number): void {
    const waitedFrom = this.idleSince !== undefined && this.idleSince <= at ? this.idleSince : at;
    const row: Draft = {
      kind: "event",
      key: `event:${this.rows.length}`,
      label: String(e.name),
      detail: waitedFrom === at ? "came while the orchestration was busy" : "external event",
      start: waitedFrom,
      end: at,
      failed: false,
      attempt: 1,
      retryDelay: false,
    };
    this.rows.push(row);
  }

  /** True when some row is still open. */
  get hasOpen(): boolean {
    return this.open.size > 0;
  }

  get lastAt(): number | undefined {
    return this.latest;
  }
}

function stateOf(row: Draft, finished: boolean, now: number): { state: RowState; end: number } {
  if (row.end !== undefined) return { state: row.failed ? "failed" : "completed", end: row.end };
  if (row.kind === "timer") {
    const fire = row.plannedEnd ?? now;
    if (!finished && now < fire) return { state: "waiting", end: now };
    return { state: "not-fired", end: Math.min(fire, now) };
  }
  return { state: finished ? "unfinished" : "running", end: now };
}

/** The timeline of one execution's history. */
export function buildTimeline(events: readonly HistoryEvent[], options: TimelineOptions): Timeline {
  const builder = new Builder();
  for (const event of events) builder.add(event);
  const finished = FINISHED.has(options.status);
  const started = events.find((e) => e.type === "ExecutionStarted") ?? events[0];
  const start = started === undefined ? options.now : Date.parse(started.timestamp);
  const end = finished ? (builder.lastAt ?? start) : Math.max(options.now, builder.lastAt ?? start);
  if (options.status === "Running" && !builder.hasOpen && builder.lastAt !== undefined) {
    builder.rows.push({
      kind: "event",
      key: "event:pending",
      label: "waiting",
      detail: "for an external event (nothing else is outstanding)",
      start: builder.lastAt,
      failed: false,
      attempt: 1,
      retryDelay: false,
    });
  }
  const rows = builder.rows.map((row): TimelineRow => {
    const { state, end: rowEnd } = stateOf(row, finished, finished ? end : options.now);
    return {
      key: row.key,
      kind: row.kind,
      label: row.label,
      detail: row.detail,
      start: row.start,
      end: Math.max(row.start, rowEnd),
      plannedEnd: state === "waiting" || state === "not-fired" ? row.plannedEnd : undefined,
      state,
      attempt: row.attempt,
      instanceId: row.instanceId,
      retryDelay: row.retryDelay,
    };
  });
  return { start, end, rows };
}

/** How many rows of each kind: the numbers the timeline's caption gives. */
export function countByKind(rows: readonly TimelineRow[]): Readonly<Record<RowKind, number>> {
  const counts: Record<RowKind, number> = { activity: 0, suborchestration: 0, timer: 0, event: 0, entity: 0 };
  for (const row of rows) counts[row.kind] += 1;
  return counts;
}
