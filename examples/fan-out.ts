/**
 * Fan-out/fan-in: measure every file of a batch in parallel, then add the results up.
 * The orchestration waits for all activities at once; each result is checkpointed as it lands.
 *
 * Run: `npx tsx examples/fan-out.ts`.
 */
import { createApp } from "../src/index.js";
import { isMain, runExample } from "./run.js";

export const app = createApp();

export const listFiles = app.activity("ListFiles", async (count: number) =>
  Array.from({ length: count }, (_, i) => `file-${String(i).padStart(3, "0")}.csv`),
);

/** Stands in for reading a file: its size is derived from its name. */
export const measureFile = app.activity("MeasureFile", async (file: string) => {
  let size = 0;
  for (const c of file) size = (size * 33 + c.charCodeAt(0)) % 100_000;
  return { file, bytes: size };
});

export const fanOut = app.orchestration("FanOutFanIn", function* (ctx, count: number) {
  const files = yield* ctx.callActivity(listFiles, count);
  const sizes = yield* ctx.all(files.map((file) => ctx.callActivity(measureFile, file)));
  const totalBytes = sizes.reduce((sum, s) => sum + s.bytes, 0);
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { files: sizes.length, totalBytes, largest: largest.file };
});

if (isMain(import.meta.url)) await runExample(app, fanOut, 50);
