/**
 * Entity ids: an entity is named by (name, key); its instance id is `@<name lower-cased>@<key>`.
 * Orchestration instance ids can never start with '@', so the prefix tells the two kinds apart.
 *
 * Invariants kept here:
 * 1. Names are case-insensitive: an id's name is always lower-cased, so `("Counter", "a")` and
 *    `("counter", "a")` are one entity.
 * 2. `parseEntityInstanceId(entityInstanceId(id))` gives `id` back; a name never holds '@', so
 *    the key is everything after the second '@'.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import { MAX_INSTANCE_ID_LENGTH, entityKeyProblem, nameProblem, quote } from "../ids.js";

/** An entity's identity: its registered name (lower-cased) and a key chosen by the caller. */
export interface EntityId {
  readonly name: string;
  readonly key: string;
}

/** True for an instance id of the entity kind (`@…`). */
export function isEntityInstanceId(instanceId: string): boolean {
  return instanceId.startsWith("@");
}

/**
 * Checks and normalises an entity id.
 * @throws InvalidArgumentError naming what is wrong with the name or key.
 */
export function toEntityId(name: unknown, key: unknown): EntityId {
  const nameIssue = typeof name === "string" && name.includes("@") ? "it contains '@'" : nameProblem(name);
  if (nameIssue !== undefined) {
    throw new InvalidArgumentError(`Invalid entity name ${quote(name)}: ${nameIssue}. Use a non-empty name without '@'.`);
  }
  const keyIssue = entityKeyProblem(key);
  if (keyIssue !== undefined) {
    throw new InvalidArgumentError(
      `Invalid entity key ${quote(key)}: ${keyIssue}. Use a non-empty key of well-formed Unicode without '/', '\\', '#', '?' or control characters.`,
    );
  }
  const id = { name: (name as string).toLowerCase(), key: key as string };
  const instanceId = entityInstanceId(id);
  if (instanceId.length > MAX_INSTANCE_ID_LENGTH) {
    throw new InvalidArgumentError(
      `The entity id '${instanceId}' has ${instanceId.length} characters; '@<name>@<key>' may have at most ${MAX_INSTANCE_ID_LENGTH}.`,
    );
  }
  return id;
}

/** Reads an entity id given by a caller (`{ name, key }`), checked and normalised. */
export function requireEntityId(id: unknown, what: string): EntityId {
  if (id === null || typeof id !== "object") {
    throw new InvalidArgumentError(
      `${what} needs an entity id made with entityId(entity, key); received ${id === null ? "null" : typeof id}.`,
    );
  }
  const { name, key } = id as { name?: unknown; key?: unknown };
  return toEntityId(name, key);
}

/** The instance id of an entity: `@<name>@<key>`. */
export function entityInstanceId(id: EntityId): string {
  return `@${id.name.toLowerCase()}@${id.key}`;
}

/** The entity id behind an entity instance id, or undefined for an id of another kind. */
export function parseEntityInstanceId(instanceId: string): EntityId | undefined {
  if (!instanceId.startsWith("@")) return undefined;
  const at = instanceId.indexOf("@", 1);
  if (at <= 1) return undefined;
  return { name: instanceId.slice(1, at), key: instanceId.slice(at + 1) };
}
