/**
 * The raw history events, with the columns `perdure history` prints. Rows are virtualized.
 *
 * @module
 */
import { useMemo, useRef } from "preact/hooks";
import type { HistoryEvent } from "./api-types.js";
import { eventRows } from "./format.js";
import { useVirtualRows } from "./hooks.js";

const ROW_HEIGHT = 28;
const MAX_HEIGHT = 520;

export function EventTable({ events }: { events: readonly HistoryEvent[] }) {
  const rows = useMemo(() => eventRows(events), [events]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const { items, total } = useVirtualRows(rows.length, ROW_HEIGHT, scrollRef);
  if (rows.length === 0) return <p class="muted">No history yet: the instance has not started.</p>;
  return (
    <div class="events" role="table" aria-label="History events" aria-rowcount={rows.length + 1}>
      <div class="e-row e-head" role="row">
        <span role="columnheader">Time (UTC)</span>
        <span role="columnheader">Since prev</span>
        <span role="columnheader">Elapsed</span>
        <span role="columnheader">Event</span>
        <span role="columnheader">Details</span>
      </div>
      <div class="e-scroll" ref={scrollRef} style={{ height: `${Math.min(MAX_HEIGHT, total + 2)}px` }}>
        <div style={{ height: `${total}px`, position: "relative" }} role="rowgroup">
          {items.map((item) => {
            const row = rows[item.index]!;
            return (
              <div
                key={row.index}
                class={`e-row${row.failed ? " failed" : ""}`}
                role="row"
                aria-rowindex={row.index + 2}
                data-type={row.type}
                style={{ transform: `translateY(${item.start}px)`, height: `${ROW_HEIGHT}px` }}
              >
                <span role="cell" class="mono">
                  <span class="e-date">{row.time.slice(0, 11)}</span>
                  {row.time.slice(11)}
                </span>
                <span role="cell" class="num">{row.sincePrevious}</span>
                <span role="cell" class="num">{row.elapsed}</span>
                <span role="cell">{row.type}</span>
                <span role="cell" class="e-details" title={row.details}>
                  {row.details}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      <p class="muted">{rows.length.toLocaleString("en-US")} events</p>
    </div>
  );
}
