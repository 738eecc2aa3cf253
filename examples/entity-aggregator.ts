/**
 * Durable entities: an aggregator fed by many orchestrations. Each RecordSale orchestration
 * prices one sale with an activity and signals the day's aggregator; the aggregator, a class
 * whose fields are its state, adds sales up one at a time, so no sale is lost to a race.
 *
 * Run: `npx tsx examples/entity-aggregator.ts`
 */
import { createApp, createClient, createWorker, entityId, sqlite } from "../src/index.js";
import { isMain } from "./run.js";

export interface Sale {
  readonly region: string;
  readonly units: number;
}
export interface PricedSale {
  readonly region: string;
  readonly amount: number;
}

/** The day's sales: totals overall and per region. */
export class SalesAggregator {
  total = 0;
  count = 0;
  byRegion: Record<string, number> = {};

  record(sale: PricedSale): void {
    this.total += sale.amount;
    this.count += 1;
    this.byRegion[sale.region] = (this.byRegion[sale.region] ?? 0) + sale.amount;
  }

  summary(): { total: number; count: number; byRegion: Record<string, number> } {
    return { total: this.total, count: this.count, byRegion: this.byRegion };
  }
}

export const app = createApp();
export const aggregator = app.entity("SalesAggregator", SalesAggregator);

export const priceSale = app.activity("PriceSale", async (sale: Sale): Promise<PricedSale> => ({
  region: sale.region,
  amount: sale.units * 10,
}));

/** Prices a sale and adds it to the aggregator of `day`. */
export const recordSale = app.orchestration("RecordSale", function* (ctx, input: { day: string; sale: Sale }) {
  const priced = yield* ctx.callActivity(priceSale, input.sale);
  ctx.signalEntity(entityId(aggregator, input.day), "record", priced);
  return priced.amount;
});

/** Reads the aggregator of `day`. */
export const dailyReport = app.orchestration("DailyReport", function* (ctx, day: string) {
  return yield* ctx.callEntity(entityId(aggregator, day), "summary");
});

if (isMain(import.meta.url)) {
  const store = sqlite(process.env.PERDURE_DB ?? "perdure.db");
  const worker = createWorker(app, store).start();
  const client = createClient(store, { app });
  try {
    const day = new Date().toISOString().slice(0, 10);
    const regions = ["north", "south", "east", "west"];
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.startNew(recordSale, { input: { day, sale: { region: regions[i % 4]!, units: i + 1 } } })),
    );
    for (const id of ids) await client.waitForCompletion(id, { timeoutMs: 30_000 });
    const report = await client.startNew(dailyReport, { input: day });
    console.log("Report:", (await client.waitForCompletion(report, { timeoutMs: 30_000 })).output);
  } finally {
    await worker.stop();
    await store.close();
  }
}
