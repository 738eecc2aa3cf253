/**
 * The OpenAPI document and the registered management routes are the same set of (method, path),
 * read from the router itself, and the document is served.
 */
import { describe, expect, it } from "vitest";
import { MANAGEMENT_OPENAPI } from "../../src/index.js";
import { managementApi } from "../../src/http/management-api.js";
import { startHttp } from "./fixture.js";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

/** `METHOD /path/{param}` for every route the management router registers. */
function registeredRoutes(): string[] {
  const client = undefined as never;
  return managementApi(client)
    .routes.filter((r) => r.method !== "ALL")
    .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`)
    .sort();
}

function documentedRoutes(): string[] {
  const paths = MANAGEMENT_OPENAPI.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([path, item]) => Object.keys(item).filter((k) => METHODS.includes(k)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe("the OpenAPI document", () => {
  it("documents every registered management route, and no other", () => {
    const registered = registeredRoutes();
    expect(registered.length).toBeGreaterThanOrEqual(13);
    expect(documentedRoutes()).toEqual(registered);
  });

  it("is OpenAPI 3.1, its path parameters match the path, and every $ref resolves", () => {
    expect(MANAGEMENT_OPENAPI.openapi).toBe("3.1.0");
    const paths = MANAGEMENT_OPENAPI.paths as Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
    for (const [path, item] of Object.entries(paths)) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, operation] of Object.entries(item)) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name).sort();
        expect(declared, `${method} ${path}`).toEqual(inPath);
      }
    }
    const schemas = (MANAGEMENT_OPENAPI.components as { schemas: Record<string, unknown> }).schemas;
    for (const [, name] of JSON.stringify(MANAGEMENT_OPENAPI).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      expect(schemas, name).toHaveProperty(name!);
    }
  });

  it("is served at /runtime/webhooks/durabletask/openapi.json", async () => {
    const fx = startHttp();
    try {
      const response = await fx.call("GET", "/openapi.json");
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(JSON.parse(JSON.stringify(MANAGEMENT_OPENAPI)));
    } finally {
      await fx.close();
    }
  });
});
