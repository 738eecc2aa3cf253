/**
 * Errors of the HTTP layer, and the one table that maps every error code to an HTTP status.
 *
 * Invariants kept here:
 * 1. A response never carries a stack trace or the text of an error we did not make: an error
 *    without a code in the table answers 500 with a fixed message, and is logged instead.
 * 2. Every error body has one shape: `{ "code": "...", "message": "..." }`.
 *
 * @module
 */
import { ErrorCode, PerdureError } from "../core/errors.js";
import { RuntimeErrorCode } from "../runtime/errors.js";
import { StoreErrorCode } from "../store/errors.js";
import type { Logger } from "../runtime/logger.js";

export const HttpErrorCode = Object.freeze({
  BadRequest: "BAD_REQUEST",
  Unauthorized: "UNAUTHORIZED",
  NotFound: "NOT_FOUND",
  PreconditionFailed: "PRECONDITION_FAILED",
  Internal: "INTERNAL",
} as const);

/** An error whose HTTP status the route decides (a bad query parameter, a missing key, …). */
export class HttpError extends PerdureError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
    this.name = "HttpError";
  }
}

/** The request lacks the API key, or carries a wrong one. */
export class UnauthorizedError extends HttpError {
  constructor() {
    super(401, HttpErrorCode.Unauthorized, "This route needs the API key, in the 'x-api-key' header or the 'code' query parameter.");
    this.name = "UnauthorizedError";
  }
}

/** A request parameter or body is malformed. The message names it and what was expected. */
export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, HttpErrorCode.BadRequest, message);
    this.name = "BadRequestError";
  }
}

/** Error code → HTTP status. Codes absent from the table answer 500. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = Object.freeze({
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.Serialization]: 400,
  [RuntimeErrorCode.UnknownOrchestration]: 400,
  [HttpErrorCode.BadRequest]: 400,
  [HttpErrorCode.Unauthorized]: 401,
  [StoreErrorCode.InstanceNotFound]: 404,
  [RuntimeErrorCode.UnknownEntity]: 404,
  [HttpErrorCode.NotFound]: 404,
  [StoreErrorCode.InstanceExists]: 409,
  [StoreErrorCode.InvalidInstanceState]: 410,
  [HttpErrorCode.PreconditionFailed]: 412,
  [RuntimeErrorCode.PayloadTooLarge]: 413,
  [StoreErrorCode.StoreClosed]: 503,
});

/** The message of every 500: what Durable Functions answers, and nothing about our internals. */
export const INTERNAL_ERROR_MESSAGE = "Something went wrong while processing your request";

/** A JSON error response. */
export function jsonError(status: number, code: string, message: string, headers?: Record<string, string>): Response {
  return Response.json({ code, message }, { status, headers });
}

/**
 * The response for an error thrown while handling a request. Errors of ours with a code in the
 * table answer their status and message; anything else answers 500 and is logged.
 */
export function errorResponse(error: unknown, logger: Logger): Response {
  if (error instanceof PerdureError) {
    const status = error instanceof HttpError ? error.status : HTTP_STATUS_BY_CODE[error.code];
    if (status !== undefined) return jsonError(status, error.code, error.message);
  }
  logger.error("An HTTP request failed", error);
  return jsonError(500, HttpErrorCode.Internal, INTERNAL_ERROR_MESSAGE);
}
