/**
 * Durable entities: a list by entity name, page by page, and one entity's state, the critical
 * section that holds it, the operations queued behind that lock, and a form to signal one.
 *
 * @module
 */
import { useState } from "preact/hooks";
import { ApiError, entityDetails, listEntities, signalEntity, type Page } from "./api.js";
import type { EntityDetails, EntitySummary } from "./api-types.js";
import { jsonProblem } from "./actions.js";
import { brief } from "./format.js";
import { useKeyState, usePoll } from "./hooks.js";
import { JsonPanel } from "./json-view.js";
import { href, navigate, type Route } from "./route.js";
import { Dialog, ErrorBox, NoticeLine, Time, type Notice } from "./widgets.js";

const previousToken = new Map<string, string>();

export function EntitiesView({ route }: { route: Route }) {
  const name = route.query.get("name") ?? "";
  const token = route.query.get("page") ?? undefined;
  const [draft, setDraft] = useState(name);
  const [page, setPage] = useState<Page<EntitySummary>>();
  const [error, setError] = useState<unknown>();
  const keys = useKeyState();
  usePoll(
    async (isCurrent) => {
      try {
        const result = await listEntities(name || undefined, 50, token);
        if (isCurrent()) (setPage(result), setError(undefined));
      } catch (e) {
        if (isCurrent()) setError(e);
      }
    },
    5000,
    true,
    [name, token, keys.version],
  );
  const go = (query: Record<string, string | undefined>): void => navigate(["entities"], query);
  return (
    <main class="view" aria-labelledby="entities-title">
      <div class="view-head">
        <h1 id="entities-title">Entities</h1>
      </div>
      <form class="filters" onSubmit={(e) => (e.preventDefault(), go({ name: draft.trim() }))} aria-label="Filter entities">
        <label>
          Entity name <input name="entityName" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} placeholder="all names" />
        </label>
        <div class="buttons">
          <button type="submit">Show</button>
        </div>
      </form>
      <ErrorBox error={error} />
      <div class="table-wrap">
        <table class="entities">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Last operation</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((e) => (
              <tr key={`${e.entityId.name}@${e.entityId.key}`}>
                <td data-label="Name">{e.entityId.name}</td>
                <td data-label="Key">
                  <a class="mono" href={href(["entities", e.entityId.name, e.entityId.key])}>
                    {e.entityId.key}
                  </a>
                </td>
                <td data-label="Last operation">
                  <Time iso={e.lastOperationTime} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {page !== undefined && page.items.length === 0 && <p class="empty">No entity with state{name ? ` named '${name}'` : ""}.</p>}
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={token === undefined} onClick={() => go({ name, page: previousToken.get(token ?? "") || undefined })}>
          Previous
        </button>
        <button
          type="button"
          class="secondary"
          disabled={page?.next === undefined}
          onClick={() => (previousToken.set(page!.next!, token ?? ""), go({ name, page: page!.next }))}
        >
          Next
        </button>
      </nav>
    </main>
  );
}

function SignalForm({ name, entityKey, onDone }: { name: string; entityKey: string; onDone: (notice: Notice) => void }) {
  const [operation, setOperation] = useState("");
  const [input, setInput] = useState("");
  const [confirming, setConfirming] = useState(false);
  const problem = operation.trim() === "" ? "An operation name is needed." : jsonProblem(input);
  const send = async (): Promise<void> => {
    try {
      await signalEntity(name, entityKey, operation.trim(), input.trim() === "" ? undefined : input.trim());
      onDone({ kind: "ok", text: `Signaled '${operation.trim()}': it runs when the entity gets to it.` });
    } catch (error) {
      onDone({ kind: "error", text: `Signal failed: ${(error as Error).message}` });
    } finally {
      setConfirming(false);
    }
  };
  return (
    <form class="panel signal" onSubmit={(e) => (e.preventDefault(), problem === undefined && setConfirming(true))} aria-label="Signal an operation">
      <h2>Signal an operation</h2>
      <label class="field">
        <span>Operation</span>
        <input name="operation" value={operation} onInput={(e) => setOperation(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>Input (JSON; empty for none)</span>
        <textarea name="input" rows={3} value={input} onInput={(e) => setInput(e.currentTarget.value)} spellcheck={false} />
      </label>
      <p class="problem" role="alert">
        {operation === "" && input === "" ? "" : (problem ?? "")}
      </p>
      <button type="submit" disabled={problem !== undefined}>
        Signal…
      </button>
      {confirming && (
        <Dialog title={`Signal '${operation.trim()}' to ${name}/${entityKey}?`} onClose={() => setConfirming(false)}>
          <p>Input: {input.trim() === "" ? "none" : brief(JSON.parse(input), 200)}</p>
          <div class="buttons">
            <button type="button" onClick={() => void send()}>
              Signal
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </form>
  );
}

export function EntityView({ name, entityKey }: { name: string; entityKey: string }) {
  const [entity, setEntity] = useState<EntityDetails>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<Notice>();
  const [reloads, setReloads] = useState(0);
  const keys = useKeyState();
  usePoll(
    async (isCurrent) => {
      try {
        const result = await entityDetails(name, entityKey);
        if (isCurrent()) (setEntity(result), setError(undefined));
      } catch (e) {
        if (isCurrent()) setError(e);
      }
    },
    2000,
    true,
    [name, entityKey, keys.version, reloads],
  );
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <main class="view" aria-labelledby="entity-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href(["entities"])}>Entities</a> / <a href={href(["entities"], { name })}>{name}</a> / <span class="mono">{entityKey}</span>
      </nav>
      <div class="instance-head">
        <h1 id="entity-title">
          {name} <span class="mono">{entityKey}</span>
        </h1>
      </div>
      {notFound ? <p class="error-box" role="alert">No entity {name}/{entityKey} is in the store yet: it comes into being with its first operation.</p> : <ErrorBox error={error} />}
      <NoticeLine notice={notice} />
      {entity && (
        <>
          <dl class="facts">
            <dt>Last operation</dt>
            <dd>
              <Time iso={entity.lastOperationTime} />
            </dd>
            <dt>Locked by</dt>
            <dd data-testid="lock-holder">
              {entity.lock === null ? (
                <span class="muted">nobody</span>
              ) : (
                <a class="mono" href={href(["instances", entity.lock.owner])}>
                  {entity.lock.owner}
                </a>
              )}
            </dd>
          </dl>
          <JsonPanel title="State" value={entity.exists ? entity.state : undefined} testId="entity-state" />
          <section class="panel">
            <h2>Queued operations</h2>
            {entity.queue.length === 0 ? (
              <p class="muted">None: nothing waits for a lock.</p>
            ) : (
              <table class="queue">
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Operation</th>
                    <th scope="col">From</th>
                    <th scope="col">Sent</th>
                    <th scope="col">Input</th>
                  </tr>
                </thead>
                <tbody>
                  {entity.queue.map((m, i) => (
                    <tr key={i}>
                      <td>{m.type.replace(/^Entity/, "")}</td>
                      <td>{String(m.operation ?? "")}</td>
                      <td class="mono">{String(m.parentInstanceId ?? "client")}</td>
                      <td>
                        <Time iso={m.timestamp} />
                      </td>
                      <td class="mono">{brief(m.input)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
      {(entity !== undefined || notFound) && (
        <SignalForm name={name} entityKey={entityKey} onDone={(n) => (setNotice(n), setReloads((r) => r + 1))} />
      )}
    </main>
  );
}
