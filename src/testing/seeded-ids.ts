/**
 * Ids from a seed: the same test makes the same instance and execution ids on every run (and so
 * the same `ctx.newGuid()` values, which derive from the instance id and the virtual time).
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { IdSource } from "../runtime/ids.js";

/** A small, fast 32-bit generator (mulberry32): plenty for ids, not for secrets. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** 32 lowercase hex characters from a generator, the shape of a random id. */
function hexId(next: () => number): string {
  let out = "";
  for (let i = 0; i < 4; i++) out += next().toString(16).padStart(8, "0");
  return out;
}

/**
 * Instance and execution ids from `seed`, each from its own sequence, so that a change in how
 * many executions a test makes does not change its instance ids.
 */
export function seededIds(seed: number): IdSource {
  if (!Number.isInteger(seed)) throw new InvalidArgumentError(`The seed must be an integer; received ${String(seed)}.`);
  const instances = generator(Math.imul(seed, 0x9e3779b1) ^ 0x1);
  const executions = generator(Math.imul(seed, 0x9e3779b1) ^ 0x2);
  return { instanceId: () => hexId(instances), executionId: () => hexId(executions) };
}
