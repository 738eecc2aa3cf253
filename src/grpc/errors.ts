/**
 * Errors of the gRPC layer, and the one table that maps every error code to a gRPC status code.
 *
 * Invariants kept here:
 * 1. A caller never receives a stack trace or the text of an error we did not make: an error
 *    without a code in the table answers INTERNAL with a fixed message, and is logged instead.
 * 2. The codes are the ones the Durable Task SDKs interpret: NOT_FOUND, ALREADY_EXISTS,
 *    FAILED_PRECONDITION, INVALID_ARGUMENT, UNIMPLEMENTED.
 *
 * @module
 */
import { status, type ServiceError } from "@grpc/grpc-js";
import { Metadata } from "@grpc/grpc-js";
import { ErrorCode, PerdureError } from "../core/errors.js";
import { RuntimeErrorCode } from "../runtime/errors.js";
import type { Logger } from "../runtime/logger.js";
import { StoreErrorCode } from "../store/errors.js";

export const GrpcErrorCode = Object.freeze({
  Protocol: "PROTOCOL",
  Unsupported: "UNSUPPORTED",
} as const);

/** A request or a worker's answer breaks the protocol (a malformed field, an unknown event kind). */
export class ProtocolError extends PerdureError {
  constructor(message: string) {
    super(GrpcErrorCode.Protocol, message);
    this.name = "ProtocolError";
  }
}

/** The call is part of the protocol but this server does not serve it. */
export class UnsupportedError extends PerdureError {
  constructor(message: string) {
    super(GrpcErrorCode.Unsupported, message);
    this.name = "UnsupportedError";
  }
}

/** Error code → gRPC status. Codes absent from the table answer INTERNAL. */
export const GRPC_STATUS_BY_CODE: Readonly<Record<string, status>> = Object.freeze({
  [ErrorCode.InvalidArgument]: status.INVALID_ARGUMENT,
  [ErrorCode.Serialization]: status.INVALID_ARGUMENT,
  [GrpcErrorCode.Protocol]: status.INVALID_ARGUMENT,
  [RuntimeErrorCode.PayloadTooLarge]: status.INVALID_ARGUMENT,
  [RuntimeErrorCode.UnknownOrchestration]: status.INVALID_ARGUMENT,
  [StoreErrorCode.InstanceNotFound]: status.NOT_FOUND,
  [StoreErrorCode.InstanceExists]: status.ALREADY_EXISTS,
  [StoreErrorCode.InvalidInstanceState]: status.FAILED_PRECONDITION,
  [StoreErrorCode.LeaseLost]: status.ABORTED,
  [StoreErrorCode.StoreClosed]: status.UNAVAILABLE,
  [GrpcErrorCode.Unsupported]: status.UNIMPLEMENTED,
});

export const INTERNAL_ERROR_MESSAGE = "The server could not process the request; see its log.";

/** The gRPC error to answer for an error thrown while handling a call. */
export function toServiceError(error: unknown, logger: Logger, method: string): Partial<ServiceError> {
  const code = error instanceof PerdureError ? GRPC_STATUS_BY_CODE[error.code] : undefined;
  if (code === undefined) {
    logger.error(`gRPC ${method} failed.`, error);
    return { code: status.INTERNAL, details: INTERNAL_ERROR_MESSAGE, metadata: new Metadata() };
  }
  return { code, details: (error as Error).message, metadata: new Metadata() };
}
