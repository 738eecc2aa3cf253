/**
 * Small pieces every view uses: the status badge, times, a copy button, a dialog, and the line
 * that reports an outcome or an error. Everything is rendered as text: no markup ever comes from
 * data.
 *
 * @module
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { statusLook } from "./status.js";

export function StatusBadge({ status }: { status: string }) {
  const look = statusLook(status);
  return (
    <span class={`badge tone-${look.tone}`} title={look.meaning} data-status={status}>
      {look.word}
    </span>
  );
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** A local time `2026-11-29 00:24:42`, the UTC ISO time as its tooltip. */
export function Time({ iso }: { iso: string }) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <span>{iso}</span>;
  const text = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return (
    <time dateTime={iso} title={`${iso} (UTC)`}>
      {text}
    </time>
  );
}

/** Copies text: the Clipboard API where the page may use it, else a selected text area. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard !== undefined && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 1500);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = () => copyText(text).then(() => setState("copied"), () => setState("failed"));
  return (
    <button type="button" class="small" onClick={() => void copy()} aria-live="polite">
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : label}
    </button>
  );
}

/** A modal dialog, open while mounted; Escape or Cancel closes it through `onClose`. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} aria-label={title} onCancel={(e) => (e.preventDefault(), onClose())}>
      <h2>{title}</h2>
      {children}
    </dialog>
  );
}

/** The outcome of the last action, or an error, announced to screen readers. */
export interface Notice {
  readonly kind: "ok" | "error";
  readonly text: string;
}

let flash: Notice | undefined;

/** Keeps a notice for the next view, shown once (the outcome of an action that leaves the view). */
export function setFlash(notice: Notice): void {
  flash = notice;
}

/** The notice kept for this view, once. */
export function takeFlash(): Notice | undefined {
  const notice = flash;
  flash = undefined;
  return notice;
}

export function NoticeLine({ notice }: { notice: Notice | undefined }) {
  return (
    <p class={`notice ${notice?.kind ?? ""}`} role="status" aria-live="polite">
      {notice?.text ?? ""}
    </p>
  );
}

/** An error of a view: the API's message as it is. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined) return null;
  const text = error instanceof Error ? error.message : String(error);
  return (
    <p class="error-box" role="alert">
      {text}
    </p>
  );
}
