/**
 * The answer of `GET instances/{id}`, shared by the route and the wait-for-completion helpers.
 *
 * @module
 */
import type { Client } from "../runtime/client.js";
import { InstanceNotFoundError } from "../store/errors.js";
import { toStatusJson } from "./status-json.js";

export interface StatusQuery {
  readonly showHistory: boolean;
  readonly showHistoryOutput: boolean;
  readonly showInput: boolean;
  readonly returnInternalServerErrorOnFailure?: boolean | undefined;
}

/**
 * 202 with `Location` (the request's URL) and `Retry-After: 5` while the instance is Pending,
 * Running, Suspended or ContinuedAsNew; 200 once it has finished; 500 for a Failed instance when
 * `returnInternalServerErrorOnFailure` is set.
 * @throws InstanceNotFoundError.
 */
export async function statusResponse(client: Client, request: Request, instanceId: string, query: StatusQuery): Promise<Response> {
  const status = await client.getStatus(instanceId, { showHistory: query.showHistory, showInput: query.showInput });
  if (status === undefined) throw new InstanceNotFoundError(instanceId);
  const body = toStatusJson(status, query);
  switch (status.runtimeStatus) {
    case "Pending":
    case "Running":
    case "Suspended":
    case "ContinuedAsNew":
      return Response.json(body, { status: 202, headers: { Location: request.url, "Retry-After": "5" } });
    case "Failed":
      return Response.json(body, { status: query.returnInternalServerErrorOnFailure ? 500 : 200 });
    default:
      return Response.json(body, { status: 200 });
  }
}
