/**
 * Orchestration versions: how they are written, compared and keyed.
 *
 * A version is a label (`"2"`, `"2024-06"`, `"1.4.0"`); an orchestration registered without one
 * has none (`undefined`), which is older than every labelled version — instances started before
 * an orchestration was first versioned keep running on the unversioned code.
 *
 * Comparison follows the Durable Task SDKs: no version is the oldest; two versions made of dotted
 * numbers compare number by number (`"1.10"` > `"1.9"`, `"2"` = `"2.0"`); anything else compares
 * as text without case.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.js";
import { hasControlCharacter, isWellFormed, quote } from "./ids.js";

/** Longest version label accepted. */
export const MAX_VERSION_LENGTH = 100;

/** Why a version label is invalid, or undefined: 1–100 characters of well-formed Unicode, no control characters. */
export function versionProblem(version: unknown): string | undefined {
  if (typeof version !== "string") return `it must be a string, not ${version === null ? "null" : typeof version}`;
  if (version.length === 0) return "it is empty (leave the version out for an unversioned orchestration)";
  if (version.length > MAX_VERSION_LENGTH) return `it has ${version.length} characters; the limit is ${MAX_VERSION_LENGTH}`;
  if (!isWellFormed(version)) return "it is not well-formed Unicode";
  if (hasControlCharacter(version)) return "it contains a control character";
  return undefined;
}

/** Throws InvalidArgumentError when `version` is given and is not a valid label. */
export function validateVersion(version: unknown, what: string): asserts version is string | undefined {
  if (version === undefined) return;
  const problem = versionProblem(version);
  if (problem !== undefined) throw new InvalidArgumentError(`${what} ${quote(version)} is invalid: ${problem}.`);
}

const DOTTED_NUMBERS = /^\d+(\.\d+)*$/;

/** Negative when `a` is older than `b`, positive when newer, 0 when they are the same version. */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (DOTTED_NUMBERS.test(a) && DOTTED_NUMBERS.test(b)) {
    const x = a.split(".").map(Number);
    const y = b.split(".").map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    return 0;
  }
  const [p, q] = [a.toLowerCase(), b.toLowerCase()];
  return p < q ? -1 : p > q ? 1 : 0;
}

/** The newest of some versions (undefined for none, or when only the unversioned one is there). */
export function newestVersion(versions: Iterable<string | undefined>): string | undefined {
  let newest: string | undefined;
  for (const version of versions) if (compareVersions(version, newest) > 0) newest = version;
  return newest;
}

/** How a version is written in messages: `'2'`, or "no version". */
export function describeVersion(version: string | undefined): string {
  return version === undefined ? "no version" : `version '${version}'`;
}
