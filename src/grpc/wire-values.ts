/**
 * The protocol's value types in Perdure's terms: Timestamps as ISO strings exact to the
 * nanosecond, StringValues as payloads (absent stays absent, "" stays ""), TaskFailureDetails as
 * failure details, and the field readers the event codecs share.
 *
 * @module
 */
import type { FailureDetails } from "../core/errors.js";
import type { CompletionStatus } from "../core/history.js";
import type { Payload } from "../core/serde.js";
import { ProtocolError } from "./errors.js";
import type { WireFailureDetails, WireStatus, WireString, WireTimestamp } from "./wire.js";

export type Fields = Record<string, unknown>;

/** A value as the codecs write it: a Perdure value plus the protocol fields it does not model. */
export type WireExtended<E> = E & { readonly wire?: Readonly<Fields> | undefined };

const ISO_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const MAX_SECONDS = 8_640_000_000_000; // what a JavaScript Date can hold

/** An ISO-8601 time as a protocol Timestamp, keeping every fractional digit (up to nanoseconds). */
export function toWireTimestamp(iso: string): WireTimestamp {
  const match = ISO_TIME.exec(iso);
  const wholeMs = match === null ? Number.NaN : Date.parse(match[1]! + match[3]!);
  if (Number.isNaN(wholeMs)) throw new ProtocolError(`'${iso}' is not an ISO-8601 time.`);
  const nanos = Number((match![2] ?? "").padEnd(9, "0"));
  // proto3 style: a zero field is left out, as the SDKs' own encoders do.
  return nanos === 0 ? { seconds: String(Math.floor(wholeMs / 1000)) } : { seconds: String(Math.floor(wholeMs / 1000)), nanos };
}

/** A protocol Timestamp as an ISO-8601 UTC string with 3, 6 or 9 fractional digits. */
export function fromWireTimestamp(ts: WireTimestamp): string {
  const seconds = Number(ts.seconds ?? 0);
  const nanos = ts.nanos ?? 0;
  if (!Number.isSafeInteger(seconds) || Math.abs(seconds) > MAX_SECONDS || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    throw new ProtocolError(`Timestamp {seconds: ${String(ts.seconds)}, nanos: ${String(ts.nanos)}} is out of range.`);
  }
  const base = new Date(seconds * 1000).toISOString(); // always ends in ".000Z"
  const digits = nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
  return `${base.slice(0, -4)}${String(nanos).padStart(9, "0").slice(0, digits)}Z`;
}

/** True for an absent Timestamp and for the epoch (what the JavaScript SDK sends for "no time"). */
export function isUnsetTimestamp(ts: WireTimestamp | undefined | null): boolean {
  return ts == null || (Number(ts.seconds ?? 0) === 0 && (ts.nanos ?? 0) === 0);
}

/** An optional protocol time as an optional ISO string. */
export function optionalTime(ts: WireTimestamp | undefined | null): string | undefined {
  return ts == null ? undefined : fromWireTimestamp(ts);
}

/** A payload as a StringValue: absent stays absent, "" stays a present empty string. */
export function toWireString(payload: Payload): WireString | undefined {
  return payload === undefined ? undefined : { value: payload };
}

/** A StringValue as a payload. */
export function fromWireString(value: WireString | undefined | null): Payload {
  return value == null ? undefined : (value.value ?? "");
}

/** Failure details as the protocol's TaskFailureDetails. */
export function toWireFailure(details: FailureDetails): WireFailureDetails {
  const extra = (details as WireExtended<FailureDetails>).wire;
  return strip({
    ...extra,
    errorType: details.errorType,
    errorMessage: details.errorMessage,
    stackTrace: toWireString(details.stackTrace),
    innerFailure: details.innerFailure === undefined ? undefined : toWireFailure(details.innerFailure),
    isNonRetriable: details.isNonRetriable === true ? true : undefined,
  });
}

/** The protocol's TaskFailureDetails as failure details; `properties` and other extras go to `wire`. */
export function fromWireFailure(wire: WireFailureDetails): FailureDetails {
  const { errorType, errorMessage, stackTrace, innerFailure, isNonRetriable, ...rest } = wire;
  return strip({
    errorType: errorType ?? "",
    errorMessage: errorMessage ?? "",
    stackTrace: fromWireString(stackTrace),
    innerFailure: innerFailure == null ? undefined : fromWireFailure(innerFailure),
    isNonRetriable: isNonRetriable === true ? true : undefined,
    wire: extras(rest),
  }) as FailureDetails;
}

export const TO_WIRE_STATUS: Readonly<Record<CompletionStatus, WireStatus>> = {
  Completed: "ORCHESTRATION_STATUS_COMPLETED",
  Failed: "ORCHESTRATION_STATUS_FAILED",
  Terminated: "ORCHESTRATION_STATUS_TERMINATED",
  ContinuedAsNew: "ORCHESTRATION_STATUS_CONTINUED_AS_NEW",
};

/** How an execution ended, from the protocol's status. @throws ProtocolError for a status that is not an end. */
export function completionStatusOf(status: WireStatus | undefined): CompletionStatus {
  for (const [ours, theirs] of Object.entries(TO_WIRE_STATUS)) if (theirs === status) return ours as CompletionStatus;
  throw new ProtocolError(`${status ?? "ORCHESTRATION_STATUS_RUNNING"} is not a status an execution can end with.`);
}

export const EMPTY_FAILURE: FailureDetails = Object.freeze({ errorType: "", errorMessage: "" });

/** Optional failure details from the wire. */
export function failureOf(value: unknown): FailureDetails | undefined {
  return value == null ? undefined : fromWireFailure(value as WireFailureDetails);
}

/** A string field (absent is ""). */
export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** An int32 field (absent is 0). */
export function int(value: unknown): number {
  const n = value == null ? 0 : Number(value);
  if (!Number.isInteger(n)) throw new ProtocolError(`Expected an integer, received ${String(value)}.`);
  return n;
}

/** The value, or undefined for an empty object. */
export function nonEmpty<T extends object>(value: T | undefined): T | undefined {
  return value !== undefined && Object.keys(value).length > 0 ? value : undefined;
}

/** What is left of a payload after the modelled fields, or undefined when nothing is. */
export function extras(rest: Fields): Fields | undefined {
  for (const key of Object.keys(rest)) if (rest[key] === undefined) delete rest[key];
  return nonEmpty(rest);
}

/** Drops undefined fields, so that stored JSON has no `"input": null` for an absent payload. */
export function strip<T extends object>(fields: T): T {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as T;
}
