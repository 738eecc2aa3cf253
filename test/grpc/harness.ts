/**
 * A Durable Task protocol server on a fresh store (SQLite by default, or a schema of its own on
 * PostgreSQL), with the official JavaScript SDK's client and worker connected to it on an
 * ephemeral loopback port, and Perdure's own client on the same store; `close()` stops and
 * removes everything.
 */
import { NoOpLogger, TaskHubGrpcClient, TaskHubGrpcWorker } from "@microsoft/durabletask-js";
import { createClient, type App, type Client, type Store } from "../../src/index.js";
import { serveGrpc, type GrpcServer, type GrpcServerOptions } from "../../src/grpc/index.js";
import { openTestStore, type StoreKind } from "../helpers/stores.js";

export interface Harness {
  readonly store: Store;
  readonly server: GrpcServer;
  readonly address: string;
  /** The JavaScript SDK's client. */
  readonly client: TaskHubGrpcClient;
  /** The JavaScript SDK's worker, started, with what `register` added. */
  readonly worker: TaskHubGrpcWorker;
  /** Perdure's own client, on the same store. */
  readonly ours: Client;
  close(): Promise<void>;
}

export const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface HarnessOptions {
  readonly app?: App | undefined;
  readonly leaseMs?: number | undefined;
  /** Set to false to leave the worker unstarted. */
  readonly startWorker?: boolean | undefined;
  /** The store to run on (default SQLite). */
  readonly store?: StoreKind | undefined;
  /** More options of the server. */
  readonly server?: Partial<GrpcServerOptions> | undefined;
}

export async function startHarness(register: (worker: TaskHubGrpcWorker) => void, options: HarnessOptions = {}): Promise<Harness> {
  const opened = await openTestStore(options.store ?? "sqlite");
  const store = opened.store;
  const server = await serveGrpc({ store, port: 0, app: options.app, leaseMs: options.leaseMs, logger: silent, ...options.server });
  const address = `localhost:${server.port}`;
  const worker = new TaskHubGrpcWorker({ hostAddress: address, logger: new NoOpLogger(), shutdownTimeoutMs: 2000 });
  register(worker);
  if (options.startWorker !== false) await worker.start();
  const client = new TaskHubGrpcClient({ hostAddress: address, logger: new NoOpLogger() });
  return {
    store,
    server,
    address,
    client,
    worker,
    ours: createClient(store),
    async close() {
      await Promise.all([
        options.startWorker === false ? undefined : worker.stop().catch(() => undefined),
        client.stop().catch(() => undefined),
      ]);
      await server.close();
      await opened.close();
    },
  };
}

/** Polls `condition` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(100, delay * 2);
  }
}
