/**
 * `perdure dev`, `serve` and `worker`: run a user's app module on a store — a worker, the HTTP
 * server (management API and the app's HTTP functions), or both, and with `--grpc` the Durable
 * Task protocol for the official SDKs — until SIGINT or SIGTERM, then stop gracefully (a second
 * signal stops at once).
 *
 * @module
 */
import { serveGrpc, type GrpcServer } from "../grpc/index.js";
import { serve, type HttpServer } from "../http/serve.js";
import { createClient } from "../runtime/client.js";
import { consoleLogger, type LogLevel } from "../runtime/logger.js";
import { createWorker, type Worker } from "../runtime/worker.js";
import { MANAGEMENT_BASE_PATH, type App } from "../sdk/app.js";
import type { Store } from "../store/store.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import { loadApp } from "./load-app.js";
import { describeStore, openStore } from "./open-store.js";

export interface RunOptions {
  readonly store: string;
  /** The schema of a PostgreSQL store (default "perdure"). */
  readonly schema?: string | undefined;
  readonly port?: string | undefined;
  readonly hostname?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly logLevel?: string | undefined;
  /** Also serve the Durable Task protocol (gRPC) on this port. */
  readonly grpc?: string | undefined;
  /** Serve the web dashboard at `/` (default true; `--no-dashboard` sets it false). */
  readonly dashboard?: boolean | undefined;
}

export interface RunParts {
  readonly worker: boolean;
  readonly http: boolean;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

function parsePort(text: string | undefined, option = "--port"): number {
  const port = Number(text ?? "7071");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`${option} must be an integer from 0 to 65535; received '${text}'.`);
  return port;
}

/** The Durable Task protocol server: remote SDK workers run what the app does not register. */
async function listenGrpc(app: App, store: Store, options: RunOptions, logLevel: LogLevel): Promise<GrpcServer> {
  const port = parsePort(options.grpc, "--grpc");
  const host = options.hostname ?? "127.0.0.1";
  try {
    return await serveGrpc({ store, app, port, host, logger: consoleLogger(logLevel) });
  } catch (error) {
    throw new CliError(ExitCode.Failed, `Cannot serve gRPC on ${host}:${port}: ${(error as Error).message}.`);
  }
}

function parseLevel(text: string | undefined, fallback: LogLevel): LogLevel {
  if (text === undefined) return fallback;
  if (!LEVELS.includes(text as LogLevel)) throw usageError(`--log-level must be one of ${LEVELS.join(", ")}; received '${text}'.`);
  return text as LogLevel;
}

function describeApp(app: App, server: HttpServer | undefined, dashboard: boolean): string[] {
  const lines = [
    `  orchestrations: ${app.orchestrationNames.join(", ") || "none"}`,
    `  activities:     ${app.activityNames.join(", ") || "none"}`,
  ];
  if (server === undefined) return lines;
  if (dashboard) lines.push(`  dashboard:      ${server.url}/`);
  lines.push(`  management API: ${server.url}${MANAGEMENT_BASE_PATH}  (OpenAPI: ${server.url}${MANAGEMENT_BASE_PATH}/openapi.json)`);
  for (const fn of app.httpFunctions) lines.push(`  HTTP function:  ${fn.method} ${server.url}${fn.route}`);
  return lines;
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const force = (): void => process.exit(130);
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve(signal);
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
}

async function listen(app: App, store: Store, options: RunOptions, logLevel: LogLevel): Promise<HttpServer> {
  const port = parsePort(options.port);
  const hostname = options.hostname ?? "127.0.0.1";
  const dashboard = options.dashboard ?? true;
  try {
    return await serve({ app, client: createClient(store, { app }), port, hostname, apiKey: options.apiKey, logger: consoleLogger(logLevel), dashboard });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError(ExitCode.Failed, `Cannot listen on ${hostname}:${port}: ${code === "EADDRINUSE" ? "the port is in use" : (error as Error).message}.`);
  }
}

/** Runs the app module's parts until a signal; returns the exit code. */
export async function runApp(modulePath: string, options: RunOptions, parts: RunParts, title: string): Promise<number> {
  const app = await loadApp(modulePath);
  const logLevel = parseLevel(options.logLevel, parts.http && parts.worker ? "info" : "warn");
  parsePort(options.port);
  if (options.grpc !== undefined) parsePort(options.grpc, "--grpc");
  const store = await openStore(options.store, { mustExist: false, schema: options.schema });
  let worker: Worker | undefined;
  let server: HttpServer | undefined;
  let grpc: GrpcServer | undefined;
  try {
    // Before the worker: from its first step on, it must leave the names it does not register to remote workers.
    if (options.grpc !== undefined) grpc = await listenGrpc(app, store, options, logLevel);
    if (parts.worker) worker = createWorker(app, store, { logger: consoleLogger(logLevel) }).start();
    if (parts.http) server = await listen(app, store, options, logLevel);
    const what = [parts.worker ? `worker ${worker!.workerId}` : "", server ? `listening on ${server.url}` : ""].filter(Boolean).join(", ");
    const grpcLine = grpc === undefined ? [] : [`  gRPC (Durable Task protocol): ${options.hostname ?? "127.0.0.1"}:${grpc.port}`];
    console.log([`perdure ${title}: ${what}`, `  store:          ${describeStore(options.store)}`, ...describeApp(app, server, options.dashboard ?? true), ...grpcLine].join("\n"));
    const signal = await untilSignal();
    console.error(`perdure ${title}: ${signal}, stopping (again to stop at once)…`);
  } finally {
    await server?.close();
    await worker?.stop();
    // After the worker: until it stops, it must go on leaving remote workers' names alone.
    await grpc?.close();
    await store.close();
  }
  return ExitCode.Ok;
}
