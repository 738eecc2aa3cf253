/**
 * The actions on an instance, each behind a confirmation dialog and disabled (with the reason as
 * its tooltip) where the instance's status forbids it. The outcome, or the API's error message,
 * goes to the view's notice line.
 *
 * @module
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { operate, purge, raiseEvent, restart } from "./api.js";
import { actionBlocked, isTerminal, type Action } from "./status.js";
import { Dialog, type Notice } from "./widgets.js";

export interface ActionsProps {
  readonly instanceId: string;
  readonly status: string;
  /** Called with the outcome; `goTo` names an instance to show next (restart), or "list" (purge). */
  readonly onDone: (notice: Notice, goTo?: string) => void;
}

const LABELS: Readonly<Record<Action, string>> = {
  raise: "Raise event",
  terminate: "Terminate",
  suspend: "Suspend",
  resume: "Resume",
  rewind: "Rewind",
  restart: "Restart",
  purge: "Purge",
};

/** Checks JSON text: undefined when valid (or empty), else what is wrong. */
export function jsonProblem(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return `Not valid JSON: ${(error as Error).message}`;
  }
}

function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** The dialog of one action: its fields, and Confirm / Cancel. */
function ActionDialog({ action, instanceId, status, onClose, onDone }: ActionsProps & { action: Action; onClose: () => void }) {
  const [reason, setReason] = useState("");
  const [eventName, setEventName] = useState("");
  const [data, setData] = useState("");
  const [recursive, setRecursive] = useState(false);
  const [sameId, setSameId] = useState(false);
  const [busy, setBusy] = useState(false);
  const problem = action === "raise" ? (eventName.trim() === "" ? "An event name is needed." : jsonProblem(data)) : undefined;

  const confirm = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (problem !== undefined) return;
    setBusy(true);
    try {
      const goTo = await run();
      onDone({ kind: "ok", text: outcome() }, goTo);
    } catch (error) {
      onDone({ kind: "error", text: `${LABELS[action]} failed: ${(error as Error).message}` });
    } finally {
      onClose();
    }
  };
  const run = async (): Promise<string | undefined> => {
    switch (action) {
      case "raise":
        await raiseEvent(instanceId, eventName.trim(), data.trim());
        return undefined;
      case "restart":
        return restart(instanceId, sameId);
      case "purge":
        await purge(instanceId);
        return "list";
      default:
        await operate(instanceId, action, reason.trim(), recursive);
        return undefined;
    }
  };
  const outcome = (): string => {
    switch (action) {
      case "raise":
        return `Event '${eventName.trim()}' raised.`;
      case "restart":
        return "Restarted.";
      case "purge":
        return `Instance ${instanceId} purged.`;
      default:
        return `${LABELS[action]} requested: the instance will change at its next step.`;
    }
  };

  return (
    <Dialog title={`${LABELS[action]} ${instanceId}?`} onClose={onClose}>
      <form method="dialog" onSubmit={(e) => void confirm(e)}>
        {action === "raise" && (
          <>
            <Field label="Event name">
              <input name="eventName" value={eventName} onInput={(e) => setEventName(e.currentTarget.value)} required autoFocus />
            </Field>
            <Field label="Data (JSON; empty for none)">
              <textarea name="data" rows={5} value={data} onInput={(e) => setData(e.currentTarget.value)} spellcheck={false} />
            </Field>
          </>
        )}
        {(action === "terminate" || action === "suspend" || action === "resume" || action === "rewind") && (
          <Field label="Reason (recorded in the history)">
            <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} autoFocus />
          </Field>
        )}
        {action === "terminate" && (
          <label class="check">
            <input type="checkbox" name="recursive" checked={recursive} onChange={(e) => setRecursive(e.currentTarget.checked)} /> Also terminate its running
            sub-orchestrations
          </label>
        )}
        {action === "restart" && (
          <label class="check">
            <input type="checkbox" name="sameId" checked={sameId} disabled={!isTerminal(status)} onChange={(e) => setSameId(e.currentTarget.checked)} /> Keep the
            same instance id (replaces this finished instance)
          </label>
        )}
        {action === "restart" && <p>The orchestration starts again with the input it was started with.</p>}
        {action === "purge" && <p>This deletes the instance and its history for good.</p>}
        {action === "rewind" && <p>What failed runs again; what succeeded is kept.</p>}
        <p class="problem" role="alert">
          {problem ?? ""}
        </p>
        <div class="buttons">
          <button type="submit" class={action === "terminate" || action === "purge" ? "danger" : ""} disabled={busy || problem !== undefined}>
            {LABELS[action]}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function InstanceActions(props: ActionsProps) {
  const [open, setOpen] = useState<Action>();
  return (
    <div class="actions" role="toolbar" aria-label="Actions">
      {(Object.keys(LABELS) as Action[]).map((action) => {
        const blocked = actionBlocked(action, props.status);
        return (
          <button
            type="button"
            key={action}
            class={action === "terminate" || action === "purge" ? "danger-outline" : "secondary"}
            disabled={blocked !== undefined}
            title={blocked ?? `${LABELS[action]}…`}
            data-action={action}
            onClick={() => setOpen(action)}
          >
            {LABELS[action]}
          </button>
        );
      })}
      {open !== undefined && <ActionDialog {...props} action={open} onClose={() => setOpen(undefined)} />}
    </div>
  );
}
