/**
 * The timeline of an execution: one bar per row of `buildTimeline`, on a shared time axis, with
 * failed bars marked and running ones growing. Rows are virtualized, so a history of thousands of
 * attempts scrolls smoothly.
 *
 * @module
 */
import { useRef } from "preact/hooks";
import { duration } from "./format.js";
import { useVirtualRows } from "./hooks.js";
import { href } from "./route.js";
import { countByKind, type Timeline, type TimelineRow } from "./timeline.js";

const ROW_HEIGHT = 30;
const MAX_HEIGHT = 480;

const KIND_WORDS: Readonly<Record<TimelineRow["kind"], [string, string]>> = {
  activity: ["activity attempt", "activity attempts"],
  suborchestration: ["sub-orchestration", "sub-orchestrations"],
  timer: ["timer", "timers"],
  event: ["external event", "external events"],
  entity: ["entity call or lock", "entity calls and locks"],
};

const STATE_WORDS: Readonly<Record<TimelineRow["state"], string>> = {
  running: "running",
  waiting: "waiting for its time",
  completed: "completed",
  failed: "failed",
  unfinished: "unfinished when the instance ended",
  "not-fired": "did not fire (canceled, or not yet processed)",
};

/** `@name@key` → the entity view's link. */
function entityHref(instanceId: string): string | undefined {
  const match = /^@([^@]*)@(.*)$/.exec(instanceId);
  return match === null ? undefined : href(["entities", match[1]!, match[2]!]);
}

function Label({ row }: { row: TimelineRow }) {
  const link = row.instanceId === undefined ? undefined : row.kind === "entity" ? entityHref(row.instanceId) : href(["instances", row.instanceId]);
  const name = row.kind === "event" && row.key !== "event:pending" ? `event ${row.label}` : row.label;
  return (
    <div class="t-label" title={`${name}${row.detail ? ` — ${row.detail}` : ""}`}>
      {link === undefined ? <span class="t-name">{name}</span> : <a class="t-name" href={link}>{name}</a>}
      {row.attempt > 1 && (
        <span class="t-attempt" title={`attempt ${row.attempt}`}>
          #{row.attempt}
        </span>
      )}
      {row.detail && <span class="t-detail">{row.detail}</span>}
    </div>
  );
}

function Bar({ row, timeline }: { row: TimelineRow; timeline: Timeline }) {
  const span = Math.max(1, timeline.end - timeline.start);
  const left = ((row.start - timeline.start) / span) * 100;
  const width = ((row.end - row.start) / span) * 100;
  const took = row.end - row.start;
  const title = `${KIND_WORDS[row.kind][0]} ${row.label}: ${STATE_WORDS[row.state]}, ${duration(took)}${row.plannedEnd === undefined ? "" : `; due ${new Date(row.plannedEnd).toISOString()}`}`;
  return (
    <div class="t-track">
      <div
        class={`t-bar kind-${row.kind} state-${row.state}${row.retryDelay ? " retry" : ""}${took === 0 ? " point" : ""}`}
        style={{ left: `${Math.min(100, Math.max(0, left))}%`, width: `${Math.max(0, Math.min(100 - left, width))}%` }}
        title={title}
        role="img"
        aria-label={title}
      />
    </div>
  );
}

function Axis({ timeline }: { timeline: Timeline }) {
  const span = timeline.end - timeline.start;
  return (
    <div class="t-axis" aria-hidden="true">
      <div class="t-label" />
      <div class="t-track">
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <span key={f} class="t-tick" style={{ left: `${f * 100}%` }}>
            {duration(span * f)}
          </span>
        ))}
      </div>
      <div class="t-dur" />
    </div>
  );
}

export function TimelineView({ timeline }: { timeline: Timeline }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { items, total } = useVirtualRows(timeline.rows.length, ROW_HEIGHT, scrollRef);
  const counts = countByKind(timeline.rows);
  const caption = (Object.keys(counts) as (keyof typeof counts)[])
    .filter((k) => counts[k] > 0)
    .map((k) => `${counts[k].toLocaleString("en-US")} ${KIND_WORDS[k][counts[k] === 1 ? 0 : 1]}`)
    .join(" · ");
  if (timeline.rows.length === 0) return <p class="muted">Nothing scheduled yet: no activity, timer, sub-orchestration or event.</p>;
  return (
    <div class="timeline">
      <p class="muted" data-testid="timeline-caption">
        {caption} · {duration(timeline.end - timeline.start)} in all
      </p>
      <Axis timeline={timeline} />
      <div class="t-scroll" ref={scrollRef} style={{ height: `${Math.min(MAX_HEIGHT, total + 2)}px` }} role="list" aria-label="Timeline">
        <div style={{ height: `${total}px`, position: "relative" }}>
          {items.map((item) => {
            const row = timeline.rows[item.index]!;
            return (
              <div
                key={row.key}
                class="t-row"
                role="listitem"
                data-kind={row.kind}
                data-state={row.state}
                data-attempt={row.attempt}
                style={{ transform: `translateY(${item.start}px)`, height: `${ROW_HEIGHT}px` }}
              >
                <Label row={row} />
                <Bar row={row} timeline={timeline} />
                <div class="t-dur">{duration(row.end - row.start)}</div>
              </div>
            );
          })}
        </div>
      </div>
      <ul class="legend" aria-label="Legend">
        <li><span class="t-bar kind-activity state-completed" /> completed</li>
        <li><span class="t-bar kind-activity state-failed" /> failed</li>
        <li><span class="t-bar kind-activity state-running" /> running</li>
        <li><span class="t-bar kind-timer state-completed" /> timer</li>
        <li><span class="t-bar kind-timer retry state-completed" /> retry delay</li>
        <li><span class="t-bar kind-event state-completed" /> event wait</li>
      </ul>
    </div>
  );
}
