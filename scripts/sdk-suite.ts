/**
 * Runs an official Durable Task SDK's own end-to-end suite against a fresh Perdure server, and
 * prints the counts.
 *
 *   npx tsx scripts/sdk-suite.ts python <checkout of microsoft/durabletask-python> [--store sqlite|postgres]
 *   npx tsx scripts/sdk-suite.ts js <checkout of microsoft/durabletask-js> [--store sqlite|postgres]
 *
 * It fetches nothing: the checkout is yours (for JavaScript, with `npm install` run in it; for
 * Python, with grpcio, protobuf and pytest importable by --python, default python3). The server
 * listens on a free loopback port, on a new SQLite file or a new PostgreSQL schema (the URL from
 * --pg-url or PERDURE_TEST_PG_URL), both removed at the end, with task-hub management on so that
 * the Python tests can start each from an empty store. Options: --files (comma-separated test
 * files, relative to the checkout, instead of the default set), --log (the server's log file).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { postgres, sqlite, type Store } from "../src/index.js";
import { serveGrpc } from "../src/grpc/index.js";
import type { Logger } from "../src/runtime/logger.js";

/**
 * The Python SDK's test files that run against a backend: orchestrations (sync and async), batch
 * actions, entities, rewind, versioning, work-item filters, scheduled tasks, history export.
 */
const PYTHON_FILES = [
  "tests/durabletask/test_orchestration_e2e.py",
  "tests/durabletask/test_orchestration_async_e2e.py",
  "tests/durabletask/test_batch_actions.py",
  "tests/durabletask/entities/test_class_based_entities_e2e.py",
  "tests/durabletask/entities/test_function_based_entities_e2e.py",
  "tests/durabletask/entities/test_delayed_signals_e2e.py",
  "tests/durabletask/entities/test_entity_failure_handling.py",
  "tests/durabletask/test_rewind_e2e.py",
  "tests/durabletask/test_orchestration_versioning_e2e.py",
  "tests/durabletask/test_work_item_filters_e2e.py",
  "tests/durabletask/scheduled/test_scheduled_e2e.py",
  "tests/durabletask/extensions/history_export/test_orchestrator.py",
  "tests/durabletask/extensions/history_export/test_activities.py",
  "tests/durabletask/extensions/history_export/test_entity.py",
  "tests/durabletask/extensions/history_export/test_client.py",
];

/** The JavaScript SDK's over-the-wire suite, without the files that need Azure services (see the README). */
const JS_SUITE = "test/e2e-azuremanaged";
const JS_LEFT_OUT = ["export-history", "worker-stream-recovery"];

interface Counts {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly total: number;
  readonly failures: readonly string[];
}

const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      store: { type: "string", default: "sqlite" },
      "pg-url": { type: "string" },
      files: { type: "string" },
      python: { type: "string", default: "python3" },
      log: { type: "string" },
    },
  });
  const [sdk, checkoutArg] = positionals;
  if ((sdk !== "python" && sdk !== "js") || checkoutArg === undefined || (values.store !== "sqlite" && values.store !== "postgres")) {
    console.error("usage: npx tsx scripts/sdk-suite.ts <python|js> <checkout> [--store sqlite|postgres] [--pg-url URL] [--files a,b] [--python PATH] [--log FILE]");
    return 2;
  }
  const checkout = resolve(checkoutArg);
  if (!existsSync(checkout)) {
    console.error(`sdk-suite: no checkout at ${checkout}.`);
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), "perdure-sdk-suite-"));
  const logFile = values.log ?? join(work, "server.log");
  const { store, label, remove } = await openStore(values.store, values["pg-url"] ?? process.env.PERDURE_TEST_PG_URL, work);
  const server = await serveGrpc({ store, port: 0, host: "localhost", taskHubManagement: true, logger: fileLogger(logFile) });
  console.log(`sdk-suite: Perdure serving the Durable Task protocol on localhost:${server.port}, ${label}; server log ${logFile}`);
  const started = Date.now();
  let counts: Counts;
  try {
    const files = values.files?.split(",").filter((f) => f !== "");
    counts = sdk === "python" ? await runPython(checkout, server.port, values.python, files, work) : await runJs(checkout, server.port, files, work);
  } finally {
    await server.close();
    await store.close();
    await remove();
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`\nsdk-suite: ${sdk} on ${values.store}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped of ${counts.total} (${minutes} min)`);
  for (const failure of counts.failures) console.log(`  failed: ${failure}`);
  if (values.log === undefined && counts.failed === 0) rmSync(work, { recursive: true, force: true });
  return counts.failed === 0 && counts.total > 0 ? 0 : 1;
}

async function openStore(kind: string, pgUrl: string | undefined, work: string): Promise<{ store: Store; label: string; remove: () => Promise<void> }> {
  if (kind === "sqlite") {
    const file = join(work, "sdk-suite.db");
    return { store: sqlite(file), label: `SQLite ${file}`, remove: async () => undefined };
  }
  if (pgUrl === undefined) throw new Error("--store postgres needs --pg-url or PERDURE_TEST_PG_URL.");
  const schema = `perdure_sdk_suite_${randomBytes(4).toString("hex")}`;
  const store = await postgres(pgUrl, { schema });
  const remove = async (): Promise<void> => {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  };
  return { store, label: `PostgreSQL schema ${schema}`, remove };
}

function fileLogger(file: string): Logger {
  const write = (level: string) => (message: string, error?: unknown) => {
    const detail = error === undefined ? "" : ` ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    appendFileSync(file, `${new Date().toISOString()} ${level} ${message}${detail}\n`);
  };
  return { debug: () => undefined, info: write("info"), warn: write("warn"), error: write("error") };
}

async function runPython(checkout: string, port: number, python: string, files: string[] | undefined, work: string): Promise<Counts> {
  const report = join(work, "pytest.xml");
  const args = ["-m", "pytest", "-p", "perdure_backend", "-p", "no:cacheprovider", "-q", `--junitxml=${report}`, ...(files ?? PYTHON_FILES)];
  const pythonPath = [join(here, "sdk-suite"), checkout, process.env.PYTHONPATH].filter(Boolean).join(":");
  await run(python, args, checkout, { PYTHONPATH: pythonPath, PERDURE_GRPC_PORT: String(port) });
  if (!existsSync(report)) throw new Error("pytest wrote no report; see its output above.");
  return junitCounts(readFileSync(report, "utf8"));
}

/** Counts of a JUnit XML report as pytest writes it (one testsuite). */
function junitCounts(xml: string): Counts {
  const suite = /<testsuite\b[^>]*>/.exec(xml)?.[0] ?? "";
  const attr = (name: string): number => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const failures: string[] = [];
  for (const match of xml.matchAll(/<testcase\b[^>]*?classname="([^"]*)"[^>]*?name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    if (/<(failure|error)\b/.test(match[3] ?? "")) failures.push(`${match[1]}::${match[2]}`);
  }
  const failed = attr("failures") + attr("errors");
  const skipped = attr("skipped");
  const total = attr("tests");
  return { passed: total - failed - skipped, failed, skipped, total, failures };
}

async function runJs(checkout: string, port: number, files: string[] | undefined, work: string): Promise<Counts> {
  const jest = join(checkout, "node_modules", ".bin", "jest");
  if (!existsSync(jest)) throw new Error(`${jest} is missing: run \`npm install\` in the checkout first.`);
  const report = join(work, "jest.json");
  const selection = files ?? [JS_SUITE, "--testPathIgnorePatterns", ...JS_LEFT_OUT];
  const args = [...selection, "--runInBand", "--silent", "--json", "--outputFile", report];
  await run(jest, args, checkout, { ENDPOINT: `localhost:${port}`, TASKHUB: "default" });
  if (!existsSync(report)) throw new Error("jest wrote no report; see its output above.");
  const result = JSON.parse(readFileSync(report, "utf8")) as {
    numTotalTests: number;
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests?: number;
    testResults: Array<{ assertionResults: Array<{ status: string; fullName: string }> }>;
  };
  const failures = result.testResults.flatMap((file) => file.assertionResults.filter((a) => a.status === "failed").map((a) => a.fullName));
  return {
    passed: result.numPassedTests,
    failed: result.numFailedTests,
    skipped: result.numPendingTests + (result.numTodoTests ?? 0),
    total: result.numTotalTests,
    failures,
  };
}

/** Runs a command with the terminal as its output; resolves with its exit code. */
function run(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolvePromise(code ?? (signal === null ? 1 : 128)));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sdk-suite: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
