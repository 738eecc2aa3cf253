/**
 * What a runtime status looks like (a word and a colour tone; the word is always shown, so the
 * colour is never the only cue) and which actions it allows. Pure.
 *
 * @module
 */
import type { Status } from "./api-types.js";

/** Colour tones, each a CSS class `tone-<name>` with a background and text pair readable in both. */
export type Tone = "neutral" | "active" | "paused" | "success" | "danger" | "stopped" | "info";

export interface StatusLook {
  readonly word: string;
  readonly tone: Tone;
  /** One line for a tooltip or a screen reader. */
  readonly meaning: string;
}

const LOOKS: Readonly<Record<Status, StatusLook>> = {
  Pending: { word: "Pending", tone: "neutral", meaning: "Created; its first step has not run yet (or it is scheduled to start later)." },
  Running: { word: "Running", tone: "active", meaning: "Running or waiting for an activity, a timer, an event or a sub-orchestration." },
  Suspended: { word: "Suspended", tone: "paused", meaning: "Suspended: it holds new events until it is resumed." },
  Completed: { word: "Completed", tone: "success", meaning: "Finished with an output." },
  Failed: { word: "Failed", tone: "danger", meaning: "Finished with an unhandled failure; it can be rewound." },
  Terminated: { word: "Terminated", tone: "stopped", meaning: "Stopped by a terminate request." },
  ContinuedAsNew: { word: "Continued as new", tone: "info", meaning: "Restarting with a fresh history (continue-as-new)." },
  Canceled: { word: "Canceled", tone: "stopped", meaning: "Canceled." },
};

const UNKNOWN: StatusLook = { word: "Unknown", tone: "neutral", meaning: "A status this dashboard does not know." };

/** The word and tone of a status; an unknown status reads "Unknown" rather than breaking the page. */
export function statusLook(status: string): StatusLook {
  return Object.prototype.hasOwnProperty.call(LOOKS, status) ? LOOKS[status as Status] : UNKNOWN;
}

/** True for Completed, Failed, Terminated and Canceled: the instance runs no more unless rewound or restarted. */
export function isTerminal(status: string): boolean {
  return status === "Completed" || status === "Failed" || status === "Terminated" || status === "Canceled";
}

/** The actions of an instance. */
export type Action = "raise" | "terminate" | "suspend" | "resume" | "rewind" | "restart" | "purge";

/**
 * Why an action is not allowed in a status, or undefined when it is. The server has the last
 * word; this only keeps buttons from offering what it would refuse.
 */
export function actionBlocked(action: Action, status: string): string | undefined {
  const running = status === "Pending" || status === "Running" || status === "Suspended";
  switch (action) {
    case "raise":
    case "terminate":
      return running ? undefined : `The instance is ${statusLook(status).word}: it has finished.`;
    case "suspend":
      return status === "Pending" || status === "Running" ? undefined : `Only a Pending or Running instance can be suspended.`;
    case "resume":
      return status === "Suspended" ? undefined : "Only a Suspended instance can be resumed.";
    case "rewind":
      return status === "Failed" ? undefined : "Only a Failed instance can be rewound.";
    case "restart":
      return undefined;
    case "purge":
      return isTerminal(status) ? undefined : "Only a finished instance (Completed, Failed, Terminated) can be purged.";
  }
}
