import { describe, expect, it } from "vitest";
import { STATUSES } from "./api-types.js";
import { actionBlocked, isTerminal, statusLook } from "./status.js";

describe("statusLook", () => {
  it("gives every status a word and a tone, and tells failures from successes by both", () => {
    for (const status of STATUSES) expect(statusLook(status).word.length).toBeGreaterThan(0);
    expect(statusLook("Completed")).toMatchObject({ word: "Completed", tone: "success" });
    expect(statusLook("Failed")).toMatchObject({ word: "Failed", tone: "danger" });
    expect(statusLook("Running")).toMatchObject({ word: "Running", tone: "active" });
    expect(statusLook("Suspended").tone).toBe("paused");
    expect(statusLook("ContinuedAsNew").word).toBe("Continued as new");
  });

  it("reads a status it does not know as Unknown, even one named like an object property", () => {
    expect(statusLook("Exploded").word).toBe("Unknown");
    expect(statusLook("toString").word).toBe("Unknown");
  });
});

describe("actionBlocked", () => {
  it("allows what the server allows in each status", () => {
    const allowed = (status: string) =>
      (["raise", "terminate", "suspend", "resume", "rewind", "restart", "purge"] as const).filter((a) => actionBlocked(a, status) === undefined);
    expect(allowed("Running")).toEqual(["raise", "terminate", "suspend", "restart"]);
    expect(allowed("Pending")).toEqual(["raise", "terminate", "suspend", "restart"]);
    expect(allowed("Suspended")).toEqual(["raise", "terminate", "resume", "restart"]);
    expect(allowed("Failed")).toEqual(["rewind", "restart", "purge"]);
    expect(allowed("Completed")).toEqual(["restart", "purge"]);
    expect(allowed("Terminated")).toEqual(["restart", "purge"]);
    expect(actionBlocked("rewind", "Completed")).toBe("Only a Failed instance can be rewound.");
  });

  it("knows the terminal statuses", () => {
    expect(STATUSES.filter(isTerminal)).toEqual(["Completed", "Failed", "Terminated", "Canceled"]);
  });
});
