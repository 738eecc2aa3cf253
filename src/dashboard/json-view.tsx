/**
 * A JSON value as a collapsible tree, with a copy button for the whole value. Objects and arrays
 * open to two levels; deeper ones, and long arrays, open on demand, so a large payload costs
 * nothing until someone looks. Strings are text nodes: `<img src=x onerror=…>` shows as those
 * characters.
 *
 * @module
 */
import { useState } from "preact/hooks";
import { CopyButton } from "./widgets.js";

const SHOWN = 100;

function Scalar({ value }: { value: unknown }) {
  if (value === null) return <span class="j-null">null</span>;
  switch (typeof value) {
    case "string":
      return <span class="j-string">{JSON.stringify(value)}</span>;
    case "number":
      return <span class="j-number">{String(value)}</span>;
    case "boolean":
      return <span class="j-bool">{String(value)}</span>;
    default:
      return <span class="j-null">{String(value)}</span>;
  }
}

function Branch({ value, name, depth }: { value: object; name?: string | undefined; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  const [all, setAll] = useState(false);
  const isArray = Array.isArray(value);
  const entries = isArray ? (value as unknown[]).map((v, i) => [String(i), v] as const) : Object.entries(value);
  const shown = all ? entries : entries.slice(0, SHOWN);
  const summary = isArray ? `[ ${entries.length} item${entries.length === 1 ? "" : "s"} ]` : `{ ${entries.length} key${entries.length === 1 ? "" : "s"} }`;
  return (
    <div class="j-branch">
      <button type="button" class="j-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? "▾" : "▸"}</span> {name !== undefined && <span class="j-key">{name}: </span>}
        <span class="j-summary">{summary}</span>
      </button>
      {open && (
        <div class="j-children">
          {shown.map(([key, child]) => (
            <Node key={key} name={isArray ? `${key}` : JSON.stringify(key)} value={child} depth={depth + 1} />
          ))}
          {shown.length < entries.length && (
            <button type="button" class="small" onClick={() => setAll(true)}>
              Show {entries.length - shown.length} more
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function Node({ value, name, depth }: { value: unknown; name?: string | undefined; depth: number }) {
  if (value !== null && typeof value === "object") return <Branch value={value} name={name} depth={depth} />;
  return (
    <div class="j-leaf">
      {name !== undefined && <span class="j-key">{name}: </span>}
      <Scalar value={value} />
    </div>
  );
}

/** A titled JSON panel; `value` undefined or null shows "none". */
export function JsonPanel({ title, value, testId }: { title: string; value: unknown; testId?: string }) {
  const empty = value === undefined || value === null;
  return (
    <section class="panel json-panel" data-testid={testId}>
      <header>
        <h3>{title}</h3>
        {!empty && <CopyButton text={JSON.stringify(value, null, 2)} label={`Copy ${title.toLowerCase()}`} />}
      </header>
      <div class="json">{empty ? <span class="muted">none</span> : <Node value={value} depth={0} />}</div>
    </section>
  );
}
