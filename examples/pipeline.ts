/**
 * Function chaining, as in the article Perdure grew from: DownloadData → Process → Summarize,
 * and CleanUp when any step fails. Each step is checkpointed; kill the process mid-run and start
 * it again, and the pipeline carries on from the last finished step.
 *
 * Run: `npm start` (or `npx tsx examples/pipeline.ts [--fail]`).
 */
import { createApp, NonRetriableError } from "../src/index.js";
import { isMain, runExample } from "./run.js";

export interface Sale {
  readonly region: string;
  readonly amount: number;
}
export interface Summary {
  readonly day: string;
  readonly rows: number;
  readonly total: number;
  readonly byRegion: Record<string, number>;
}
export interface PipelineInput {
  readonly day: string;
  /** Make the Process step fail, to see the clean-up path. */
  readonly failProcessing?: boolean;
}

export const app = createApp();

/** Stands in for a download: a deterministic day of sales, with a few malformed rows. */
export const downloadData = app.activity("DownloadData", async (input: PipelineInput): Promise<Array<Sale | null>> => {
  const regions = ["north", "south", "east", "west"];
  let seed = [...input.day].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
  const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: 200 }, (_, i) =>
    i % 50 === 49 ? null : { region: regions[Math.floor(next() * regions.length)]!, amount: Math.round(next() * 10_000) / 100 },
  );
});

export const processRows = app.activity("Process", async (input: { rows: Array<Sale | null>; fail?: boolean }): Promise<Sale[]> => {
  if (input.fail) throw new NonRetriableError("the processing service rejected the batch");
  return input.rows.filter((r): r is Sale => r !== null && r.amount > 0);
});

export const summarize = app.activity("Summarize", async (input: { day: string; rows: Sale[] }): Promise<Summary> => {
  const byRegion: Record<string, number> = {};
  for (const r of input.rows) byRegion[r.region] = Math.round(((byRegion[r.region] ?? 0) + r.amount) * 100) / 100;
  const total = Math.round(input.rows.reduce((s, r) => s + r.amount, 0) * 100) / 100;
  return { day: input.day, rows: input.rows.length, total, byRegion };
});

export const cleanUp = app.activity("CleanUp", async (day: string): Promise<void> => {
  // A real pipeline would delete temporary files or roll back partial writes here.
  void day;
});

/** How the download is retried: four attempts, 30 s apart at first, twice as long each time. */
export const DOWNLOAD_RETRY = Object.freeze({ firstRetryIntervalMs: 30_000, backoffCoefficient: 2, maxAttempts: 4 });

export const pipeline = app.orchestration("Pipeline", function* (ctx, input: PipelineInput) {
  try {
    // A download that fails is tried again after 30 s, 60 s and 120 s before the pipeline gives up.
    const dataset = yield* ctx.callActivity(downloadData, input, { retry: DOWNLOAD_RETRY });
    ctx.setCustomStatus({ stage: "processing", rows: dataset.length });
    const outputs = yield* ctx.callActivity(processRows, { rows: dataset, fail: input.failProcessing });
    ctx.setCustomStatus({ stage: "summarizing", rows: outputs.length });
    const summary = yield* ctx.callActivity(summarize, { day: input.day, rows: outputs });
    ctx.setCustomStatus({ stage: "done" });
    return summary;
  } catch (error) {
    ctx.log.warn(`pipeline failed, cleaning up: ${(error as Error).message}`);
    yield* ctx.callActivity(cleanUp, input.day);
    return "Something went wrong";
  }
});

if (isMain(import.meta.url)) {
  const fail = process.argv.includes("--fail");
  await runExample(app, pipeline, { day: "2026-11-28", failProcessing: fail });
}
