/**
 * The connected remote workers: one GetWorkItems stream each, with the work-item filters and
 * concurrency limits the worker asked for, and a health ping every so often.
 *
 * Invariants kept here:
 * 1. A stream is offered only work its filters accept: no filters means everything; with filters,
 *    a kind whose list is empty accepts nothing, and a name whose versions are listed accepts only
 *    those versions (the Python SDK's reference backend does the same). An activity's version is
 *    its own, or else that of the orchestration that scheduled it (held-work.ts). Entity names
 *    match whatever their case, as entity names do everywhere.
 * 2. A stream never holds more undelivered-and-uncompleted items of a kind than its limit (a
 *    limit of 0 means the server default).
 * 3. A closed stream is never written to.
 *
 * @module
 */
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { WireGetWorkItemsRequest, WireWorkItem } from "./wire.js";

export type WorkKind = "orchestration" | "activity" | "entity";

/** Every kind, in the order held work is offered. */
export const WORK_KINDS: readonly WorkKind[] = ["orchestration", "activity", "entity"];

/** Work items of each kind a worker holds at once when it names no limit. */
export const DEFAULT_WORK_ITEM_LIMIT = 100;

type Filter = ReadonlyMap<string, ReadonlySet<string>> | undefined;

/** With `caseless` (entity names), a name matches whatever its case. */
function filterOf(list: ReadonlyArray<{ name?: string; versions?: string[] }> | undefined, caseless = false): Map<string, Set<string>> {
  const filter = new Map<string, Set<string>>();
  for (const entry of list ?? []) {
    const name = caseless ? (entry.name ?? "").toLowerCase() : (entry.name ?? "");
    const versions = filter.get(name) ?? new Set<string>();
    for (const version of entry.versions ?? []) versions.add(version);
    filter.set(name, versions);
  }
  return filter;
}

function matches(filter: Filter, name: string, version: string | undefined): boolean {
  if (filter === undefined) return true;
  const versions = filter.get(name);
  if (versions === undefined) return false;
  return versions.size === 0 || versions.has(version ?? "");
}

/** One connected worker. */
export class WorkerStream {
  readonly #call: ServerWritableStream<unknown, unknown>;
  readonly #filters: Readonly<Record<WorkKind, Filter>>;
  readonly #limits: Readonly<Record<WorkKind, number>>;
  readonly #inFlight: Record<WorkKind, number> = { orchestration: 0, activity: 0, entity: 0 };
  readonly #ping: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(
    readonly id: number,
    call: ServerWritableStream<unknown, unknown>,
    request: WireGetWorkItemsRequest,
    pingIntervalMs: number,
  ) {
    this.#call = call;
    const filters = request.workItemFilters;
    this.#filters = {
      orchestration: filters == null ? undefined : filterOf(filters.orchestrations),
      activity: filters == null ? undefined : filterOf(filters.activities),
      entity: filters == null ? undefined : filterOf(filters.entities, true),
    };
    const limit = (n: number | undefined): number => (n !== undefined && n > 0 ? n : DEFAULT_WORK_ITEM_LIMIT);
    this.#limits = {
      orchestration: limit(request.maxConcurrentOrchestrationWorkItems),
      activity: limit(request.maxConcurrentActivityWorkItems),
      entity: limit(request.maxConcurrentEntityWorkItems),
    };
    // A worker that hears nothing for a while (120 s for the Python SDK) takes the connection for dead.
    this.#ping = setInterval(() => this.write({ healthPing: {} }), pingIntervalMs);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** True when the worker asked for work of this kind, name and version (see invariant 1). */
  accepts(kind: WorkKind, name: string, version: string | undefined): boolean {
    return matches(this.#filters[kind], kind === "entity" ? name.toLowerCase() : name, version);
  }

  /** The versions this worker takes `name` in: "any", a list, or undefined when it does not take the name. */
  versionsOf(kind: WorkKind, name: string): "any" | readonly string[] | undefined {
    const filter = this.#filters[kind];
    if (filter === undefined) return "any";
    const versions = filter.get(kind === "entity" ? name.toLowerCase() : name);
    if (versions === undefined) return undefined;
    return versions.size === 0 ? "any" : [...versions];
  }

  hasRoom(kind: WorkKind): boolean {
    return !this.#closed && this.#inFlight[kind] < this.#limits[kind];
  }

  /** Takes one slot of `kind` for an item about to be delivered. */
  reserve(kind: WorkKind): void {
    this.#inFlight[kind]++;
  }

  /** Gives a slot back (the item was completed, abandoned, or could not be delivered). */
  release(kind: WorkKind): void {
    this.#inFlight[kind] = Math.max(0, this.#inFlight[kind] - 1);
  }

  /** Sends a work item; false when the stream is closed. */
  write(item: WireWorkItem): boolean {
    if (this.#closed) return false;
    try {
      this.#call.write(item);
      return true;
    } catch {
      this.close();
      return false;
    }
  }

  /** Stops pinging; with `end`, ends the call cleanly (the server is shutting down). */
  close(end = false): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ping);
    if (end) {
      try {
        this.#call.end();
      } catch {
        // The call is already gone.
      }
    }
  }
}

/** The connected workers, offered work in turn. */
export class WorkerStreams {
  readonly #streams = new Map<number, WorkerStream>();
  #nextId = 1;
  #turn = 0;

  get size(): number {
    return this.#streams.size;
  }

  add(call: ServerWritableStream<unknown, unknown>, request: WireGetWorkItemsRequest, pingIntervalMs: number): WorkerStream {
    const stream = new WorkerStream(this.#nextId++, call, request, pingIntervalMs);
    this.#streams.set(stream.id, stream);
    return stream;
  }

  remove(stream: WorkerStream): void {
    stream.close();
    this.#streams.delete(stream.id);
  }

  /**
   * The versions the connected workers take `name` in, when some take it by name but only in
   * listed versions and none takes it in any version; undefined otherwise.
   */
  versionsOnly(kind: WorkKind, name: string): string[] | undefined {
    const versions = new Set<string>();
    for (const stream of this.#streams.values()) {
      const listed = stream.versionsOf(kind, name);
      if (listed === "any") return undefined;
      for (const version of listed ?? []) versions.add(version);
    }
    return versions.size === 0 ? undefined : [...versions].sort();
  }

  /** The next stream, in turn, that accepts this item and has room for it. */
  pick(kind: WorkKind, name: string, version: string | undefined): WorkerStream | undefined {
    const streams = [...this.#streams.values()];
    for (let i = 0; i < streams.length; i++) {
      const stream = streams[(this.#turn + i) % streams.length]!;
      if (stream.hasRoom(kind) && stream.accepts(kind, name, version)) {
        this.#turn = (this.#turn + i + 1) % streams.length;
        return stream;
      }
    }
    return undefined;
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const stream of this.#streams.values()) stream.close(true);
    this.#streams.clear();
  }
}
