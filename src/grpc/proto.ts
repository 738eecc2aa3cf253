/**
 * Loads the protocol's .proto files (proto/, beside this module) into a gRPC service definition.
 *
 * The files ship with the package: `npm run build` copies src/grpc/proto to dist/grpc/proto, and
 * the path is resolved relative to this module, so the same code finds them under src/ (tests,
 * tsx) and under dist/ (the published build).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type Options } from "@grpc/proto-loader";

/** Where the .proto files are, relative to this module. */
export const PROTO_DIR = fileURLToPath(new URL("./proto/", import.meta.url));

/**
 * How messages are turned into objects: field names as in the .proto, 64-bit integers as strings,
 * enums by name, and no default values, so an absent wrapper stays absent (see wire.ts).
 */
export const LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});

let cached: ServiceDefinition | undefined;

/** The `TaskHubSidecarService` definition (loaded once per process). */
export function sidecarService(): ServiceDefinition {
  if (cached === undefined) {
    const definition = loadSync("orchestrator_service.proto", { ...LOADER_OPTIONS });
    cached = definition.TaskHubSidecarService as unknown as ServiceDefinition;
  }
  return cached;
}
