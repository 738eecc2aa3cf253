/**
 * The `perdure` command line: its commands, options and help, and the mapping of every outcome
 * to an exit code (0 ok, 1 failed, 2 usage) with one clear line on stderr.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ErrorCode, PerdureError } from "../core/errors.js";
import { entityKeyProblem, isWellFormed, nameProblem } from "../core/ids.js";
import { entityGetCommand, entityListCommand, entitySignalCommand } from "./entity-commands.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import {
  historyCommand,
  listCommand,
  operationCommand,
  purgeCommand,
  raiseCommand,
  startCommand,
  statusCommand,
  type Operation,
  type Output,
} from "./instance-commands.js";
import { DEFAULT_STORE } from "./open-store.js";
import { runApp, type RunOptions } from "./run-commands.js";
import { checkCommand, type CheckOptions } from "./check-command.js";
import { openTarget, type Target } from "./target.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(text),
};

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

const EXAMPLES = `
Examples:
  $ perdure dev ./app.ts                     worker + HTTP API + dashboard on ./perdure.db, port 7071
  $ perdure start Pipeline --input '{"day":"2026-11-28"}' --id run-1
  $ perdure status run-1
  $ perdure list --status Running,Failed --top 20
  $ perdure history run-1
  $ perdure raise run-1 Approval --data '{"approved":true}'
  $ perdure terminate run-1 --reason "no longer needed"
  $ perdure purge --created-before 2026-01-01 --status Completed
  $ perdure list --url http://127.0.0.1:7071 --json
  $ perdure entity signal Counter daily add --input 1
  $ perdure entity get Counter daily
  $ perdure entity list --name Counter
  $ perdure check ./app.ts --store postgres://db/prod   before a deploy: exit 1 if running instances would fail

Instance and entity commands read the store directly (--store, default ./${DEFAULT_STORE}, or PERDURE_STORE)
or talk to a running server's management API (--url, or PERDURE_URL; its key with --api-key or
PERDURE_API_KEY). Exit codes: 0 ok, 1 the operation failed (not found, wrong state, unreachable),
2 the command was used wrongly.`;

type Action = (target: Target, output: Output, args: string[], opts: Record<string, string | undefined>) => Promise<void>;

/**
 * The check of each kind of positional argument, by its name in the command's spec: what is wrong
 * with a value, or undefined. An empty id or name is misuse, never "all" or "a random one".
 */
const ARGUMENT_CHECKS: Readonly<Record<string, (value: string) => string | undefined>> = {
  "instance-id": (id) => (id.length === 0 ? "it is empty" : isWellFormed(id) ? undefined : "it is not well-formed Unicode"),
  name: nameProblem,
  event: nameProblem,
  operation: nameProblem,
  key: entityKeyProblem,
};

function checkArguments(command: Command, args: readonly string[]): void {
  command.registeredArguments.forEach((argument, i) => {
    const value = args[i];
    const problem = value === undefined ? undefined : ARGUMENT_CHECKS[argument.name()]?.(value);
    if (problem !== undefined) throw usageError(`Invalid <${argument.name()}> ${JSON.stringify(value)}: ${problem}.`);
  });
}

/** Adds the options every instance command takes, and runs its action on the target they name. */
function instanceCommand(program: Command, io: Io, spec: string, description: string, action: Action): Command {
  return program
    .command(spec)
    .description(description)
    .option("--store <path|url>", `a SQLite file or postgres:// URL to read directly (default ./${DEFAULT_STORE})`)
    .option("--schema <name>", "the schema of a postgres:// store (default perdure)")
    .option("--url <url>", "a running server's base URL, e.g. http://127.0.0.1:7071")
    .option("--api-key <key>", "the server's API key (default: PERDURE_API_KEY)")
    .option("--json", "print JSON, for machines")
    .action(async (...all: unknown[]) => {
      const command = all.at(-1) as Command;
      const opts = command.opts<Record<string, string | undefined> & { json?: boolean }>();
      const args = command.args.slice(0, command.registeredArguments.length);
      checkArguments(command, args);
      const target = await openTarget({ store: opts.store, schema: opts.schema, url: opts.url, apiKey: opts.apiKey });
      try {
        await action(target, { json: opts.json === true, out: io.out, err: io.err }, args, opts);
      } finally {
        await target.close();
      }
    });
}

function runCommand(program: Command, name: string, description: string, parts: { worker: boolean; http: boolean }): void {
  const command = program
    .command(`${name} <app-module>`)
    .description(description)
    .option("--store <path|url>", "a SQLite file (created if absent) or postgres:// URL", DEFAULT_STORE)
    .option("--schema <name>", "the schema of a postgres:// store (default perdure)")
    .addOption(new Option("--log-level <level>", "debug, info, warn, error or silent").choices(["debug", "info", "warn", "error", "silent"]));
  if (parts.http) {
    command
      .option("--port <port>", "the HTTP port (0 picks a free one)", "7071")
      .option("--hostname <address>", "the address to bind; 0.0.0.0 exposes the server to the network", "127.0.0.1")
      .option("--api-key <key>", "require this key on the management API (default: PERDURE_API_KEY)")
      .option("--grpc <port>", "also serve the Durable Task protocol (gRPC) on this port, for the official Durable Task SDKs")
      .option("--no-dashboard", "do not serve the web dashboard at /");
  }
  command.action(async (modulePath: string, opts: RunOptions) => {
    process.exitCode = await runApp(modulePath, { ...opts, apiKey: opts.apiKey ?? process.env.PERDURE_API_KEY }, parts, name);
  });
}

function checkCommandOf(program: Command, io: Io): void {
  program
    .command("check <app-module>")
    .description("replay the store's running instances against an app module's code; exit 1 if any would fail on it")
    .option("--store <path|url>", "a SQLite file or postgres:// URL, read only", DEFAULT_STORE)
    .option("--schema <name>", "the schema of a postgres:// store (default perdure)")
    .option("--finished <n>", "also check the last n finished instances")
    .option("--strict-inputs", "fail on recorded calls made with another input too")
    .option("--skip-unregistered", "leave out instances of orchestrations the module does not register (other apps, SDK workers)")
    .option("--json", "print the report as JSON, for pipelines")
    .action(async (modulePath: string, opts: CheckOptions) => {
      try {
        process.exitCode = await checkCommand(modulePath, opts, io);
      } catch (error) {
        // Exit code 1 means "would fail": a check that could not run says so with 2.
        if (error instanceof CliError) throw new CliError(ExitCode.Usage, error.message);
        throw new CliError(ExitCode.Usage, `The check could not run: ${(error as Error).message}`);
      }
    });
}

/** Builds the program; output goes to `io`. */
export function buildProgram(io: Io = processIo): Command {
  const program = new Command("perdure")
    .description("Run Perdure apps and manage their orchestration instances.")
    .version(version(), "-v, --version")
    // Options after a command are that command's: `start Order --version 2` is not the program's --version.
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s) })
    .exitOverride()
    .addHelpText("after", EXAMPLES);

  runCommand(program, "dev", "run a worker and the HTTP server for an app module, on the embedded store", { worker: true, http: true });
  runCommand(program, "serve", "serve the HTTP API and the app's HTTP functions (no worker), for production", { worker: false, http: true });
  runCommand(program, "worker", "run a worker for an app module's orchestrations and activities, for production", { worker: true, http: false });
  checkCommandOf(program, io);

  instanceCommand(program, io, "start <name>", "start an orchestration; prints its instance id", (t, o, [name], opts) =>
    startCommand(t, o, name!, { input: opts.input, id: opts.id, version: opts.version }),
  )
    .option("--input <json>", "the input, as JSON")
    .option("--id <instance-id>", "the instance id (default: a random one)")
    .option("--version <version>", "the orchestration version to run (default: the newest the app registers)");
  instanceCommand(program, io, "status <instance-id>", "show an instance's status", (t, o, [id]) => statusCommand(t, o, id!));
  instanceCommand(program, io, "list", "list instances, newest first", (t, o, _args, opts) =>
    listCommand(t, o, {
      status: opts.status,
      createdFrom: opts.createdFrom,
      createdTo: opts.createdTo,
      prefix: opts.prefix,
      version: opts.version,
      top: opts.top,
    }),
  )
    .option("--status <statuses>", "comma-separated runtime statuses, e.g. Running,Failed")
    .option("--created-from <date>", "created at or after this date/time (ISO 8601)")
    .option("--created-to <date>", "created at or before this date/time (ISO 8601)")
    .option("--prefix <text>", "instance ids starting with this")
    .option("--version <version>", "instances of this orchestration version ('' for those without one)")
    .option("--top <n>", "at most this many (1-1000)", "100");
  instanceCommand(program, io, "history <instance-id>", "show an instance's history as a timeline", (t, o, [id]) => historyCommand(t, o, id!));
  instanceCommand(program, io, "raise <instance-id> <event>", "raise an external event to an instance", (t, o, [id, event], opts) =>
    raiseCommand(t, o, id!, event!, { data: opts.data }),
  ).option("--data <json>", "the event's data, as JSON (default null)");
  const operations: Array<[Operation, string]> = [
    ["terminate", "terminate a running instance"],
    ["suspend", "suspend a running instance"],
    ["resume", "resume a suspended instance"],
    ["rewind", "rewind a failed instance: what failed runs again"],
  ];
  for (const [op, description] of operations) {
    instanceCommand(program, io, `${op} <instance-id>`, description, (t, o, [id], opts) => operationCommand(t, o, op, id!, { reason: opts.reason })).option(
      "--reason <text>",
      "why, recorded in the history",
    );
  }
  instanceCommand(program, io, "purge [instance-id]", "delete a finished instance, or every finished instance created before a date", (t, o, [id], opts) =>
    purgeCommand(t, o, id, { createdBefore: opts.createdBefore, createdAfter: opts.createdAfter, status: opts.status }),
  )
    .option("--created-before <date>", "purge finished instances created before this date/time")
    .option("--created-after <date>", "with --created-before: and after this one")
    .option("--status <statuses>", "with --created-before: only these statuses (finished ones)");

  const entity = program.command("entity").description("read, signal and list durable entities");
  entity.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s) }).exitOverride();
  instanceCommand(entity, io, "get <name> <key>", "print an entity's state as JSON (exit 1 when it has none)", (t, o, [name, key]) =>
    entityGetCommand(t, o, name!, key!),
  );
  instanceCommand(entity, io, "signal <name> <key> <operation>", "send a one-way operation to an entity", (t, o, [name, key, op], opts) =>
    entitySignalCommand(t, o, name!, key!, op!, { input: opts.input }),
  ).option("--input <json>", "the operation's input, as JSON");
  instanceCommand(entity, io, "list", "list entities that have state", (t, o, _args, opts) => entityListCommand(t, o, { name: opts.name, top: opts.top }))
    .option("--name <name>", "only entities of this name")
    .option("--top <n>", "at most this many (1-1000)", "100");
  return program;
}

/** Runs the CLI on `argv` (as process.argv) and returns the exit code. */
export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    if (error instanceof CliError) {
      io.err(`perdure: ${error.message}\n`);
      return error.exitCode;
    }
    // An argument the shared checks refused (a store opened directly reaches them without HTTP).
    if (error instanceof PerdureError && error.code === ErrorCode.InvalidArgument) {
      io.err(`perdure: ${error.message.split("\n")[0]}\n`);
      return ExitCode.Usage;
    }
    const message = error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error);
    io.err(`perdure: ${message.split("\n")[0]}\n`);
    return ExitCode.Failed;
  }
}
