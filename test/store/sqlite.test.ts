import { describeStoreConformance } from "../../src/store/conformance/conformance.js";
import { sqlite } from "../../src/store/sqlite/index.js";

describeStoreConformance("sqlite", async ({ clock }) => sqlite(":memory:", { clock }));
