/**
 * The Store conformance suite: every adapter runs it with a few lines, and passes it before it is
 * used. Each `describe` group checks one invariant of the port (store.ts) or of DESIGN.md; each
 * test gets a fresh store from the factory and a clock that moves only when the test says so.
 *
 * @example
 * import { describeStoreConformance } from "../../src/store/conformance/conformance.js";
 * describeStoreConformance("sqlite", async ({ clock }) => sqlite(":memory:", { clock }));
 *
 * @module
 */
import { describe } from "vitest";
import { activityCases } from "./activity-cases.js";
import { entityCases } from "./entity-cases.js";
import { episodeCases } from "./episode-cases.js";
import { hubCases } from "./hub-cases.js";
import { instanceCases } from "./instance-cases.js";
import { lifecycleCases } from "./lifecycle-cases.js";
import { messageCases } from "./message-cases.js";
import { parkingCases } from "./parking-cases.js";
import { versionCases } from "./version-cases.js";
import { queryCases } from "./query-cases.js";
import type { StoreFactory } from "./fixtures.js";

export type { StoreFactory } from "./fixtures.js";
export { TestClock } from "./fixtures.js";

/** Registers the conformance groups for the adapter `name`, whose stores `factory` makes. */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    episodeCases(factory);
    messageCases(factory);
    activityCases(factory);
    instanceCases(factory);
    lifecycleCases(factory);
    entityCases(factory);
    parkingCases(factory);
    versionCases(factory);
    queryCases(factory);
    hubCases(factory);
  });
}
