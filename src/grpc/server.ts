/**
 * The Durable Task protocol's gRPC service (`TaskHubSidecarService`) on a Perdure store, so that
 * the official Durable Task SDKs (JavaScript, Python, …) run their orchestrations and activities
 * on Perdure, beside (and visible to) Perdure's own.
 *
 * Invariants kept here:
 * 1. Every RPC either answers or ends with a gRPC status from the one table in errors.ts; the
 *    RPCs this server does not serve (forced termination; task hubs unless `taskHubManagement`)
 *    answer UNIMPLEMENTED with a message that says so.
 * 2. Long-lived calls (GetWorkItems, the waits) end when their caller goes away, and all of them
 *    end when the server closes; closing hands every held work item back to the store.
 * 3. With `app`, the names it registers (orchestrations, activities, entities) are left to the
 *    worker of ours that shares the store, and that worker leaves the other names to remote
 *    workers (see `shareStoreWithRemoteWorkers`).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { InvalidArgumentError } from "../core/errors.js";
import { createClient } from "../runtime/client.js";
import { consoleLogger, type Logger } from "../runtime/logger.js";
import { shareStoreWithRemoteWorkers } from "../runtime/orchestration-processor.js";
import type { App } from "../sdk/app.js";
import { isTerminal, type InstanceRecord, type Store } from "../store/store.js";
import { Dispatcher } from "./dispatcher.js";
import { EntityManagement } from "./entities.js";
import { UnsupportedError, toServiceError } from "./errors.js";
import { waitForInstance } from "./long-poll.js";
import { Management } from "./management.js";
import { sidecarService } from "./proto.js";
import { TaskHubs } from "./task-hubs.js";
import type { WireGetWorkItemsRequest } from "./wire.js";
import { WorkerStreams } from "./worker-streams.js";

export interface GrpcServerOptions {
  /** The store the instances live in; shared with Perdure's own client, worker and CLI. */
  readonly store: Store;
  /**
   * The app of a worker of ours that runs on the same store: remote workers are never given the
   * orchestrations, activities and entities it registers, and its workers leave the other names to them.
   */
  readonly app?: App | undefined;
  /** Lease length of the work items held for remote workers; renewed while held (default 30 s). */
  readonly leaseMs?: number | undefined;
  /** How often an idle work-item stream gets a health ping (default 30 s). */
  readonly healthPingIntervalMs?: number | undefined;
  /** The longest an idle lease loop waits before looking again (default 1 s). */
  readonly maxIdleMs?: number | undefined;
  /** Largest message accepted from a worker, in bytes (default 64 MiB: whole histories travel). */
  readonly maxMessageBytes?: number | undefined;
  /**
   * Serve CreateTaskHub and DeleteTaskHub, which delete every instance and entity in the store
   * (default false: they answer UNIMPLEMENTED). For test harnesses that reset the server between tests.
   */
  readonly taskHubManagement?: boolean | undefined;
  /** Transport security (default: plaintext HTTP/2, as the SDKs expect of a local sidecar). */
  readonly credentials?: ServerCredentials | undefined;
  readonly logger?: Logger | undefined;
}

export interface ListenOptions {
  /** The port; 0 picks a free one (default 4001, the SDKs' default address). */
  readonly port?: number | undefined;
  /** The interface to listen on (default 127.0.0.1). */
  readonly host?: string | undefined;
}

/** A Durable Task protocol server on a store. Create with `createGrpcServer` or `serveGrpc`. */
export class GrpcServer {
  readonly server: Server;
  readonly #store: Store;
  readonly #app: App | undefined;
  readonly #logger: Logger;
  readonly #credentials: ServerCredentials;
  readonly #pingMs: number;
  readonly #streams = new WorkerStreams();
  readonly #dispatcher: Dispatcher;
  readonly #management: Management;
  readonly #entities: EntityManagement;
  readonly #taskHubs: TaskHubs;
  readonly #waits = new Set<AbortController>();
  #port: number | undefined;
  #closing = false;
  #unshare: (() => void) | undefined;

  constructor(options: GrpcServerOptions) {
    this.#store = options.store;
    this.#app = options.app;
    this.#logger = options.logger ?? consoleLogger("warn");
    this.#credentials = options.credentials ?? ServerCredentials.createInsecure();
    this.#pingMs = positive("healthPingIntervalMs", options.healthPingIntervalMs ?? 30_000);
    this.#dispatcher = new Dispatcher({
      store: this.#store,
      streams: this.#streams,
      app: this.#app,
      workerId: `grpc-${randomUUID().slice(0, 8)}`,
      leaseMs: positive("leaseMs", options.leaseMs ?? 30_000),
      maxIdleMs: positive("maxIdleMs", options.maxIdleMs ?? 1000),
      logger: this.#logger,
      startOrchestration: (request) => this.#management.startInstance(request),
    });
    this.#management = new Management(this.#store, createClient(this.#store), this.#dispatcher, this.#app);
    this.#entities = new EntityManagement(this.#store);
    this.#taskHubs = new TaskHubs(this.#store, this.#dispatcher, options.taskHubManagement === true, this.#logger);
    const maxBytes = positive("maxMessageBytes", options.maxMessageBytes ?? 64 * 1024 * 1024);
    this.server = new Server({ "grpc.max_receive_message_length": maxBytes, "grpc.max_send_message_length": -1 });
    this.server.addService(sidecarService(), this.#handlers());
  }

  /** The port listened on, once listening. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Starts listening and dispatching work; resolves with the port. */
  async listen(options: ListenOptions = {}): Promise<number> {
    if (this.#port !== undefined || this.#closing) throw new InvalidArgumentError("A gRPC server listens once; create another one.");
    const host = options.host ?? "127.0.0.1";
    const address = `${host.includes(":") ? `[${host}]` : host}:${options.port ?? 4001}`;
    this.#port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, this.#credentials, (error, port) => (error ? reject(error) : resolve(port)));
    });
    if (this.#app !== undefined) this.#unshare = shareStoreWithRemoteWorkers(this.#app);
    this.#dispatcher.start();
    return this.#port;
  }

  /**
   * Ends every call, hands held work back to the store and stops listening. The store stays open.
   * With `app`, stop that app's workers first: once the server is closed they fail the names they
   * do not register again, as they do when no remote worker shares the store.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const wait of this.#waits) wait.abort();
    this.#streams.closeAll();
    await this.#dispatcher.stop();
    this.#unshare?.();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  #handlers(): UntypedServiceImplementation {
    const m = this.#management;
    const e = this.#entities;
    const d = this.#dispatcher;
    const ok = async (): Promise<object> => ({});
    const unsupported = (message: string) => async (): Promise<object> => {
      throw new UnsupportedError(message);
    };
    return {
      Hello: this.#unary("Hello", ok),
      StartInstance: this.#unary("StartInstance", (r) => m.startInstance(r)),
      GetInstance: this.#unary("GetInstance", (r) => m.getInstance(r)),
      WaitForInstanceStart: this.#wait("WaitForInstanceStart", (record) => record.status !== "Pending"),
      WaitForInstanceCompletion: this.#wait("WaitForInstanceCompletion", (record) => isTerminal(record.status)),
      RaiseEvent: this.#unary("RaiseEvent", (r) => m.raiseEvent(r)),
      TerminateInstance: this.#unary("TerminateInstance", (r) => m.terminate(r)),
      SuspendInstance: this.#unary("SuspendInstance", (r) => m.suspend(r)),
      ResumeInstance: this.#unary("ResumeInstance", (r) => m.resume(r)),
      RewindInstance: this.#unary("RewindInstance", (r) => m.rewind(r)),
      RestartInstance: this.#unary("RestartInstance", (r) => m.restart(r)),
      QueryInstances: this.#unary("QueryInstances", (r) => m.queryInstances(r)),
      ListInstanceIds: this.#unary("ListInstanceIds", (r) => m.listInstanceIds(r)),
      PurgeInstances: this.#unary("PurgeInstances", (r) => m.purgeInstances(r)),
      StreamInstanceHistory: (call: ServerWritableStream<Record<string, unknown>, unknown>) => this.#history(call),
      GetWorkItems: (call: ServerWritableStream<WireGetWorkItemsRequest, unknown>) => this.#workItems(call),
      CompleteOrchestratorTask: this.#unary("CompleteOrchestratorTask", async (r) => (await d.completeOrchestration(r), {})),
      CompleteActivityTask: this.#unary("CompleteActivityTask", async (r) => (await d.completeActivity(r), {})),
      AbandonTaskOrchestratorWorkItem: this.#unary("AbandonTaskOrchestratorWorkItem", async (r) => (d.abandon(r.completionToken as string, "orchestration"), {})),
      AbandonTaskActivityWorkItem: this.#unary("AbandonTaskActivityWorkItem", async (r) => (d.abandon(r.completionToken as string, "activity"), {})),
      SignalEntity: this.#unary("SignalEntity", (r) => e.signal(r)),
      GetEntity: this.#unary("GetEntity", (r) => e.get(r)),
      QueryEntities: this.#unary("QueryEntities", (r) => e.query(r)),
      CleanEntityStorage: this.#unary("CleanEntityStorage", (r) => e.clean(r)),
      CompleteEntityTask: this.#unary("CompleteEntityTask", async (r) => (await d.completeEntity(r), {})),
      AbandonTaskEntityWorkItem: this.#unary("AbandonTaskEntityWorkItem", async (r) => (d.abandon(r.completionToken as string, "entity"), {})),
      CreateTaskHub: this.#unary("CreateTaskHub", (r) => this.#taskHubs.create(r)),
      DeleteTaskHub: this.#unary("DeleteTaskHub", () => this.#taskHubs.delete()),
      SkipGracefulOrchestrationTerminations: this.#unary(
        "SkipGracefulOrchestrationTerminations",
        unsupported("Forced termination is not served; use TerminateInstance."),
      ),
    };
  }

  #unary(method: string, handle: (request: Record<string, any>) => Promise<object>) { // eslint-disable-line @typescript-eslint/no-explicit-any
    return (call: ServerUnaryCall<Record<string, unknown>, object>, callback: sendUnaryData<object>): void => {
      handle(call.request ?? {}).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error, this.#logger, method)),
      );
    };
  }

  #wait(method: string, done: (record: InstanceRecord) => boolean) {
    return (call: ServerUnaryCall<Record<string, unknown>, object>, callback: sendUnaryData<object>): void => {
      const controller = new AbortController();
      this.#waits.add(controller);
      call.on("cancelled", () => controller.abort());
      const request = call.request ?? {};
      void waitForInstance(this.#store, String(request.instanceId ?? ""), done, controller.signal)
        .then(async (record) => {
          if (record === "cancelled") {
            // Gone callers need no answer; callers of a closing server get one they can retry on.
            if (this.#closing) callback({ code: status.UNAVAILABLE, details: "The server is shutting down." });
            return;
          }
          callback(null, record === undefined ? { exists: false } : await this.#management.stateOf(record, request.getInputsAndOutputs === true));
        })
        .catch((error: unknown) => callback(toServiceError(error, this.#logger, method)))
        .finally(() => this.#waits.delete(controller));
    };
  }

  #history(call: ServerWritableStream<Record<string, unknown>, unknown>): void {
    void (async () => {
      for await (const chunk of this.#management.history(call.request ?? {})) {
        if (call.cancelled) return;
        call.write(chunk);
      }
      call.end();
    })().catch((error: unknown) => call.emit("error", toServiceError(error, this.#logger, "StreamInstanceHistory")));
  }

  #workItems(call: ServerWritableStream<WireGetWorkItemsRequest, unknown>): void {
    if (this.#closing) {
      call.emit("error", { code: status.UNAVAILABLE, details: "The server is shutting down." });
      return;
    }
    const stream = this.#streams.add(call, call.request ?? {}, this.#pingMs);
    let gone = false;
    const leave = (): void => {
      if (gone) return;
      gone = true;
      this.#streams.remove(stream);
      this.#dispatcher.streamClosed(stream);
    };
    call.on("cancelled", leave);
    call.on("close", leave);
    call.on("error", leave);
    this.#dispatcher.offer();
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`gRPC server option '${name}' must be a positive number; received ${String(value)}.`);
  }
  return value;
}

/**
 * Creates a Durable Task protocol server on a store; call `listen()` to serve.
 *
 * @example
 * const server = createGrpcServer({ store: sqlite("perdure.db") });
 * const port = await server.listen({ port: 4001 });
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  return new GrpcServer(options);
}

/**
 * Serves the Durable Task protocol on a store, so that the official Durable Task SDKs' clients
 * and workers use it (`new TaskHubGrpcWorker({ hostAddress: "localhost:4001" })`).
 *
 * @example
 * const server = await serveGrpc({ store: sqlite("perdure.db"), port: 4001 });
 * // …
 * await server.close();
 */
export async function serveGrpc(options: GrpcServerOptions & ListenOptions): Promise<GrpcServer & { readonly port: number }> {
  const server = createGrpcServer(options);
  await server.listen(options);
  return server as GrpcServer & { readonly port: number };
}
