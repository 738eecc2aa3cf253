/**
 * Monitor: poll a job until it is done, sleeping on a durable timer between checks, and keep the
 * history short by continuing as new after every check (an eternal orchestration pattern).
 *
 * Run: `npx tsx examples/monitor.ts`.
 */
import { createApp } from "../src/index.js";
import { isMain, runExample } from "./run.js";

export interface MonitorState {
  readonly jobId: string;
  readonly intervalMs: number;
  readonly maxChecks: number;
  readonly checks?: number;
}

export const app = createApp();

/** Stands in for asking a job service: the job is done on the third check. */
export const checkJob = app.activity("CheckJob", async (input: { jobId: string; check: number }) =>
  input.check >= 3 ? "done" : "running",
);
export const notify = app.activity("Notify", async (message: string) => message);

export const monitor = app.orchestration("JobMonitor", function* (ctx, state: MonitorState) {
  const check = (state.checks ?? 0) + 1;
  const status = yield* ctx.callActivity(checkJob, { jobId: state.jobId, check });
  ctx.setCustomStatus({ check, status });
  if (status === "done") {
    yield* ctx.callActivity(notify, `job ${state.jobId} finished after ${check} checks`);
    return { jobId: state.jobId, checks: check, status };
  }
  if (check >= state.maxChecks) return { jobId: state.jobId, checks: check, status: "gave up" };
  yield* ctx.createTimer(state.intervalMs);
  ctx.continueAsNew({ ...state, checks: check });
  return undefined;
});

if (isMain(import.meta.url)) await runExample(app, monitor, { jobId: "job-42", intervalMs: 500, maxChecks: 10 });
