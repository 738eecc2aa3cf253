/**
 * Identifiers: instance id rules, deterministic child ids and deterministic GUIDs.
 *
 * The core has no randomness, so `newGuid` is a name-based UUID (version 5, RFC 4122 §4.3) of the
 * instance id, the episode time and a counter, computed with a small SHA-1 of our own.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.js";

/** Longest instance id accepted (Durable Functions' limit). */
export const MAX_INSTANCE_ID_LENGTH = 100;

/** Longest name accepted for an orchestration, activity, entity, event or operation. */
export const MAX_NAME_LENGTH = 256;

/**
 * True when `text` is well-formed Unicode: no lone surrogate. A lone surrogate has no UTF-8
 * form, so a store would keep another string than the one given (SQLite and PostgreSQL both
 * replace it), and the caller could never find it again by the same id.
 */
export function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

/** True when `text` holds a control character (C0, DEL or C1). */
export function hasControlCharacter(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(text);
}

/** What is wrong with the characters of an id (not its length or prefix), or undefined. */
function idCharactersProblem(id: string): string | undefined {
  if (!isWellFormed(id)) return "it is not well-formed Unicode (it holds a lone surrogate)";
  const bad = /[/\\#?]/.exec(id);
  if (bad) return `it contains '${bad[0]}'; '/', '\\', '#' and '?' are not allowed`;
  if (hasControlCharacter(id)) return "it contains a control character";
  return undefined;
}

/**
 * Why an instance id is invalid, or `undefined` when it is valid. Durable Functions' rules: 1–100
 * characters, not starting with `@` (reserved for entities), no `/`, `\`, `#`, `?`, no control
 * characters; and well-formed Unicode.
 */
export function instanceIdProblem(id: unknown): string | undefined {
  if (typeof id !== "string") return `it must be a string, not ${describeType(id)}`;
  if (id.length === 0) return "it is empty";
  if (id.length > MAX_INSTANCE_ID_LENGTH) return `it has ${id.length} characters; the limit is ${MAX_INSTANCE_ID_LENGTH}`;
  if (id.startsWith("@")) return "it starts with '@', which is reserved for entity ids";
  return idCharactersProblem(id);
}

/** Throws InvalidArgumentError when `id` breaks the instance id rules. */
export function validateInstanceId(id: unknown): asserts id is string {
  const problem = instanceIdProblem(id);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `Invalid instance id ${quote(id)}: ${problem}. Use 1–${MAX_INSTANCE_ID_LENGTH} characters of well-formed Unicode without '/', '\\', '#', '?' or control characters, not starting with '@'.`,
    );
  }
}

/**
 * Why an entity key is invalid, or undefined: non-empty, well-formed, without the characters an
 * instance id may not hold (its length is checked with the whole entity id).
 */
export function entityKeyProblem(key: unknown): string | undefined {
  if (typeof key !== "string") return `it must be a string, not ${describeType(key)}`;
  if (key.length === 0) return "it is empty";
  return idCharactersProblem(key);
}

/**
 * Why a name (of an orchestration, activity, entity, event or operation) is invalid, or
 * undefined: a non-empty string of well-formed Unicode, at most {@link MAX_NAME_LENGTH}
 * characters, without control characters.
 */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return `it must be a string, not ${describeType(name)}`;
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_NAME_LENGTH) return `it has ${name.length} characters; the limit is ${MAX_NAME_LENGTH}`;
  if (!isWellFormed(name)) return "it is not well-formed Unicode (it holds a lone surrogate)";
  if (hasControlCharacter(name)) return "it contains a control character";
  return undefined;
}

/**
 * Throws InvalidArgumentError when `name` is not a valid name; `what` says which name, e.g.
 * "raiseEvent() event name".
 */
export function validateName(name: unknown, what: string): asserts name is string {
  const problem = nameProblem(name);
  if (problem !== undefined) throw new InvalidArgumentError(`Invalid ${what} ${quote(name)}: ${problem}.`);
}

/** `typeof`, with null and arrays told apart, for messages. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** A value as a message shows it: JSON where it has one (lone surrogates escaped), else its string. */
export function quote(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The default id of a sub-orchestration: `<parentInstanceId>:<sequence number of the call>`. */
export function childInstanceId(parentInstanceId: string, sequence: number): string {
  return `${parentInstanceId}:${sequence}`;
}

const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** A version-5 UUID of `name` in the URL namespace (RFC 4122 §4.3). */
export function uuidV5(name: string, namespace = URL_NAMESPACE): string {
  const ns = hexToBytes(namespace.replace(/-/g, ""));
  const nameBytes = new TextEncoder().encode(name);
  const data = new Uint8Array(ns.length + nameBytes.length);
  data.set(ns, 0);
  data.set(nameBytes, ns.length);
  const hash = sha1(data);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = bytesToHex(hash.subarray(0, 16));
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** SHA-1 (FIPS 180-4) of a byte array. Used only for name-based UUIDs, never for security. */
export function sha1(message: Uint8Array): Uint8Array {
  const bitLength = message.length * 8;
  const padded = new Uint8Array(((message.length + 9 + 63) >> 6) << 6);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block + t * 4);
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const outView = new DataView(out.buffer);
  [h0, h1, h2, h3, h4].forEach((h, i) => outView.setUint32(i * 4, h));
  return out;
}
