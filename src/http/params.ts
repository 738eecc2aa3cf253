/**
 * Query parameters and bodies of the management API, read strictly: a malformed value is a 400
 * naming the parameter, never silently ignored (Durable Functions ignores them, which turns a
 * typo in `runtimeStatus` on `DELETE instances` into a purge of every status).
 *
 * @module
 */
import { RuntimeStatus } from "../store/store.js";
import { BadRequestError } from "./errors.js";

const STATUSES: readonly RuntimeStatus[] = Object.values(RuntimeStatus);

/** Reads the query of one request. */
export class Query {
  readonly #params: URLSearchParams;

  constructor(url: string) {
    this.#params = new URL(url).searchParams;
  }

  string(name: string): string | undefined {
    return this.#params.get(name) ?? undefined;
  }

  /** `true` or `false`, in any case; `fallback` when absent. */
  boolean(name: string, fallback: boolean): boolean {
    const raw = this.#params.get(name);
    if (raw === null || raw === "") return fallback;
    const lower = raw.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    throw new BadRequestError(`Query parameter '${name}' must be true or false; received '${raw}'.`);
  }

  /** An ISO 8601 time, returned as an ISO string in UTC. */
  date(name: string): string | undefined {
    const raw = this.#params.get(name);
    if (raw === null || raw === "") return undefined;
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) throw new BadRequestError(`Query parameter '${name}' must be an ISO 8601 time such as 2026-01-31T12:00:00Z; received '${raw}'.`);
    return new Date(ms).toISOString();
  }

  /** An integer in [min, max]. */
  integer(name: string, min: number, max: number): number | undefined {
    const raw = this.#params.get(name);
    if (raw === null || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new BadRequestError(`Query parameter '${name}' must be an integer from ${min} to ${max}; received '${raw}'.`);
    }
    return value;
  }

  /** A page order by creation time: "desc" (newest first) or "asc"; undefined when absent. */
  order(name: string): "desc" | "asc" | undefined {
    const raw = this.#params.get(name);
    if (raw === null || raw === "") return undefined;
    const lower = raw.toLowerCase();
    if (lower === "desc" || lower === "asc") return lower;
    throw new BadRequestError(`Query parameter '${name}' must be desc (newest first) or asc (oldest first); received '${raw}'.`);
  }

  /** A positive number of seconds (decimals allowed), returned in milliseconds. */
  seconds(name: string): number | undefined {
    const raw = this.#params.get(name);
    if (raw === null || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new BadRequestError(`Query parameter '${name}' must be a positive number of seconds; received '${raw}'.`);
    }
    return value * 1000;
  }

  /** Runtime statuses, as a comma-separated list (the parameter may also repeat); case-insensitive. */
  statuses(name: string): RuntimeStatus[] | undefined {
    const values = this.#params.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
    if (values.length === 0) return undefined;
    return values.map((value) => {
      const status = STATUSES.find((s) => s.toLowerCase() === value.toLowerCase());
      if (status === undefined) {
        throw new BadRequestError(`Query parameter '${name}' has an unknown runtime status '${value}'; expected some of ${STATUSES.join(", ")}.`);
      }
      return status;
    });
  }
}

/** Parses a JSON body; an empty body is `undefined` (no input). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`Invalid JSON content: ${(error as Error).message}.`);
  }
}

/** True when the request says its body is JSON (`application/json`, with or without parameters). */
export function isJsonContentType(request: Request): boolean {
  const type = request.headers.get("content-type");
  return type !== null && type.split(";")[0]!.trim().toLowerCase() === "application/json";
}
