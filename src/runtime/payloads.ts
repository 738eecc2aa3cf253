/**
 * The payload size limit, checked at the edges before anything is written.
 *
 * @module
 */
import { payloadBytes, type Payload } from "../core/serde.js";
import { PayloadTooLargeError } from "./errors.js";

/** Default limit of one payload (input, output, event data, custom status): 1 MiB of JSON. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Throws PayloadTooLargeError when `payload` is over `limit` bytes. */
export function checkPayload(payload: Payload, what: string, limit: number): Payload {
  if (payload !== undefined && payload.length > limit / 4) {
    const bytes = payloadBytes(payload);
    if (bytes > limit) throw new PayloadTooLargeError(what, bytes, limit);
  }
  return payload;
}
