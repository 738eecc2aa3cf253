/**
 * The CLI's exit codes and the one error type that carries one: 0 ok, 1 the operation failed
 * (not found, wrong state, unreachable server), 2 the command was used wrongly.
 *
 * @module
 */

export const ExitCode = Object.freeze({ Ok: 0, Failed: 1, Usage: 2 } as const);
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A usage error (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError(ExitCode.Usage, message);
}

/**
 * The error for a management API answer that is not a success: a 400 is a usage error (the
 * command's arguments were refused), anything else an operation that failed.
 */
export async function responseError(response: Response): Promise<CliError> {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { message?: unknown };
    if (typeof body.message === "string") message = body.message;
  } catch {
    // The answer had no JSON body; its status line says enough.
  }
  if (response.status === 401) message += " Pass --api-key, or set PERDURE_API_KEY.";
  return new CliError(response.status === 400 ? ExitCode.Usage : ExitCode.Failed, message);
}
