/**
 * A raw gRPC client on our own .proto, for tests that speak the protocol at the wire level: unary
 * calls with an optional deadline, and GetWorkItems streams that collect what they receive.
 */
import { credentials, makeGenericClientConstructor, type Client as GrpcClient, type ClientReadableStream } from "@grpc/grpc-js";
import { sidecarService } from "../../src/grpc/proto.js";
import type { WireWorkItem } from "../../src/grpc/wire.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Raw = GrpcClient & Record<string, (...args: any[]) => any>;

/** Things to undo after a test, most recent last. */
export type Cleanups = Array<() => void | Promise<void>>;

export function rawClient(address: string, cleanups: Cleanups): Raw {
  const Ctor = makeGenericClientConstructor(sidecarService(), "TaskHubSidecarService");
  const client = new Ctor(address, credentials.createInsecure()) as unknown as Raw;
  cleanups.push(() => client.close());
  return client;
}

export function call<T>(client: Raw, method: string, request: object, deadlineMs?: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    client[method]!(request, options, (error: Error | null, response: T) => (error ? reject(error) : resolve(response)));
  });
}

/** A GetWorkItems stream that collects what it receives. */
export function openStream(
  client: Raw,
  cleanups: Cleanups,
  request: object = {},
): { items: WireWorkItem[]; stream: ClientReadableStream<WireWorkItem> } {
  const items: WireWorkItem[] = [];
  const stream = client.GetWorkItems!(request) as ClientReadableStream<WireWorkItem>;
  stream.on("data", (item: WireWorkItem) => items.push(item));
  stream.on("error", () => undefined);
  cleanups.push(() => stream.cancel());
  return { items, stream };
}
