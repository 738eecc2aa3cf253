/**
 * ISO 8601 times, read strictly. `Date.parse` takes far more than ISO 8601 ("1" is 2001-01-01,
 * "2026-02-30" is March 2nd, a time without an offset is local time), and a filter read that way
 * can widen a purge to every instance; every edge reads times here instead.
 *
 * @module
 */

const ISO_TIME =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time (`2026-01-31`,
 * `2026-01-31T12:00:00Z`, `2026-01-31T12:00:00.250+01:00`), or undefined when `text` is not one or
 * names a day or time that does not exist. A date alone, or a time without an offset, is UTC.
 * Digits below the millisecond are dropped.
 */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO_TIME.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0").slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  // A day that does not exist (2026-02-30) would roll over into the next month: refused instead.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  let ms = date.getTime();
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMinutes = Number(m[11] ?? 0);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
    ms = m[9] === "+" ? ms - offset : ms + offset;
  }
  return Number.isNaN(new Date(ms).getTime()) ? undefined : ms;
}
