/**
 * The Durable Task protocol over gRPC: the service the official Durable Task SDKs talk to, served
 * on any Perdure store.
 *
 * @module
 */
export { createGrpcServer, serveGrpc, GrpcServer } from "./server.js";
export type { GrpcServerOptions, ListenOptions } from "./server.js";
export { shareStoreWithRemoteWorkers } from "../runtime/orchestration-processor.js";
