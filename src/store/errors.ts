/**
 * Errors a Store throws. Each has a stable code, so the HTTP layer maps it to one status code.
 *
 * @module
 */
import { PerdureError } from "../core/errors.js";
import type { RuntimeStatus } from "./store.js";

export const StoreErrorCode = Object.freeze({
  InstanceExists: "INSTANCE_EXISTS",
  InstanceNotFound: "INSTANCE_NOT_FOUND",
  InvalidInstanceState: "INVALID_INSTANCE_STATE",
  LeaseLost: "LEASE_LOST",
  SchemaTooNew: "SCHEMA_TOO_NEW",
  StoreClosed: "STORE_CLOSED",
  UnprocessableInstance: "UNPROCESSABLE_INSTANCE",
  UnreadableData: "UNREADABLE_DATA",
} as const);

/** An instance with that id already exists in a status that forbids replacing it. */
export class InstanceExistsError extends PerdureError {
  constructor(
    readonly instanceId: string,
    readonly status: RuntimeStatus,
  ) {
    super(
      StoreErrorCode.InstanceExists,
      `An instance with id '${instanceId}' already exists and is ${status}. Use another id, wait until it ends, ` +
        `or start with the option that allows reusing the id of a finished instance.`,
    );
    this.name = "InstanceExistsError";
  }
}

/** No instance has that id. */
export class InstanceNotFoundError extends PerdureError {
  constructor(readonly instanceId: string) {
    super(StoreErrorCode.InstanceNotFound, `No instance with id '${instanceId}' exists (it may have been purged).`);
    this.name = "InstanceNotFoundError";
  }
}

/** The instance's status does not allow the operation (e.g. rewinding one that did not fail). */
export class InvalidInstanceStateError extends PerdureError {
  constructor(
    readonly instanceId: string,
    readonly status: RuntimeStatus,
    operation: string,
    expected: string,
  ) {
    super(
      StoreErrorCode.InvalidInstanceState,
      `Cannot ${operation} instance '${instanceId}': it is ${status}, and ${operation} needs ${expected}.`,
    );
    this.name = "InvalidInstanceStateError";
  }
}

/** A lease expired and was taken over (or the instance or task is gone); the holder's commit changed nothing. */
export class LeaseLostError extends PerdureError {
  constructor(what: string) {
    super(
      StoreErrorCode.LeaseLost,
      `The lease on ${what} no longer holds (it expired and another worker took it, or the item is gone); ` +
        `nothing was written. The work will be redone by the lease holder.`,
    );
    this.name = "LeaseLostError";
  }
}

/** The database was written by a newer version of Perdure than this one. */
export class SchemaTooNewError extends PerdureError {
  constructor(where: string, found: number, known: number) {
    super(
      StoreErrorCode.SchemaTooNew,
      `The store at ${where} has schema version ${found}, but this version of Perdure knows only up to ${known}. ` +
        `Upgrade Perdure, or open another store; the file was not changed.`,
    );
    this.name = "SchemaTooNewError";
  }
}

/** The store was closed. */
export class StoreClosedError extends PerdureError {
  constructor() {
    super(StoreErrorCode.StoreClosed, "The store is closed; create a new one to continue.");
    this.name = "StoreClosedError";
  }
}

/**
 * A stored row cannot be read back as written: an event that is not a JSON object with a type,
 * or an instance id that does not read back as the same string (written around the checks).
 */
export class UnreadableDataError extends PerdureError {
  constructor(what: string, detail: string) {
    super(StoreErrorCode.UnreadableData, `The stored ${what} cannot be read: ${detail}.`);
    this.name = "UnreadableDataError";
  }
}

/**
 * Why a store set an instance aside (the failure details of a parked instance): its stored data
 * cannot be read, or running an episode on it threw. The instance is Failed; its history and
 * inbox are kept as they are, and no worker takes it again.
 */
export class UnprocessableInstanceError extends PerdureError {
  constructor(
    readonly instanceId: string,
    cause: unknown,
  ) {
    super(
      StoreErrorCode.UnprocessableInstance,
      `Instance '${instanceId}' cannot be processed and was set aside: ${cause instanceof Error ? cause.message : String(cause)} ` +
        `Its history and inbox are kept as they are and no worker will take it again; purge it, or repair its stored data and rewind it.`,
      { cause },
    );
    this.name = "UnprocessableInstanceError";
  }
}
