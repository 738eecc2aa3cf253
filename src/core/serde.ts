/**
 * Payload encoding. Every input, output, event body and custom status is stored as a JSON string;
 * `undefined` is stored as an absent payload, which stays distinct from `"null"` and `""`.
 *
 * Invariants kept here:
 * 1. A value that JSON cannot represent faithfully at its top level (a function, a symbol, a
 *    bigint, a cycle) is refused with a SerializationError before anything is written.
 * 2. `deserialize(serialize(v))` is the value a JSON round trip gives; absent stays `undefined`.
 *
 * @module
 */
import { SerializationError } from "./errors.js";

/** A stored payload: a JSON text, or `undefined` for "no value". */
export type Payload = string | undefined;

/**
 * Encodes a value for storage. `what` names the value in the error message ("the input of
 * activity 'Process'"), so a user learns which call carried the bad value.
 */
export function serialize(value: unknown, what: string): Payload {
  if (value === undefined) return undefined;
  const kind = typeof value;
  if (kind === "function" || kind === "symbol" || kind === "bigint") {
    throw new SerializationError(
      `Cannot store ${what}: a ${kind} is not JSON-serializable. Pass plain data (objects, arrays, strings, numbers, booleans, null).`,
    );
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new SerializationError(
      `Cannot store ${what}: JSON.stringify failed (${(cause as Error).message}). ` +
        `Pass plain data without cycles or bigints.`,
      { cause },
    );
  }
  if (text === undefined) {
    throw new SerializationError(`Cannot store ${what}: it has no JSON representation.`);
  }
  return text;
}

/**
 * Decodes a stored payload. A corrupt payload is a SerializationError naming `what`. An empty text
 * is no JSON value at all: it reads as absent (the JavaScript Durable Task SDK sends "" for "no
 * input" and for an activity that returned nothing).
 */
export function deserialize(payload: Payload, what: string): unknown {
  if (payload === undefined || payload === "") return undefined;
  try {
    return JSON.parse(payload);
  } catch (cause) {
    throw new SerializationError(`Cannot read ${what}: the stored payload is not valid JSON.`, { cause });
  }
}

/** Size of a payload in bytes as stored (UTF-8). */
export function payloadBytes(payload: Payload): number {
  if (payload === undefined) return 0;
  let bytes = 0;
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
