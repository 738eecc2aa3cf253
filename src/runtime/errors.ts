/**
 * Errors of the runtime and the client.
 *
 * @module
 */
import { PerdureError } from "../core/errors.js";

export const RuntimeErrorCode = Object.freeze({
  UnknownOrchestration: "UNKNOWN_ORCHESTRATION",
  UnknownActivity: "UNKNOWN_ACTIVITY",
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  WaitTimeout: "WAIT_TIMEOUT",
  WorkerState: "WORKER_STATE",
  UnknownEntity: "UNKNOWN_ENTITY",
  VersionNotAvailable: "VERSION_NOT_AVAILABLE",
} as const);

/** No orchestration of that name is registered in the app. */
export class UnknownOrchestrationError extends PerdureError {
  /** When the name is registered but not the version asked for: that version (undefined: none). */
  readonly version: string | undefined;
  constructor(
    readonly orchestrationName: string,
    known: readonly string[],
    missing?: { readonly version: string | undefined; readonly registered: ReadonlyArray<string | undefined> },
  ) {
    const label = (v: string | undefined): string => (v === undefined ? "no version" : `version '${v}'`);
    super(
      RuntimeErrorCode.UnknownOrchestration,
      missing === undefined
        ? `No orchestration named '${orchestrationName}' is registered. ` +
            (known.length > 0 ? `Registered orchestrations: ${known.join(", ")}.` : "The app registers no orchestration.") +
            ` Register it with app.orchestration("${orchestrationName}", function* (ctx, input) { … }).`
        : `Orchestration '${orchestrationName}' is not registered with ${label(missing.version)} in this app; it is registered with ` +
            `${missing.registered.map(label).join(", ")}. Register that version beside the others with ` +
            `app.orchestration("${orchestrationName}", ${missing.version === undefined ? "" : `{ version: "${missing.version}" }, `}function* (ctx, input) { … }).`,
    );
    this.version = missing?.version;
    this.name = "UnknownOrchestrationError";
  }
}

/** No activity of that name is registered in the worker's app. */
export class UnknownActivityError extends PerdureError {
  constructor(readonly activityName: string) {
    super(
      RuntimeErrorCode.UnknownActivity,
      `No activity named '${activityName}' is registered in this worker's app. ` +
        `Register it with app.activity("${activityName}", fn), or fix the name in the orchestration.`,
    );
    this.name = "UnknownActivityError";
  }
}

/** A payload is larger than the configured limit. */
export class PayloadTooLargeError extends PerdureError {
  constructor(
    what: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      RuntimeErrorCode.PayloadTooLarge,
      `${what} is ${bytes} bytes of JSON, over the limit of ${limit} bytes. Store large data elsewhere and pass a ` +
        `reference, or raise the limit with the 'maxPayloadBytes' option.`,
    );
    this.name = "PayloadTooLargeError";
  }
}

/** `waitForCompletion` ran out of time. The instance goes on running. */
export class WaitTimeoutError extends PerdureError {
  constructor(
    readonly instanceId: string,
    readonly timeoutMs: number,
  ) {
    super(
      RuntimeErrorCode.WaitTimeout,
      `Instance '${instanceId}' did not finish within ${timeoutMs} ms. It goes on running; wait again or check its status.`,
    );
    this.name = "WaitTimeoutError";
  }
}

/** A worker was asked to do something its state does not allow (start twice, use after stop). */
export class WorkerStateError extends PerdureError {
  constructor(message: string) {
    super(RuntimeErrorCode.WorkerState, message);
    this.name = "WorkerStateError";
  }
}

/** No entity of that name is registered in the worker's app: operations on it fail. */
export class UnknownEntityError extends PerdureError {
  constructor(
    readonly entityName: string,
    known: readonly string[],
  ) {
    super(
      RuntimeErrorCode.UnknownEntity,
      `No entity named '${entityName}' is registered in this worker's app. ` +
        (known.length > 0 ? `Registered entities: ${known.join(", ")}.` : "The app registers no entity.") +
        ` Register it with app.entity("${entityName}", …), or fix the name in the entity id.`,
    );
    this.name = "UnknownEntityError";
  }
}

/**
 * No running worker registers the version an instance runs: a worker with the option
 * `missingVersion: "fail"` fails the instance with this error instead of leaving it to wait.
 */
export class VersionNotAvailableError extends PerdureError {
  constructor(
    readonly orchestrationName: string,
    readonly version: string | undefined,
    registered: ReadonlyArray<string | undefined>,
  ) {
    const label = (v: string | undefined): string => (v === undefined ? "(unversioned)" : `'${v}'`);
    super(
      RuntimeErrorCode.VersionNotAvailable,
      `No running worker registers orchestration '${orchestrationName}' ${version === undefined ? "without a version" : `version '${version}'`}, ` +
        `the version this instance started on and must finish on. Running workers register ${
          registered.length > 0 ? `the versions ${registered.map(label).join(", ")}` : "no version of it"
        }. Deploy a worker that registers that version, or start the instance again on a newer one.`,
    );
    this.name = "VersionNotAvailableError";
  }
}
