/**
 * The CLI against a running server (--url), and the commands that run an app module: `dev`
 * (worker and HTTP), `worker` and `serve`. Every process started here is stopped, every temp
 * file removed.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClient, createWorker, serve, sqlite, type HttpServer, type Store, type Worker } from "../../src/index.js";
import { app } from "./fixtures/app.js";
import { FIXTURE_APP, perdure, Running, spawnCli } from "./cli-helpers.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let dir: string;
let running: Running[] = [];
let cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "perdure-cli-server-"));
});
afterEach(async () => {
  const [processes, closers] = [running, cleanups.reverse()];
  running = [];
  cleanups = [];
  try {
    await Promise.all(processes.map((r) => r.stop("SIGKILL")));
    for (const close of closers) await close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A worker and a server in this process, on a fresh store. */
async function startServer(apiKey?: string): Promise<{ server: HttpServer; store: Store; worker: Worker }> {
  const store = sqlite(join(dir, "server.db"));
  const worker = createWorker(app, store, { logger: silent }).start();
  const server = await serve({ app, client: createClient(store, { app }), port: 0, apiKey, logger: silent });
  cleanups.push(async () => {
    await server.close();
    await worker.stop();
    await store.close();
  });
  return { server, store, worker };
}

function cli(args: string[]): Running {
  const r = new Running(spawnCli(args));
  running.push(r);
  return r;
}

describe("instance commands with --url", () => {
  it("start, status, list, history, raise, suspend, resume and purge through the management API", async () => {
    const { server, store } = await startServer();
    const url = ["--url", server.url];
    const client = createClient(store);
    const started = await perdure(["start", "Hello", "--input", '"net"', "--id", "n1", ...url]);
    expect(started).toMatchObject({ code: 0, stdout: "Started Hello: instance n1\n" });
    await client.waitForCompletion("n1", { timeoutMs: 30_000 });

    const status = await perdure(["status", "n1", "--json", ...url]);
    expect(JSON.parse(status.stdout)).toMatchObject({ instanceId: "n1", runtimeStatus: "Completed", output: "echo:net" });
    const list = await perdure(["list", ...url]);
    expect(list.stdout).toMatch(/\nn1 +Hello +Completed /);
    const history = await perdure(["history", "n1", ...url]);
    expect(history.stdout).toMatch(/TaskCompleted +Echo, took \d+ms, → "echo:net"/);

    expect((await perdure(["start", "WaitForGo", "--id", "w1", ...url])).code).toBe(0);
    expect((await perdure(["suspend", "w1", ...url])).code).toBe(0);
    expect((await perdure(["resume", "w1", ...url])).code).toBe(0);
    expect((await perdure(["raise", "w1", "go", "--data", '{"ok":true}', ...url])).code).toBe(0);
    const done = await client.waitForCompletion("w1", { timeoutMs: 30_000 });
    expect(done.output).toEqual({ ok: true });

    const gone = await perdure(["raise", "w1", "go", ...url]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe("perdure: Cannot raise an event to instance 'w1': it is Completed.\n");
    expect((await perdure(["status", "nobody", ...url])).code).toBe(1);
    const purged = await perdure(["purge", "--created-before", new Date(Date.now() + 60_000).toISOString(), "--json", ...url]);
    expect(JSON.parse(purged.stdout)).toEqual({ instancesDeleted: 2 });
  });

  it("uses the API key, and says how to pass one when refused", async () => {
    const { server } = await startServer("k3y");
    const refused = await perdure(["list", "--url", server.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs the API key.*Pass --api-key, or set PERDURE_API_KEY\.\n$/);
    expect((await perdure(["list", "--url", server.url, "--api-key", "k3y"])).code).toBe(0);
    expect((await perdure(["list", "--url", server.url], { PERDURE_API_KEY: "k3y" })).code).toBe(0);
  });

  it("exits 1 with one line when the server cannot be reached", async () => {
    const { server } = await startServer();
    const url = server.url;
    await server.close();
    const result = await perdure(["status", "x", "--url", url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^perdure: Cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\.\n$/);
  });
});

describe("perdure dev, worker and serve", () => {
  it("dev runs the worker and the HTTP server on a store, and stops on SIGTERM", async () => {
    const db = join(dir, "dev.db");
    const dev = cli(["dev", FIXTURE_APP, "--store", db, "--port", "0", "--log-level", "warn"]);
    const [, url] = await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(dev.stdout).toMatch(/HTTP function: +POST http:\/\/127\.0\.0\.1:\d+\/api\/hello\/:name/);
    const response = await fetch(`${url}/api/hello/dev`, { method: "POST" });
    expect(response.status).toBe(202);
    const { statusQueryGetUri } = (await response.json()) as { statusQueryGetUri: string };
    const deadline = Date.now() + 30_000;
    let status = 202;
    while (status !== 200 && Date.now() < deadline) {
      const poll = await fetch(statusQueryGetUri);
      status = poll.status;
      await poll.arrayBuffer();
    }
    expect(status).toBe(200);
    const viaCli = await perdure(["list", "--url", url!, "--json"]);
    expect(JSON.parse(viaCli.stdout)).toMatchObject([{ name: "Hello", runtimeStatus: "Completed", output: "echo:dev" }]);
    expect(await dev.stop("SIGTERM")).toBe(0);
    expect(dev.stderr).toMatch(/SIGTERM, stopping/);
    expect(existsSync(db)).toBe(true);
  });

  it("worker runs orchestrations started elsewhere; serve answers without running them", async () => {
    const db = join(dir, "prod.db");
    const web = cli(["serve", FIXTURE_APP, "--store", db, "--port", "0"]);
    const [, url] = await web.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const started = await perdure(["start", "Hello", "--input", '"prod"', "--id", "p1", "--url", url!]);
    expect(started.code).toBe(0);
    expect(JSON.parse((await perdure(["status", "p1", "--json", "--url", url!])).stdout)).toMatchObject({ runtimeStatus: "Pending" });

    const worker = cli(["worker", FIXTURE_APP, "--store", db]);
    await worker.waitFor(/perdure worker: worker /);
    const store = sqlite(db);
    cleanups.push(() => store.close());
    const done = await createClient(store).waitForCompletion("p1", { timeoutMs: 30_000 });
    expect(done.output).toBe("echo:prod");
    expect(await worker.stop("SIGINT")).toBe(0);
    expect(await web.stop("SIGTERM")).toBe(0);
  });

  it("exits 2 for an app module that does not exist or exports no app", async () => {
    const missing = await perdure(["dev", join(dir, "nope.ts"), "--store", join(dir, "x.db")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No app module at/);
    const noApp = await perdure(["worker", new URL("./cli-helpers.ts", import.meta.url).pathname, "--store", join(dir, "x.db")]);
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toMatch(/exports no app/);
  });

  it("takes a postgres:// store, and says in one line, password hidden, when it cannot reach it", async () => {
    const result = await perdure(["list", "--store", "postgres://user:pw@127.0.0.1:1/db"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^perdure: .*(ECONNREFUSED|connect|Cannot open).*\n$/);
    expect(result.stderr).not.toContain("pw@");
  });
});
