/**
 * The layer rules of DESIGN.md, checked on every non-test source file under src/: an arrow never
 * points up; core is pure (no `node:*`, no packages); the runtime is handed a Store and never
 * imports a concrete adapter; each store adapter is one self-contained folder.
 *
 * Imports are read with the TypeScript scanner (`ts.preProcessFile`), so imports inside comments
 * and strings do not count, while type-only imports, re-exports and dynamic imports do.
 */
import { readFileSync, readdirSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/** What a source file belongs to, by its path under src/. */
type Layer =
  | "entry" // src/index.ts, the public API
  | "core"
  | "sdk"
  | "testing"
  | "store-port" // store/store.ts and store/errors.ts: what the runtime may know of storage
  | "store" // other top-level files of store/
  | "store-conformance" // store/conformance/: the suite every adapter must pass
  | "store-adapter" // store/<adapter>/ (memory, sqlite, postgres, …)
  | "own-adapter" // a file of the importing adapter's own folder
  | "runtime"
  | "http"
  | "grpc" // the Durable Task protocol server, for the official SDKs
  | "cli"
  | "dashboard";

const NODE = /^node:/;

/** Allowed imports per layer: the layers it may import, and the packages (bare specifiers). */
const RULES: Readonly<Record<Exclude<Layer, "own-adapter">, { layers: readonly Layer[]; packages: readonly (string | RegExp)[] }>> = {
  core: { layers: ["core"], packages: [] },
  sdk: { layers: ["core", "sdk"], packages: [] },
  // The test kit is built on the runtime and the embedded store, like any user program.
  testing: { layers: ["core", "sdk", "store-port", "store-adapter", "runtime", "testing"], packages: [NODE] },
  "store-port": { layers: ["core", "store-port"], packages: [] },
  store: { layers: ["core", "store-port", "store"], packages: [NODE] },
  "store-conformance": { layers: ["core", "store-port", "store", "store-conformance"], packages: [NODE, "vitest"] },
  "store-adapter": { layers: ["core", "store-port", "store", "own-adapter"], packages: [NODE, "better-sqlite3", "pg"] },
  runtime: { layers: ["core", "sdk", "store-port", "runtime"], packages: [NODE] },
  http: { layers: ["core", "sdk", "store-port", "runtime", "http", "dashboard"], packages: [NODE, "hono", "@hono/node-server"] },
  // The browser app: its UI library and row virtualization, bundled into the build; never Node.
  dashboard: { layers: ["core", "dashboard"], packages: ["preact", "@tanstack/virtual-core"] },
  grpc: { layers: ["core", "sdk", "store-port", "runtime", "grpc"], packages: [NODE, "@grpc/grpc-js", "@grpc/proto-loader"] },
  cli: {
    layers: ["entry", "core", "sdk", "testing", "store-port", "store", "store-adapter", "runtime", "http", "grpc", "dashboard", "cli"],
    // tsx: loaded on demand, only to import a user's app module written in TypeScript.
    packages: [NODE, "commander", "tsx"],
  },
  // The public API exports the HTTP and gRPC layers; the CLI is a program, imported by nothing.
  entry: {
    layers: ["core", "sdk", "testing", "store-port", "store", "store-adapter", "runtime", "http", "grpc", "dashboard"],
    packages: [],
  },
};

/** The layer of a path relative to src/ (no extension), or undefined if the table has none. */
function layerOf(path: string): Exclude<Layer, "own-adapter"> | undefined {
  const parts = path.split("/");
  const [top, second] = parts;
  if (parts.length === 1) return top === "index" ? "entry" : undefined;
  switch (top) {
    case "core":
    case "sdk":
    case "testing":
    case "runtime":
    case "http":
    case "grpc":
    case "cli":
    case "dashboard":
      return top;
    case "store":
      if (parts.length === 2) return second === "store" || second === "errors" ? "store-port" : "store";
      return second === "conformance" ? "store-conformance" : "store-adapter";
    default:
      return undefined;
  }
}

/** The package an import names: `pg` for `pg/lib/x`, `@scope/a` for `@scope/a/b`, `node:fs` as is. */
function packageOf(specifier: string): string {
  if (specifier.startsWith("node:")) return specifier;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly reason: string;
}

/** The layer rule violations of one file, given its path relative to src/ and its text. */
function checkFile(file: string, text: string): Violation[] {
  const from = layerOf(file.replace(/\.tsx?$/, ""));
  if (from === undefined) return [{ file, specifier: "", reason: "the file is in no layer of the table; add its folder" }];
  const rule = RULES[from];
  const violations: Violation[] = [];
  for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
    const fail = (reason: string) => violations.push({ file, specifier, reason });
    if (!specifier.startsWith(".")) {
      const name = packageOf(specifier);
      if (!rule.packages.some((p) => (typeof p === "string" ? p === name : p.test(name)))) {
        fail(`${from} may not import the package '${name}'`);
      }
      continue;
    }
    const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.(js|ts|tsx|mjs|cjs)$/, "");
    if (target.startsWith("../")) {
      fail(`${from} may not import from outside src/`);
      continue;
    }
    let to: Layer | undefined = layerOf(target);
    if (to === "store-adapter" && from === "store-adapter" && target.split("/")[1] === file.split("/")[1]) to = "own-adapter";
    if (to === undefined || !rule.layers.includes(to)) fail(`${from} may not import ${to ?? "an unknown layer"} ('${target}')`);
  }
  return violations;
}

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

function sourceFiles(dir = ""): string[] {
  return readdirSync(SRC + dir, { withFileTypes: true }).flatMap((entry) => {
    const path = dir + entry.name;
    if (entry.isDirectory()) return sourceFiles(`${path}/`);
    const source = path.endsWith(".ts") || path.endsWith(".tsx");
    return source && !/\.test\.tsx?$/.test(path) && !path.endsWith(".d.ts") ? [path] : [];
  });
}

describe("architecture", () => {
  const files = sourceFiles();

  it("finds the source files, and a layer for each", () => {
    expect(files).toContain("core/replay/executor.ts");
    expect(files).toContain("index.ts");
    expect(files.some((f) => f.endsWith(".test.ts"))).toBe(false);
    expect(files).toContain("dashboard/app.tsx");
    expect(files.filter((f) => layerOf(f.replace(/\.tsx?$/, "")) === undefined)).toEqual([]);
  });

  it("keeps every import within the layer rules", () => {
    const violations = files.flatMap((file) => checkFile(file, readFileSync(SRC + file, "utf8")));
    const report = violations.map((v) => `  src/${v.file}: import '${v.specifier}' — ${v.reason}`).join("\n");
    expect(violations, `Layer rules broken (see DESIGN.md, "Layers"):\n${report}`).toEqual([]);
  });
});

describe("the layer checker", () => {
  const reasons = (file: string, text: string) => checkFile(file, text).map((v) => `${v.specifier}: ${v.reason}`);

  it("fires on a core file that imports node, a package, or an upper layer", () => {
    const text = [
      `import { readFileSync } from "node:fs";`,
      `import type { Row } from "zod";`,
      `export { createApp } from "../sdk/app.js";`,
      `const worker = () => import("../runtime/worker.js");`,
      `import { ok } from "./errors.js";`,
      `// import { nope } from "../runtime/commented.js";`,
      `const s = 'import { nope } from "../runtime/in-a-string.js"';`,
    ].join("\n");
    expect(reasons("core/bad.ts", text)).toEqual([
      "node:fs: core may not import the package 'node:fs'",
      "zod: core may not import the package 'zod'",
      "../sdk/app.js: core may not import sdk ('sdk/app')",
      "../runtime/worker.js: core may not import runtime ('runtime/worker')",
    ]);
  });

  it("lets the runtime use the Store port but no concrete adapter", () => {
    const text = [
      `import type { Store } from "../store/store.js";`,
      `import { LeaseLostError } from "../store/errors.js";`,
      `import { sqlite } from "../store/sqlite/index.js";`,
      `import { memoryStore } from "../store/memory/memory-store.js";`,
      `import { postgres } from "../store/postgres/index.js";`,
      `import { createApp } from "../sdk/app.js";`,
      `import { setTimeout } from "node:timers/promises";`,
    ].join("\n");
    expect(reasons("runtime/worker.ts", text)).toEqual([
      "../store/sqlite/index.js: runtime may not import store-adapter ('store/sqlite/index')",
      "../store/memory/memory-store.js: runtime may not import store-adapter ('store/memory/memory-store')",
      "../store/postgres/index.js: runtime may not import store-adapter ('store/postgres/index')",
    ]);
  });

  it("keeps store adapters to themselves, the port and core", () => {
    const text = [
      `import Database from "better-sqlite3";`,
      `import { sql } from "./sql.js";`,
      `import type { Store } from "../store.js";`,
      `import { rows } from "../postgres/sql.js";`,
      `import { Worker } from "../../runtime/worker.js";`,
      `import { createApp } from "../../sdk/app.js";`,
    ].join("\n");
    expect(reasons("store/sqlite/sqlite-store.ts", text)).toEqual([
      "../postgres/sql.js: store-adapter may not import store-adapter ('store/postgres/sql')",
      "../../runtime/worker.js: store-adapter may not import runtime ('runtime/worker')",
      "../../sdk/app.js: store-adapter may not import sdk ('sdk/app')",
    ]);
  });

  it("lets only the CLI and the public API import the HTTP layer, and nothing import the CLI", () => {
    const text = [`import { serve } from "../http/serve.js";`, `import { main } from "../cli/main.js";`].join("\n");
    expect(reasons("runtime/client.ts", text)).toEqual([
      "../http/serve.js: runtime may not import http ('http/serve')",
      "../cli/main.js: runtime may not import cli ('cli/main')",
    ]);
    expect(reasons("sdk/app.ts", text)).toHaveLength(2);
    expect(reasons("index.ts", text.replaceAll("../", "./"))).toEqual(["./cli/main.js: entry may not import cli ('cli/main')"]);
    expect(reasons("cli/program.ts", text)).toEqual([]);
    expect(reasons("http/handler.ts", `import { Hono } from "hono";\nimport { run } from "../cli/main.js";`)).toEqual([
      "../cli/main.js: http may not import cli ('cli/main')",
    ]);
  });

  it("lets only the CLI and the public API import the gRPC layer, which stays off store adapters", () => {
    const text = `import { serveGrpc } from "../grpc/index.js";`;
    expect(reasons("runtime/worker.ts", text)).toEqual(["../grpc/index.js: runtime may not import grpc ('grpc/index')"]);
    expect(reasons("http/serve.ts", text)).toEqual(["../grpc/index.js: http may not import grpc ('grpc/index')"]);
    expect(reasons("cli/serve.ts", text)).toEqual([]);
    expect(reasons("index.ts", `export { serveGrpc } from "./grpc/index.js";`)).toEqual([]);
    const grpc = [
      `import { Server } from "@grpc/grpc-js";`,
      `import { Worker } from "../runtime/worker.js";`,
      `import { sqlite } from "../store/sqlite/index.js";`,
    ].join("\n");
    expect(reasons("grpc/server.ts", grpc)).toEqual(["../store/sqlite/index.js: grpc may not import store-adapter ('store/sqlite/index')"]);
  });

  it("keeps sdk off the runtime and the store, testing off the layers above the runtime, and everything inside src/", () => {
    expect(reasons("sdk/app.ts", `import { Worker } from "../runtime/worker.js";`)).toHaveLength(1);
    expect(reasons("testing/clock.ts", `import type { Store } from "../store/store.js";`)).toEqual([]);
    expect(reasons("testing/clock.ts", `import { serve } from "../http/serve.js";`)).toHaveLength(1);
    expect(reasons("testing/clock.ts", `import { x } from "../grpc/server.js";`)).toHaveLength(1);
    expect(reasons("testing/clock.ts", `import { x } from "../../test/helpers/simulator.js";`)).toEqual([
      "../../test/helpers/simulator.js: testing may not import from outside src/",
    ]);
    expect(reasons("lib/extra.ts", "")).toEqual([": the file is in no layer of the table; add its folder"]);
  });
});
