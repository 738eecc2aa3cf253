/**
 * The protocol's entity history events (operation signals and calls, their results, lock
 * requests, grants and releases) both ways, merged into codec.ts's tables.
 *
 * The shapes are written out here rather than taken from core's event types, so that this file
 * reads the same whichever entity events core defines; codec.ts's tables check them against core.
 * Perdure's own routing fields (EntityLockRequested.parentExecutionId, EntityUnlockSent.lockSet
 * and position) have no place on the wire and are not sent.
 *
 * @module
 */
import type { FailureDetails } from "../core/errors.js";
import type { Payload } from "../core/serde.js";
import {
  EMPTY_FAILURE,
  failureOf,
  fromWireString,
  int,
  optionalTime,
  str,
  toWireFailure,
  toWireString,
  toWireTimestamp,
  type Fields,
} from "./wire-values.js";
import type { WireString, WireTimestamp } from "./wire.js";

interface Operation {
  readonly requestId: string;
  readonly operation: string;
  readonly scheduledTime?: string | undefined;
  readonly input?: Payload;
  readonly targetInstanceId: string;
}
interface Called extends Operation {
  readonly parentInstanceId: string;
  readonly parentExecutionId?: string | undefined;
}
interface Completed {
  readonly requestId: string;
  readonly output?: Payload;
}
interface Failed {
  readonly requestId: string;
  readonly failureDetails: FailureDetails;
}
interface LockRequested {
  readonly criticalSectionId: string;
  readonly lockSet: readonly string[];
  readonly position: number;
  readonly parentInstanceId: string;
}
interface LockGranted {
  readonly criticalSectionId: string;
}
interface UnlockSent {
  readonly criticalSectionId: string;
  readonly parentInstanceId: string;
  readonly targetInstanceId: string;
}

const time = (iso: string | undefined) => (iso === undefined ? undefined : toWireTimestamp(iso));
const sv = (value: unknown) => fromWireString(value as WireString | undefined);

/** Our event kind → the protocol's payload field. */
export const ENTITY_WIRE_FIELDS = {
  EntityOperationSignaled: "entityOperationSignaled",
  EntityOperationCalled: "entityOperationCalled",
  EntityOperationCompleted: "entityOperationCompleted",
  EntityOperationFailed: "entityOperationFailed",
  EntityLockRequested: "entityLockRequested",
  EntityLockGranted: "entityLockGranted",
  EntityUnlockSent: "entityUnlockSent",
} as const;

export const ENTITY_ENCODERS = {
  EntityOperationSignaled: (e: Operation): Fields => ({
    requestId: e.requestId,
    operation: e.operation,
    scheduledTime: time(e.scheduledTime),
    input: toWireString(e.input),
    targetInstanceId: toWireString(e.targetInstanceId),
  }),
  EntityOperationCalled: (e: Called): Fields => ({
    requestId: e.requestId,
    operation: e.operation,
    scheduledTime: time(e.scheduledTime),
    input: toWireString(e.input),
    parentInstanceId: toWireString(e.parentInstanceId),
    parentExecutionId: toWireString(e.parentExecutionId),
    targetInstanceId: toWireString(e.targetInstanceId),
  }),
  EntityOperationCompleted: (e: Completed): Fields => ({ requestId: e.requestId, output: toWireString(e.output) }),
  EntityOperationFailed: (e: Failed): Fields => ({ requestId: e.requestId, failureDetails: toWireFailure(e.failureDetails) }),
  EntityLockRequested: (e: LockRequested): Fields => ({
    criticalSectionId: e.criticalSectionId,
    lockSet: [...e.lockSet],
    position: e.position,
    parentInstanceId: toWireString(e.parentInstanceId),
  }),
  EntityLockGranted: (e: LockGranted): Fields => ({ criticalSectionId: e.criticalSectionId }),
  EntityUnlockSent: (e: UnlockSent): Fields => ({
    criticalSectionId: e.criticalSectionId,
    parentInstanceId: toWireString(e.parentInstanceId),
    targetInstanceId: toWireString(e.targetInstanceId),
  }),
};

export const ENTITY_DECODERS = {
  EntityOperationSignaled: (p: Fields): Operation => ({
    requestId: str(p.requestId),
    operation: str(p.operation),
    scheduledTime: optionalTime(p.scheduledTime as WireTimestamp | undefined),
    input: sv(p.input),
    targetInstanceId: sv(p.targetInstanceId) ?? "",
  }),
  EntityOperationCalled: (p: Fields): Called => ({
    requestId: str(p.requestId),
    operation: str(p.operation),
    scheduledTime: optionalTime(p.scheduledTime as WireTimestamp | undefined),
    input: sv(p.input),
    parentInstanceId: sv(p.parentInstanceId) ?? "",
    parentExecutionId: sv(p.parentExecutionId),
    targetInstanceId: sv(p.targetInstanceId) ?? "",
  }),
  EntityOperationCompleted: (p: Fields): Completed => ({ requestId: str(p.requestId), output: sv(p.output) }),
  EntityOperationFailed: (p: Fields): Failed => ({ requestId: str(p.requestId), failureDetails: failureOf(p.failureDetails) ?? EMPTY_FAILURE }),
  EntityLockRequested: (p: Fields): LockRequested => ({
    criticalSectionId: str(p.criticalSectionId),
    lockSet: Array.isArray(p.lockSet) ? (p.lockSet as string[]) : [],
    position: int(p.position),
    parentInstanceId: sv(p.parentInstanceId) ?? "",
  }),
  EntityLockGranted: (p: Fields): LockGranted => ({ criticalSectionId: str(p.criticalSectionId) }),
  EntityUnlockSent: (p: Fields): UnlockSent => ({
    criticalSectionId: str(p.criticalSectionId),
    parentInstanceId: sv(p.parentInstanceId) ?? "",
    targetInstanceId: sv(p.targetInstanceId) ?? "",
  }),
};

/** The payload fields each decoder reads; the rest is kept in the event's `wire` field. */
export const ENTITY_MODELLED_FIELDS = {
  EntityOperationSignaled: ["requestId", "operation", "scheduledTime", "input", "targetInstanceId"],
  EntityOperationCalled: ["requestId", "operation", "scheduledTime", "input", "parentInstanceId", "parentExecutionId", "targetInstanceId"],
  EntityOperationCompleted: ["requestId", "output"],
  EntityOperationFailed: ["requestId", "failureDetails"],
  EntityLockRequested: ["criticalSectionId", "lockSet", "position", "parentInstanceId"],
  EntityLockGranted: ["criticalSectionId"],
  EntityUnlockSent: ["criticalSectionId", "parentInstanceId", "targetInstanceId"],
} as const;
