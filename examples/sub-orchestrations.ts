/**
 * Sub-orchestrations: a parent runs one child orchestration per region, in parallel, each child a
 * chain of its own; the parent gathers the children's reports. A child's failure reaches the
 * parent as a TaskFailedError, here retried once.
 *
 * Run: `npx tsx examples/sub-orchestrations.ts`.
 */
import { createApp } from "../src/index.js";
import { isMain, runExample } from "./run.js";

export const app = createApp();

export const fetchRegion = app.activity("FetchRegion", async (region: string) =>
  Array.from({ length: region.length + 2 }, (_, i) => (i + 1) * region.length),
);
export const aggregate = app.activity("Aggregate", async (input: { region: string; values: number[] }) => ({
  region: input.region,
  count: input.values.length,
  sum: input.values.reduce((a, b) => a + b, 0),
}));

export const regionReport = app.orchestration("RegionReport", function* (ctx, region: string) {
  const values = yield* ctx.callActivity(fetchRegion, region);
  return yield* ctx.callActivity(aggregate, { region, values });
});

export const globalReport = app.orchestration("GlobalReport", function* (ctx, regions: string[]) {
  const reports = yield* ctx.all(
    regions.map((region) =>
      ctx.callSubOrchestrator(regionReport, region, {
        instanceId: `${ctx.instanceId}:${region}`,
        retry: { firstRetryIntervalMs: 100, maxAttempts: 2 },
      }),
    ),
  );
  return { regions: reports.length, total: reports.reduce((s, r) => s + r.sum, 0), reports };
});

if (isMain(import.meta.url)) await runExample(app, globalReport, ["north", "south", "east", "west"]);
