/**
 * What the CLI prints for people: tables, an instance's status, and a history as a timeline with
 * the time between events. Everything here is a pure function of the management API's JSON.
 *
 * @module
 */
import type { StatusJson } from "../http/status-json.js";

/** A plain-text table: a header row, then the rows, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A JSON value on one line, cut to `max` characters. */
export function brief(value: unknown, max = 60): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

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

/** `2026-11-28 12:00:01.234` (UTC) from an ISO time. */
export function clock(iso: string): string {
  return iso.replace("T", " ").replace(/Z$/, "").slice(0, 23);
}

/** The instances of `GET instances` as a table. */
export function instancesTable(instances: readonly StatusJson[]): string {
  if (instances.length === 0) return "No instances match.";
  // A VERSION column only when some instance has one: unversioned apps see the table they know.
  const versioned = instances.some((s) => s.version !== undefined);
  return table(
    ["INSTANCE ID", "NAME", ...(versioned ? ["VERSION"] : []), "STATUS", "CREATED (UTC)", "LAST UPDATED (UTC)"],
    instances.map((s) => [s.instanceId, s.name, ...(versioned ? [s.version ?? ""] : []), s.runtimeStatus, clock(s.createdTime), clock(s.lastUpdatedTime)]),
  );
}

/** One instance's status as aligned `field: value` lines. */
export function statusText(status: StatusJson): string {
  const rows: [string, string][] = [
    ["Instance", status.instanceId],
    ["Name", status.name],
    ...(status.version !== undefined ? [["Version", status.version] as [string, string]] : []),
    ["Status", status.runtimeStatus],
    ["Created", `${clock(status.createdTime)} UTC`],
    ["Last updated", `${clock(status.lastUpdatedTime)} UTC`],
  ];
  if (status.input !== null) rows.push(["Input", brief(status.input, 200)]);
  if (status.customStatus !== null) rows.push(["Custom status", brief(status.customStatus, 200)]);
  if (status.output !== null) rows.push(["Output", brief(status.output, 200)]);
  let failure = status.failureDetails;
  while (failure) {
    rows.push(["Failure", `${failure.errorType}: ${failure.errorMessage}`]);
    failure = failure.innerFailure;
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join("\n");
}

type EventJson = Record<string, unknown>;

/** What a timeline row says about an event, besides its type. */
function eventDetails(e: EventJson): string {
  const parts: string[] = [];
  const name = e.FunctionName ?? e.Name;
  if (typeof name === "string") parts.push(name);
  if (typeof e.InstanceId === "string") parts.push(`instance ${e.InstanceId}`);
  if (typeof e.ScheduledTime === "string" && typeof e.Timestamp === "string") {
    parts.push(`took ${duration(Date.parse(e.Timestamp) - Date.parse(e.ScheduledTime))}`);
  }
  if (typeof e.FireAt === "string") parts.push(`fires at ${clock(e.FireAt)}`);
  if (typeof e.OrchestrationStatus === "string") parts.push(e.OrchestrationStatus);
  if ("Result" in e) parts.push(`→ ${brief(e.Result)}`);
  const failure = e.FailureDetails as { errorType?: string; errorMessage?: string } | undefined;
  if (failure) parts.push(`${failure.errorType}: ${failure.errorMessage}`);
  else if (e.Reason !== undefined && e.Reason !== null) parts.push(`reason ${brief(e.Reason)}`);
  return parts.join(", ");
}

/**
 * A history as a timeline: each event's time, the time since the previous event and since the
 * start, its type, and what it is about (names, how long a task took, results, failures).
 */
export function timeline(events: readonly EventJson[]): string {
  if (events.length === 0) return "No history (the instance has not started yet).";
  const first = Date.parse(String(events[0]!.Timestamp));
  let previous = first;
  const rows = events.map((e) => {
    const at = Date.parse(String(e.Timestamp));
    const row = [clock(String(e.Timestamp)), `+${duration(at - previous)}`, duration(at - first), String(e.EventType), eventDetails(e)];
    previous = at;
    return row;
  });
  return table(["TIME (UTC)", "SINCE PREV", "ELAPSED", "EVENT", "DETAILS"], rows);
}
