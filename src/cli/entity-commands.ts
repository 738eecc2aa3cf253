/**
 * The entity commands: get, signal and list, each one management API call on a target, like
 * the instance commands. With `json`, stdout gets the API's JSON; otherwise a readable text.
 *
 * @module
 */
import { CliError, ExitCode, responseError } from "./errors.js";
import { parseJsonOption, parseTopOption, type Output } from "./instance-commands.js";
import type { Target } from "./target.js";

interface EntityJson {
  readonly entityId: { readonly name: string; readonly key: string };
  readonly lastOperationTime: string;
  readonly state?: unknown;
}

const enc = encodeURIComponent;
const path = (name: string, key: string): string => `/entities/${enc(name)}/${enc(key)}`;

async function ok(response: Response, expected: number): Promise<Response> {
  if (response.status === expected) return response;
  throw await responseError(response);
}

export async function entityGetCommand(target: Target, o: Output, name: string, key: string): Promise<void> {
  const response = await target.request("GET", path(name, key));
  if (response.status === 404) throw new CliError(ExitCode.Failed, `Entity '${name}' with key '${key}' does not exist.`);
  const state: unknown = await (await ok(response, 200)).json();
  o.out(o.json ? JSON.stringify(state) : JSON.stringify(state, null, 2));
}

export async function entitySignalCommand(target: Target, o: Output, name: string, key: string, op: string, opts: { input?: string }): Promise<void> {
  const input = parseJsonOption("--input", opts.input);
  await ok(await target.request("POST", path(name, key), { query: { op }, body: input }), 202);
  o.out(o.json ? JSON.stringify({ entityId: { name, key }, operation: op, accepted: true }) : `Signalled '${op}' to entity '${name}' with key '${key}'.`);
}

export async function entityListCommand(target: Target, o: Output, opts: { name?: string; top?: string }): Promise<void> {
  const top = opts.top ?? "100";
  parseTopOption(top);
  const response = await ok(await target.request("GET", opts.name === undefined ? "/entities" : `/entities/${enc(opts.name)}`, { query: { top, fetchState: "true" } }), 200);
  const entities = (await response.json()) as EntityJson[];
  if (o.json) o.out(JSON.stringify(entities));
  else if (entities.length === 0) o.out("No entities.");
  else {
    for (const e of entities) {
      const state = JSON.stringify(e.state) ?? "";
      o.out(`${e.entityId.name}  ${e.entityId.key}  ${e.lastOperationTime}  ${state.length > 60 ? `${state.slice(0, 59)}…` : state}`);
    }
  }
  if (response.headers.get("x-ms-continuation-token")) o.err(`More entities exist than the ${top} shown; raise --top or pass --name.`);
}
