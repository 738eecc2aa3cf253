/**
 * Serves the fetch handler on a Node HTTP server, bound to 127.0.0.1 unless told otherwise.
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import { serve as serveNode } from "@hono/node-server";
import { InvalidArgumentError } from "../core/errors.js";
import { createHttpHandler, type FetchHandler, type HttpHandlerOptions } from "./handler.js";

export interface ServeOptions extends HttpHandlerOptions {
  /** The port (default 7071, as Azure Functions' local host); 0 picks a free one. */
  readonly port?: number | undefined;
  /** The address to bind (default 127.0.0.1: reachable from this machine only). */
  readonly hostname?: string | undefined;
}

/** A running server. */
export interface HttpServer {
  /** The server's base URL, e.g. `http://127.0.0.1:7071`. */
  readonly url: string;
  readonly port: number;
  readonly handler: FetchHandler;
  /** Stops accepting connections, ends idle ones, and resolves once the server is closed. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server for the management API and the app's HTTP functions.
 *
 * @example
 * const server = await serve({ app, client, port: 7071 });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 */
export async function serve(options: ServeOptions): Promise<HttpServer> {
  const port = options.port ?? 7071;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`Option 'port' must be an integer from 0 to 65535; received ${String(options.port)}.`);
  }
  const hostname = options.hostname ?? "127.0.0.1";
  const handler = createHttpHandler(options);
  const server = await new Promise<ReturnType<typeof serveNode>>((resolve, reject) => {
    // The adapter's own Request/Response classes stay out of the global scope, so that code
    // sharing this process sees the standard ones.
    const started = serveNode({ fetch: handler, port, hostname, overrideGlobalObjects: false }, () => resolve(started));
    started.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    handler,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      })),
  };
}
