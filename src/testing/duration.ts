/**
 * Durations as tests write them: `"3d"`, `"72h"`, `"1h30m"`, `"250ms"`, or a number of milliseconds.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration written as one or more `<number><unit>` parts (units ms, s, m, h, d, w), or a number of milliseconds. */
export type Duration = number | string;

/**
 * Milliseconds of a duration.
 * @throws InvalidArgumentError for anything else than a finite number ≥ 0 or a text like "3d" or "1h30m".
 */
export function toMilliseconds(duration: Duration, what = "a duration"): number {
  if (typeof duration === "number") {
    if (Number.isFinite(duration) && duration >= 0) return duration;
  } else if (typeof duration === "string") {
    const text = duration.trim();
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join("").replace(/\s/g, "") === text.replace(/\s/g, "")) {
      return Math.round(parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit!]!, 0));
    }
  }
  throw new InvalidArgumentError(
    `${what} must be a number of milliseconds (≥ 0) or a text such as "3d", "72h", "1h30m", "45s" or "250ms"; received ${JSON.stringify(duration)}.`,
  );
}
