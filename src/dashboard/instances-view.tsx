/**
 * The instances view: the counts by status, the filters (in the URL), and one page of the
 * table, read from the server page by page and refreshed live until paused.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import { countInstances, listInstances, type InstanceFilter } from "./api.js";
import { STATUSES, type InstanceCounts, type InstanceStatus, type Status } from "./api-types.js";
import { duration } from "./format.js";
import { useKeyState, usePoll } from "./hooks.js";
import { href, navigate, type Route } from "./route.js";
import { isTerminal, statusLook } from "./status.js";
import { ErrorBox, NoticeLine, StatusBadge, Time, takeFlash } from "./widgets.js";

const PAGE_SIZES = [25, 50, 100, 200];
const SHOWN_STATUSES: readonly Status[] = ["Running", "Pending", "Suspended", "Completed", "Failed", "Terminated"];
const REFRESH_MS = 2500;

/** The page each page's token came from, for "Previous" (and the browser's back keeps it right). */
const previousToken = new Map<string, string>();

interface ListState {
  readonly items: readonly InstanceStatus[];
  readonly next?: string | undefined;
  readonly at: number;
  /** The view's query the page was read for, and the position of its first row. */
  readonly query: string;
  readonly first: number;
}

function filterOf(query: URLSearchParams): InstanceFilter {
  const statuses = (query.get("status") ?? "").split(",").filter((s): s is Status => (STATUSES as readonly string[]).includes(s));
  return {
    statuses,
    name: query.get("name") ?? undefined,
    prefix: query.get("prefix") ?? undefined,
    from: query.get("from") ?? undefined,
    to: query.get("to") ?? undefined,
  };
}

/** The query of the view, from the current one with `changes`; a change of filter goes back to the first page. */
function withChanges(query: URLSearchParams, changes: Record<string, string | undefined>, keepPage = false): Record<string, string | undefined> {
  const next: Record<string, string | undefined> = Object.fromEntries(query.entries());
  Object.assign(next, changes);
  if (!keepPage) {
    delete next.page;
    delete next.n;
  }
  return next;
}

/** `datetime-local` text (local time) → ISO, and back. */
function toIso(local: string): string | undefined {
  if (local === "") return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
function toLocal(iso: string | undefined): string {
  if (iso === undefined) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

function Counts({ counts, selected, query }: { counts: InstanceCounts | undefined; selected: readonly Status[]; query: URLSearchParams }) {
  const toggle = (status: Status): void => {
    const next = selected.includes(status) ? selected.filter((s) => s !== status) : [...selected, status];
    navigate(["instances"], withChanges(query, { status: next.join(",") || undefined }));
  };
  const extra = STATUSES.filter((s) => !SHOWN_STATUSES.includes(s) && (counts?.counts[s] ?? 0) > 0);
  return (
    <div class="counts" role="group" aria-label="Filter by status (counts under the other filters)">
      <button type="button" class="chip" aria-pressed={selected.length === 0} onClick={() => navigate(["instances"], withChanges(query, { status: undefined }))}>
        All <span class="count">{counts?.total.toLocaleString("en-US") ?? "…"}</span>
      </button>
      {[...SHOWN_STATUSES, ...extra].map((status) => (
        <button type="button" key={status} class={`chip tone-${statusLook(status).tone}`} aria-pressed={selected.includes(status)} data-status={status} onClick={() => toggle(status)}>
          {statusLook(status).word} <span class="count">{counts?.counts[status].toLocaleString("en-US") ?? "…"}</span>
        </button>
      ))}
    </div>
  );
}

function Filters({ query }: { query: URLSearchParams }) {
  const [name, setName] = useState(query.get("name") ?? "");
  const [prefix, setPrefix] = useState(query.get("prefix") ?? "");
  const [from, setFrom] = useState(toLocal(query.get("from") ?? undefined));
  const [to, setTo] = useState(toLocal(query.get("to") ?? undefined));
  useEffect(() => {
    setName(query.get("name") ?? "");
    setPrefix(query.get("prefix") ?? "");
    setFrom(toLocal(query.get("from") ?? undefined));
    setTo(toLocal(query.get("to") ?? undefined));
  }, [query.toString()]);
  const apply = (e: Event): void => {
    e.preventDefault();
    navigate(["instances"], withChanges(query, { name: name.trim(), prefix: prefix.trim(), from: toIso(from), to: toIso(to) }));
  };
  const clear = (): void => navigate(["instances"], withChanges(query, { name: undefined, prefix: undefined, from: undefined, to: undefined, status: undefined }));
  return (
    <form class="filters" onSubmit={apply} aria-label="Filters">
      <label>
        Name <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="exact orchestration name" />
      </label>
      <label>
        Id prefix <input name="prefix" value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} placeholder="order-" />
      </label>
      <label>
        Created from <input type="datetime-local" name="from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
      </label>
      <label>
        to <input type="datetime-local" name="to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
      </label>
      <div class="buttons">
        <button type="submit">Apply</button>
        <button type="button" class="secondary" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}

function Row({ s, now }: { s: InstanceStatus; now: number }) {
  const created = Date.parse(s.createdTime);
  const end = isTerminal(s.runtimeStatus) ? Date.parse(s.lastUpdatedTime) : now;
  const took = end - created;
  return (
    <tr data-instance-id={s.instanceId}>
      <td data-label="Instance">
        <a class="mono" href={href(["instances", s.instanceId])}>
          {s.instanceId}
        </a>
      </td>
      <td data-label="Name">{s.name}</td>
      <td data-label="Status">
        <StatusBadge status={s.runtimeStatus} />
      </td>
      <td data-label="Created">
        <Time iso={s.createdTime} />
      </td>
      <td data-label="Last updated">
        <Time iso={s.lastUpdatedTime} />
      </td>
      <td data-label="Duration" class="num">
        {took < 1000 ? "< 1s" : duration(took)}
      </td>
    </tr>
  );
}

export function InstancesView({ route }: { route: Route }) {
  const query = route.query;
  const filter = filterOf(query);
  const order = query.get("order") === "asc" ? "asc" : "desc";
  const size = PAGE_SIZES.includes(Number(query.get("size"))) ? Number(query.get("size")) : 50;
  const token = query.get("page") ?? undefined;
  const pageNumber = Math.max(1, Number(query.get("n") ?? "1") || 1);
  const [live, setLive] = useState(true);
  const [list, setList] = useState<ListState>();
  const [counts, setCounts] = useState<InstanceCounts>();
  const [error, setError] = useState<unknown>();
  const [notice] = useState(takeFlash);
  const keys = useKeyState();
  const filterKey = JSON.stringify([filter.name, filter.prefix, filter.from, filter.to]);

  usePoll(
    async (isCurrent) => {
      const read = { query: query.toString(), first: (pageNumber - 1) * size + 1 };
      const page = listInstances(filter, order, size, token).then((p) => isCurrent() && (setList({ ...p, ...read, at: Date.now() }), setError(undefined)));
      const count = countInstances(filter).then((c) => isCurrent() && setCounts(c));
      await Promise.all([page, count]).catch((e: unknown) => isCurrent() && setError(e));
    },
    REFRESH_MS,
    live,
    [query.toString(), keys.version],
  );
  useEffect(() => setCounts(undefined), [filterKey]);

  const selectedTotal = counts === undefined ? undefined : filter.statuses.length === 0 ? counts.total : filter.statuses.reduce((n, s) => n + counts.counts[s], 0);
  const stale = list !== undefined && list.query !== query.toString();
  const goNext = (): void => {
    if (list?.next === undefined) return;
    previousToken.set(list.next, token ?? "");
    navigate(["instances"], withChanges(query, { page: list.next, n: String(pageNumber + 1) }, true));
  };
  const goPrevious = (): void => {
    const previous = token === undefined ? undefined : previousToken.get(token);
    navigate(["instances"], withChanges(query, { page: previous || undefined, n: previous ? String(pageNumber - 1) : undefined }, true));
  };
  const flipOrder = (): void => navigate(["instances"], withChanges(query, { order: order === "desc" ? "asc" : undefined }));

  return (
    <main class="view" aria-labelledby="instances-title">
      <div class="view-head">
        <h1 id="instances-title">Orchestrations</h1>
        <div class="live">
          <button type="button" class="secondary" aria-pressed={!live} onClick={() => setLive(!live)}>
            {live ? "Pause live updates" : "Resume live updates"}
          </button>
          <span class="muted" aria-live="off">
            {live ? "Live" : "Paused"}
            {list && <> · updated <Time iso={new Date(list.at).toISOString()} /></>}
          </span>
        </div>
      </div>
      <NoticeLine notice={notice} />
      <Counts counts={counts} selected={filter.statuses} query={query} />
      <Filters query={query} />
      <ErrorBox error={error} />
      <div class="table-wrap">
        <table class={`instances${stale ? " stale" : ""}`} aria-busy={list === undefined || stale}>
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col" aria-sort={order === "desc" ? "descending" : "ascending"}>
                <button type="button" class="sort" onClick={flipOrder} title="Sort by creation time">
                  Created {order === "desc" ? "↓ newest first" : "↑ oldest first"}
                </button>
              </th>
              <th scope="col">Last updated</th>
              <th scope="col" class="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {list?.items.map((s) => <Row key={s.instanceId} s={s} now={list.at} />)}
          </tbody>
        </table>
        {list !== undefined && list.items.length === 0 && <p class="empty">No orchestration matches these filters.</p>}
      </div>
      <nav class="pager" aria-label="Pages">
        <span class="muted" data-testid="range">
          {list === undefined || list.items.length === 0 || stale
            ? ""
            : `${list.first.toLocaleString("en-US")}–${(list.first + list.items.length - 1).toLocaleString("en-US")}${selectedTotal === undefined ? "" : ` of ${selectedTotal.toLocaleString("en-US")}`}`}
        </span>
        <label>
          Per page{" "}
          <select value={String(size)} onChange={(e) => navigate(["instances"], withChanges(query, { size: e.currentTarget.value }))}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="secondary" disabled={token === undefined} onClick={() => navigate(["instances"], withChanges(query, {}))}>
          First
        </button>
        <button type="button" class="secondary" disabled={token === undefined} onClick={goPrevious}>
          Previous
        </button>
        <button type="button" class="secondary" disabled={list?.next === undefined || stale} onClick={goNext}>
          Next
        </button>
      </nav>
    </main>
  );
}
