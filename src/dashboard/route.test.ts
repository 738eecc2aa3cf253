import { describe, expect, it } from "vitest";
import { href, parseHash } from "./route.js";

describe("routes in the URL fragment", () => {
  it("reads a view, its decoded path and its query", () => {
    const route = parseHash("#/instances/order%3A7%20b?status=Failed%2CRunning&order=asc");
    expect(route.path).toEqual(["instances", "order:7 b"]);
    expect(route.query.get("status")).toBe("Failed,Running");
    expect(route.query.get("order")).toBe("asc");
    expect(parseHash("").path).toEqual([]);
    expect(parseHash("#/").path).toEqual([]);
  });

  it("writes what it reads, dropping empty values", () => {
    const link = href(["instances", "a/b?c#d"], { status: "Failed", name: "", prefix: undefined });
    expect(link).toBe("#/instances/a%2Fb%3Fc%23d?status=Failed");
    expect(parseHash(link).path).toEqual(["instances", "a/b?c#d"]);
  });
});
