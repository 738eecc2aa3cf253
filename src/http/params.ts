/**
 * Query parameters and bodies of the management API, read strictly: a malformed value is a 400
 * naming the parameter, never silently ignored (Durable Functions ignores them, which turns a
 * typo in `runtimeStatus` on `DELETE instances` into a purge of every status).
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import { checkPageSize, parseStatusList, parseTime } from "../runtime/arguments.js";
import type { RuntimeStatus } from "../store/store.js";
import { BadRequestError } from "./errors.js";

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

  /** An ISO 8601 date or time (nothing else: not "1"), returned as an ISO string in UTC. */
  date(name: string): string | undefined {
    const raw = this.#params.get(name);
    if (raw === null || raw === "") return undefined;
    return asBadRequest(() => parseTime(raw, `Query parameter '${name}'`));
  }

  /** A page size (1–1000, as every list takes it). */
  pageSize(name: string): number | undefined {
    const raw = this.#params.get(name);
    if (raw === null || raw === "") return undefined;
    // Only digits: Number("1e2") or Number(" 5") would pass for an integer.
    const value = /^\d+$/.test(raw) ? Number(raw) : raw;
    return asBadRequest(() => checkPageSize(value, `Query parameter '${name}'`));
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

  /**
   * Runtime statuses, as a comma-separated list (the parameter may also repeat); case-insensitive.
   * With `finishedOnly`, only statuses of finished instances (what a purge deletes).
   */
  statuses(name: string, options: { finishedOnly?: boolean } = {}): RuntimeStatus[] | undefined {
    const values = this.#params.getAll(name);
    if (values.length === 0 || values.every((v) => v.trim() === "")) return undefined;
    return asBadRequest(() => parseStatusList(values.join(","), `Query parameter '${name}'`, options));
  }
}

/** Runs a shared argument check on a request parameter: its refusal is this request's 400. */
function asBadRequest<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new BadRequestError(error.message);
    throw error;
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

/**
 * Refuses a URL whose path or query holds a malformed percent-encoding (`%E0%A4%A`, `%zz`): the
 * router would keep such text as it is, and an instance id of `%E0%A4%A` would be taken literally.
 */
export function checkPercentEncoding(url: string): void {
  const { pathname, search } = new URL(url);
  const parts = [...pathname.split("/"), ...search.slice(1).split("&").flatMap((pair) => pair.split("="))];
  for (const part of parts) {
    if (!part.includes("%")) continue;
    try {
      decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      throw new BadRequestError(`The request URL holds a malformed percent-encoding in '${part}'; encode it as UTF-8, each byte as %XX.`);
    }
  }
}
