import { describe, expect, it } from "vitest";
import { DuplicateRegistrationError, ErrorCode, InvalidArgumentError, PerdureError } from "../core/errors.js";
import { createApp, App } from "./app.js";

const noop = async () => undefined;
const gen = function* () {
  return 1;
};

/** The error a call throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to throw");
}

describe("createApp", () => {
  it("creates an empty app each time", () => {
    const a = createApp();
    expect(a).toBeInstanceOf(App);
    expect(a.activityNames).toEqual([]);
    expect(a.orchestrationNames).toEqual([]);
    a.activity("A", noop);
    expect(createApp().activityNames).toEqual([]);
  });
});

describe("registration", () => {
  it("returns frozen handles that carry the name and kind", () => {
    const app = createApp();
    const activity = app.activity("Charge", async (n: number) => n);
    const orchestration = app.orchestration("Checkout", gen);
    expect(activity).toEqual({ kind: "activity", name: "Charge" });
    expect(orchestration).toEqual({ kind: "orchestration", name: "Checkout" });
    expect(Object.isFrozen(activity)).toBe(true);
    expect(Object.isFrozen(orchestration)).toBe(true);
  });

  it("refuses a second activity of the same name, also when only the case differs", () => {
    const app = createApp();
    app.activity("SendMail", noop);
    for (const name of ["SendMail", "sendmail", "SENDMAIL"]) {
      const error = thrown(() => app.activity(name, noop));
      expect(error).toBeInstanceOf(DuplicateRegistrationError);
      expect(error).toBeInstanceOf(PerdureError);
      expect((error as PerdureError).code).toBe(ErrorCode.DuplicateRegistration);
      expect(error.message).toBe(
        `An activity named '${name}' is already registered in this app. Names are unique per kind and case-insensitive; rename one of them.`,
      );
    }
    expect(app.activityNames).toEqual(["SendMail"]);
  });

  it("refuses a second orchestration of the same name, also when only the case differs", () => {
    const app = createApp();
    app.orchestration("Pipeline", gen);
    const error = thrown(() => app.orchestration("PIPELINE", gen));
    expect(error).toBeInstanceOf(DuplicateRegistrationError);
    expect(error.message).toContain("orchestration named 'PIPELINE' is already registered");
    expect(error.message).toContain("case-insensitive");
    expect(app.orchestrationNames).toEqual(["Pipeline"]);
  });

  it("keeps names unique per kind: an activity and an orchestration may share one", () => {
    const app = createApp();
    app.activity("Report", noop);
    expect(() => app.orchestration("Report", gen)).not.toThrow();
  });

  it.each([
    ["an empty name", ""],
    ["a blank name", "   "],
    ["a non-string name", 42],
    ["no name", undefined],
  ])("refuses %s with InvalidArgumentError", (_what, name) => {
    const app = createApp();
    for (const register of [() => app.activity(name as string, noop), () => app.orchestration(name as string, gen)]) {
      const error = thrown(register);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toMatch(/^An (activity|orchestration) needs a non-empty name; received /);
    }
    expect(app.activityNames).toEqual([]);
    expect(app.orchestrationNames).toEqual([]);
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["string", "function* () {}"],
    ["object", {}],
  ])("refuses a non-function (%s) with InvalidArgumentError naming the function", (what, fn) => {
    const app = createApp();
    const activity = thrown(() => app.activity("Work", fn as never));
    expect(activity).toBeInstanceOf(InvalidArgumentError);
    expect(activity.message).toBe(`The activity 'Work' needs a function; received ${what}.`);
    const orchestration = thrown(() => app.orchestration("Flow", fn as never));
    expect(orchestration).toBeInstanceOf(InvalidArgumentError);
    expect(orchestration.message).toBe(`The orchestration 'Flow' needs a function; received ${what}.`);
    expect(app.activityNames).toEqual([]);
  });
});

describe("lookup", () => {
  const app = createApp();
  const fn = async (n: number) => n + 1;
  app.activity("ProcessRows", fn);
  app.orchestration("DailyImport", gen);

  it("finds activities by name, case-insensitively, under the registered spelling", () => {
    for (const name of ["ProcessRows", "processrows", "PROCESSROWS"]) {
      expect(app.getActivity(name)).toEqual({ name: "ProcessRows", fn });
    }
    expect(app.getActivity("Process")).toBeUndefined();
  });

  it("finds orchestrations by name, case-insensitively, as runnable definitions", () => {
    const definition = app.getOrchestration("dailyimport");
    expect(definition?.name).toBe("DailyImport");
    expect(typeof definition?.fn).toBe("function");
    expect(app.getOrchestration("DAILYIMPORT")).toBe(definition);
    expect(app.getOrchestration("ProcessRows")).toBeUndefined();
  });

  it("lists the registered names as spelled at registration", () => {
    expect(app.activityNames).toEqual(["ProcessRows"]);
    expect(app.orchestrationNames).toEqual(["DailyImport"]);
  });
});
