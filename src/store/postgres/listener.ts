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
 *
 * @module
 */
import pg from "pg";
import { RuntimeStatus, type StoreEvent } from "../store.js";
import { quoteIdent } from "./sql.js";

const STATUSES = new Set<string>(Object.values(RuntimeStatus));
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5000;

export interface ListenerOptions {
  readonly connection: pg.ClientConfig;
  readonly channel: string;
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
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
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
