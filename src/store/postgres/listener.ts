/**
 * The dedicated LISTEN connection of a PostgreSQL store: turns notifications from other stores
 * (other processes, or other store objects in this one) into StoreEvents, and reconnects with
 * backoff when the connection drops (a server restart, an administrator ending the backend).
 *
 * Invariants kept here:
 * 1. Notifications are hints: losing one delays work until the next poll, it never loses work
 *    (the database is the only truth). So after every reconnect, listeners get `{ kind: "work" }`
 *    once, for whatever was announced while nobody listened.
 * 2. A store's own notifications are ignored here: it announces its commits in-process already.
 * 3. After `close()`, no reconnect is attempted and no event is delivered.
 * 4. While connected, the store is registered in the schema's `listeners` table under its LISTEN
 *    connection's server process, so that other stores notify it (functions.ts, convention 5).
 *    The row is written after LISTEN, so nothing sent after it is seen is missed; rows of server
 *    processes that are gone (a crashed store) are deleted by the next store that connects or
 *    checks, every CLEANUP_INTERVAL_MS.
 *
 * @module
 */
import pg from "pg";
import { RuntimeStatus, type StoreEvent } from "../store.js";
import { quoteIdent } from "./sql.js";

const STATUSES = new Set<string>(Object.values(RuntimeStatus));
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5000;
/** How often rows of stores whose connection is gone are deleted from `listeners`. */
const CLEANUP_INTERVAL_MS = 30_000;

export interface ListenerOptions {
  readonly connection: pg.ClientConfig;
  readonly channel: string;
  /** The quoted schema name, for the `listeners` table. */
  readonly schema: string;
  /** This store's id: notifications that carry it are its own. */
  readonly origin: string;
  readonly deliver: (event: StoreEvent) => void;
  /** Told about connection failures (they are retried). */
  readonly warn: (message: string, error: unknown) => void;
}

export class Listener {
  private client: pg.Client | undefined;
  private closed = false;
  private backoffMs = MIN_BACKOFF_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private cleanupTimer: ReturnType<typeof setInterval> | undefined;
  /** Times connected so far (1 after the first connect); for tests. */
  connects = 0;

  constructor(private readonly options: ListenerOptions) {}

  /** Connects the first time; rejects when the server cannot be reached then. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** True while a LISTEN connection is up. */
  get isListening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.cleanupTimer !== undefined) clearInterval(this.cleanupTimer);
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    // Other stores stop notifying this one at once (the row would go at their next cleanup anyway).
    await client.query(`DELETE FROM ${this.options.schema}.listeners WHERE pid = pg_backend_pid()`).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.options.connection);
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("The LISTEN connection ended.")));
    client.on("notification", (message) => {
      if (message.channel === this.options.channel && message.payload !== undefined) this.onPayload(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.options.channel)}`);
      await this.register(client);
    } catch (error) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = MIN_BACKOFF_MS;
    this.connects += 1;
    // Anything announced while this store was not listening may be waiting.
    if (this.connects > 1) this.options.deliver({ kind: "work" });
  }

  /** Writes this connection's row in `listeners` (invariant 4), after deleting those of connections that are gone. */
  private async register(client: pg.Client): Promise<void> {
    await this.cleanUp(client);
    await client.query(
      `INSERT INTO ${this.options.schema}.listeners (pid, backend_start, origin)
       SELECT pid, backend_start, $1 FROM pg_stat_activity WHERE pid = pg_backend_pid()
       ON CONFLICT (pid, backend_start) DO UPDATE SET origin = EXCLUDED.origin`,
      [this.options.origin],
    );
    if (this.cleanupTimer === undefined) {
      this.cleanupTimer = setInterval(() => {
        if (this.client !== undefined) void this.cleanUp(this.client).catch(() => undefined);
      }, CLEANUP_INTERVAL_MS);
      this.cleanupTimer.unref?.();
    }
  }

  private async cleanUp(client: pg.Client): Promise<void> {
    await client.query(
      `DELETE FROM ${this.options.schema}.listeners l WHERE NOT EXISTS (
         SELECT 1 FROM pg_stat_activity a
         -- Without the right to see another role's sessions, their start time reads NULL.
         WHERE a.pid = l.pid AND (a.backend_start IS NULL OR a.backend_start = l.backend_start))`,
    );
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners("end");
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.options.warn("The LISTEN connection was lost; reconnecting.", error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.connect().catch((error: unknown) => {
        this.options.warn("Could not reconnect the LISTEN connection; retrying.", error);
        this.scheduleReconnect();
      });
    }, delay);
    this.retryTimer.unref?.();
  }

  private onPayload(payload: string): void {
    if (this.closed) return;
    let parsed: { o?: unknown; w?: unknown; i?: unknown; s?: unknown };
    try {
      parsed = JSON.parse(payload) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.o === this.options.origin) return;
    if (parsed.w !== undefined) this.options.deliver({ kind: "work" });
    else if (typeof parsed.i === "string" && typeof parsed.s === "string" && STATUSES.has(parsed.s)) {
      this.options.deliver({ kind: "instance", instanceId: parsed.i, status: parsed.s as RuntimeStatus });
    }
  }
}
