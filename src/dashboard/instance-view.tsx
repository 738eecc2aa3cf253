/**
 * One instance: its status, payloads and failure, the actions, the timeline of its history and
 * the raw events. The history is read by pages and then followed from where it ended, so a
 * running instance's bars grow without reading everything again.
 *
 * @module
 */
import { useMemo, useRef, useState } from "preact/hooks";
import { ApiError, getHistory, getInstance } from "./api.js";
import type { HistoryEvent, InstanceStatus } from "./api-types.js";
import { InstanceActions } from "./actions.js";
import { EventTable } from "./event-table.js";
import { brief, duration, failureText } from "./format.js";
import { useKeyState, useNow, usePoll } from "./hooks.js";
import { JsonPanel } from "./json-view.js";
import { href, navigate } from "./route.js";
import { isTerminal } from "./status.js";
import { buildTimeline } from "./timeline.js";
import { TimelineView } from "./timeline-view.js";
import { CopyButton, ErrorBox, NoticeLine, StatusBadge, Time, setFlash, takeFlash, type Notice } from "./widgets.js";

const PAGE = 5000;

interface History {
  readonly executionId: string;
  readonly events: readonly HistoryEvent[];
  readonly next: number;
  readonly continuedAsNew: boolean;
}

const EMPTY: History = { executionId: "", events: [], next: 0, continuedAsNew: false };

/** Reads the history from where `known` ended (from the start when the execution changed), page by page. */
async function readHistory(instanceId: string, known: History, onPage: (h: History) => void): Promise<History> {
  let history = known;
  for (;;) {
    const page = await getHistory(instanceId, history.next, PAGE);
    if (history.next > 0 && page.executionId !== history.executionId) {
      history = EMPTY;
      continue;
    }
    history = {
      executionId: page.executionId,
      events: page.events.length === 0 ? history.events : [...history.events, ...page.events],
      next: page.next,
      continuedAsNew: page.continuedAsNew ?? history.continuedAsNew,
    };
    onPage(history);
    if (!page.hasMore) return history;
  }
}

/** How long the execution ran (or runs): from its start to its last event (or now), to the millisecond when the history has them. */
function executionTime(status: InstanceStatus, history: History, now: number): number {
  const started = history.events.find((e) => e.type === "ExecutionStarted");
  const start = started === undefined ? Date.parse(status.createdTime) : Date.parse(started.timestamp);
  if (!isTerminal(status.runtimeStatus)) return now - start;
  const last = history.events.reduce((latest, e) => Math.max(latest, Date.parse(e.timestamp)), 0);
  return (last > 0 ? last : Date.parse(status.lastUpdatedTime)) - start;
}

function Facts({ status, history, now }: { status: InstanceStatus; history: History; now: number }) {
  const started = history.events.find((e) => e.type === "ExecutionStarted");
  const parent = (started?.parent as { instanceId?: string } | undefined)?.instanceId;
  return (
    <dl class="facts">
      <dt>Name</dt>
      <dd>{status.name}</dd>
      <dt>Created</dt>
      <dd>
        <Time iso={status.createdTime} />
      </dd>
      <dt>Last updated</dt>
      <dd>
        <Time iso={status.lastUpdatedTime} />
      </dd>
      <dt>Duration</dt>
      <dd>{duration(executionTime(status, history, now))}</dd>
      {history.executionId !== "" && (
        <>
          <dt>Execution</dt>
          <dd class="mono">{history.executionId}</dd>
        </>
      )}
      {parent !== undefined && (
        <>
          <dt>Parent</dt>
          <dd>
            <a class="mono" href={href(["instances", parent])}>
              {parent}
            </a>
          </dd>
        </>
      )}
      {status.customStatus !== null && (
        <>
          <dt>Custom status</dt>
          <dd class="mono">{brief(status.customStatus, 120)}</dd>
        </>
      )}
    </dl>
  );
}

function Children({ events }: { events: readonly HistoryEvent[] }) {
  const children = events.filter((e) => e.type === "SubOrchestrationInstanceCreated");
  if (children.length === 0) return null;
  return (
    <section class="panel">
      <h2>Sub-orchestrations</h2>
      <ul class="links">
        {children.map((e) => (
          <li key={e.eventId}>
            <a class="mono" href={href(["instances", String(e.instanceId)])}>
              {String(e.instanceId)}
            </a>{" "}
            <span class="muted">{String(e.name)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function InstanceView({ instanceId }: { instanceId: string }) {
  const [status, setStatus] = useState<InstanceStatus>();
  const [history, setHistory] = useState<History>(EMPTY);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<Notice | undefined>(takeFlash);
  const [reloads, setReloads] = useState(0);
  const known = useRef<History>(EMPTY);
  const keys = useKeyState();
  const running = status !== undefined && !isTerminal(status.runtimeStatus);

  usePoll(
    async (isCurrent) => {
      try {
        const next = await getInstance(instanceId);
        if (!isCurrent()) return;
        const read = await readHistory(instanceId, known.current, (h) => isCurrent() && setHistory(h));
        if (!isCurrent()) return;
        known.current = read;
        setStatus(next);
        setError(undefined);
      } catch (e) {
        if (isCurrent()) setError(e);
      }
    },
    running ? 1000 : 5000,
    true,
    [instanceId, keys.version, reloads],
  );

  const now = useNow(500, running);
  const timeline = useMemo(
    () => buildTimeline(history.events, { now: running ? now : Date.now(), status: status?.runtimeStatus ?? "Pending" }),
    [history.events, status?.runtimeStatus, running ? now : 0],
  );

  const onDone = (result: Notice, goTo?: string): void => {
    setNotice(result);
    if (goTo === "list") {
      setFlash(result);
      navigate(["instances"]);
    } else if (goTo !== undefined && goTo !== instanceId) {
      setFlash({ kind: "ok", text: `Restarted from ${instanceId} as this new instance.` });
      navigate(["instances", goTo]);
    } else {
      known.current = EMPTY;
      setReloads((n) => n + 1);
    }
  };

  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <main class="view" aria-labelledby="instance-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href(["instances"])}>Orchestrations</a> / <span class="mono">{instanceId}</span>
      </nav>
      <div class="instance-head">
        <h1 id="instance-title" class="mono">
          {instanceId}
        </h1>
        <CopyButton text={instanceId} label="Copy id" />
        {status && <StatusBadge status={status.runtimeStatus} />}
      </div>
      {notFound ? <p class="error-box" role="alert">No instance '{instanceId}' is in the store (it may have been purged).</p> : <ErrorBox error={error} />}
      <NoticeLine notice={notice} />
      {status && (
        <>
          <Facts status={status} history={history} now={now} />
          {history.continuedAsNew && (
            <p class="note" data-testid="continued-as-new">
              This instance continued as new: this is a later execution, started with a fresh history. The histories of earlier executions are not kept.
            </p>
          )}
          {status.failureDetails && (
            <p class="failure-line" role="note">
              {failureText(status.failureDetails)}
            </p>
          )}
          <InstanceActions instanceId={instanceId} status={status.runtimeStatus} onDone={onDone} />
          <div class="panels">
            <JsonPanel title="Input" value={status.input} testId="input" />
            <JsonPanel title="Output" value={status.runtimeStatus === "Failed" ? null : status.output} testId="output" />
            <JsonPanel title="Custom status" value={status.customStatus} testId="custom-status" />
            {status.failureDetails && <JsonPanel title="Failure" value={status.failureDetails} testId="failure" />}
          </div>
          <section class="panel">
            <h2>Timeline</h2>
            <TimelineView timeline={timeline} />
          </section>
          <Children events={history.events} />
          <section class="panel">
            <h2>History events</h2>
            <EventTable events={history.events} />
          </section>
        </>
      )}
    </main>
  );
}
