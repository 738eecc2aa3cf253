/**
 * Misuse of the CLI exits 2 with one line on stderr and changes nothing stored, on both stores:
 * an empty id, name, event or key is never "a random one" or "all", and a time that is not ISO
 * 8601 never widens a purge. Runs the program in this process (`run`), on a store the CLI opens
 * itself with --store (and --schema on PostgreSQL).
 */
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../src/cli/program.js";
import { entityId } from "../../src/index.js";
import { waitUntil } from "../helpers/runtime.js";
import { app, counter, seed, snapshot } from "../helpers/edge-app.js";
import { STORE_KINDS, announceStores, startRuntimeOn, type StoreRuntime } from "../helpers/stores.js";

announceStores("the CLI edge suite");

let rt: StoreRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const target = rt!.schema === undefined ? ["--store", rt!.spec] : ["--store", rt!.spec, "--schema", rt!.schema];
  const code = await run(["node", "perdure", ...args, ...target], { out: (text) => void (out += `${text}\n`), err: (text) => void (err += text) });
  return { code, out, err };
}

const MISUSE: Array<[string[], RegExp]> = [
  [["start", "Hold", "--id", ""], /Invalid instance id "": it is empty/],
  [["start", "Hold", "--id", "a/b"], /Invalid instance id "a\/b": it contains '\/'/],
  [["start", ""], /Invalid <name> "": it is empty/],
  [["status", ""], /Invalid <instance-id> "": it is empty/],
  [["history", ""], /Invalid <instance-id> "": it is empty/],
  [["raise", "held", ""], /Invalid <event> "": it is empty/],
  [["raise", "", "go"], /Invalid <instance-id> "": it is empty/],
  [["terminate", ""], /Invalid <instance-id> "": it is empty/],
  [["rewind", ""], /Invalid <instance-id> "": it is empty/],
  [["entity", "get", "Counter", ""], /Invalid <key> "": it is empty/],
  [["entity", "get", "", "c1"], /Invalid <name> "": it is empty/],
  [["entity", "signal", "Counter", "c1", ""], /Invalid <operation> "": it is empty/],
  [["entity", "get", "Coun@ter", "c1"], /Invalid entity name "Coun@ter": it contains '@'/],
  [["purge", "--created-before", "1"], /--created-before must be an ISO 8601 date or time.*received "1"/],
  [["purge", "--created-before", "2026-02-30"], /--created-before must be an ISO 8601/],
  [["purge", "--created-before", "2099-01-01", "--status", "Running"], /'Running', which is not a status of a finished instance/],
  [["purge", "--created-before", "2099-01-01", "--status", ""], /--status must list at least one/],
  [["list", "--status", "Bogus"], /--status has an unknown runtime status "Bogus"/],
  [["list", "--created-from", "yesterday"], /--created-from must be an ISO 8601/],
  [["list", "--prefix", ""], /--prefix must not be empty/],
];

describe.each(STORE_KINDS)("on %s, the CLI", (kind) => {
  it("exits 2 with one line for each misuse, and changes nothing", { timeout: 120_000 }, async () => {
    rt = await startRuntimeOn(kind, app);
    await seed(rt);
    const before = await snapshot(rt!);
    for (const [args, message] of MISUSE) {
      const result = await cli(...args);
      expect({ args, code: result.code, out: result.out }).toEqual({ args, code: 2, out: "" });
      expect(result.err).toMatch(/^perdure: [^\n]*\n$/);
      expect(result.err).toMatch(message);
    }
    expect(await snapshot(rt!)).toEqual(before);
    // Used rightly, the same commands work.
    expect(await cli("status", "held")).toMatchObject({ code: 0 });
    expect(await cli("purge", "--created-before", "2099-01-01", "--status", "Completed")).toMatchObject({ code: 0, out: "Purged 1 instance.\n" });
    expect(await cli("entity", "get", "Counter", "c1")).toMatchObject({ code: 0, out: "2\n" });
  });

  it("answers an entity's id on the orchestration commands as not found (exit 1)", { timeout: 60_000 }, async () => {
    rt = await startRuntimeOn(kind, app);
    await rt.client.signalEntity(entityId(counter, "c1"), "add", 2);
    await waitUntil(async () => (await rt!.client.readEntityState(entityId(counter, "c1"))).exists, "the entity has state", 30_000);
    const before = await snapshot(rt!);
    for (const args of [["status", "@counter@c1"], ["terminate", "@counter@c1"], ["raise", "@counter@c1", "go"], ["purge", "@counter@c1"]]) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.err).toMatch(/^perdure: .*'@counter@c1'.*\n$/);
    }
    expect(await snapshot(rt!)).toEqual(before);
  });
});
