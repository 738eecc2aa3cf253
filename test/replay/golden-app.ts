/**
 * The orchestrations whose recorded histories are kept as golden files (test/replay/*.json).
 * Their code must keep replaying those histories exactly: change it only together with a new
 * orchestration name or version, never in place.
 *
 * `buildGoldenApp(VARIANT_STEPS)` builds the same app with one step renamed in every
 * orchestration, as a careless in-place edit would; replaying the goldens against it must fail.
 */
import type { HistoryEvent } from "../../src/core/history.js";
import { createApp, type App } from "../../src/sdk/app.js";

/** What a golden file (test/replay/*.json) holds: one execution's history and how it ended. */
export interface GoldenFile {
  readonly orchestration: string;
  readonly history: HistoryEvent[];
  /** The execution's end; `output` is the output's JSON value, absent when there is none. */
  readonly expected: { readonly status: string; readonly output?: unknown };
}

/** The names of the steps that a variant renames. */
export interface StepNames {
  readonly process: string;
  readonly aggregate: string;
  readonly requestApproval: string;
  readonly checkStatus: string;
  readonly provisionChild: string;
  readonly createResource: string;
}

export const GOLDEN_STEPS: StepNames = Object.freeze({
  process: "Process",
  aggregate: "Aggregate",
  requestApproval: "RequestApproval",
  checkStatus: "CheckStatus",
  provisionChild: "Provision",
  createResource: "CreateResource",
});

export const VARIANT_STEPS: StepNames = Object.freeze({
  process: "Transform",
  aggregate: "Combine",
  requestApproval: "AskForApproval",
  checkStatus: "GetStatus",
  provisionChild: "ProvisionV2",
  createResource: "AllocateResource",
});

/** Polls per execution of the monitor before it continues as new. */
export const MONITOR_POLLS_PER_EXECUTION = 2;
export const MONITOR_INTERVAL_MS = 5 * 60_000;
export const APPROVAL_TIMEOUT_MS = 24 * 60 * 60_000;
export const PROVISION_RETRY = Object.freeze({ firstRetryIntervalMs: 5000, maxAttempts: 3, backoffCoefficient: 2 });

type Row = { readonly id: number; readonly value: number };

export function buildGoldenApp(steps: StepNames = GOLDEN_STEPS): App {
  const app = createApp();
  registerPipeline(app, steps);
  registerFanOut(app, steps);
  registerApproval(app, steps);
  registerMonitor(app, steps);
  registerProvisioning(app, steps);
  return app;
}

/** The seed: DownloadData → Process → Summarize, CleanUp when a step fails. */
function registerPipeline(app: App, steps: StepNames): void {
  const download = app.activity("DownloadData", async (): Promise<Row[]> => []);
  const process = app.activity(steps.process, async (rows: Row[]) => rows);
  const summarize = app.activity("Summarize", async (rows: Row[]) => ({ count: rows.length }));
  const cleanUp = app.activity("CleanUp", async () => undefined);
  app.orchestration("Pipeline", function* (ctx) {
    try {
      const rows = yield* ctx.callActivity(download);
      const clean = yield* ctx.callActivity(process, rows);
      return yield* ctx.callActivity(summarize, clean);
    } catch {
      yield* ctx.callActivity(cleanUp);
      return "Something went wrong";
    }
  });
}

/** Fan-out/fan-in: one ProcessItem per work item, in parallel, then one aggregate. */
function registerFanOut(app: App, steps: StepNames): void {
  const getItems = app.activity("GetWorkItems", async (batch: string): Promise<string[]> => [batch]);
  const processItem = app.activity("ProcessItem", async (item: string) => item.length);
  const aggregate = app.activity(steps.aggregate, async (sizes: number[]) => sizes.reduce((a, b) => a + b, 0));
  app.orchestration("FanOutFanIn", function* (ctx, batch: string) {
    const items = yield* ctx.callActivity(getItems, batch);
    ctx.setCustomStatus({ items: items.length });
    const sizes = yield* ctx.all(items.map((item) => ctx.callActivity(processItem, item)));
    return { items: items.length, total: yield* ctx.callActivity(aggregate, sizes) };
  });
}

/** Human interaction: ask, then wait for an answer or escalate after a day. */
function registerApproval(app: App, steps: StepNames): void {
  const request = app.activity(steps.requestApproval, async (_order: string) => undefined);
  const approve = app.activity("ApproveOrder", async (order: string) => `approved ${order}`);
  const escalate = app.activity("Escalate", async (order: string) => `escalated ${order}`);
  app.orchestration("Approval", function* (ctx, order: string) {
    yield* ctx.callActivity(request, order);
    try {
      const answer = yield* ctx.waitForExternalEvent<{ approved: boolean; by: string }>("ApprovalEvent", {
        timeoutMs: APPROVAL_TIMEOUT_MS,
      });
      if (!answer.approved) return `rejected by ${answer.by}`;
      return yield* ctx.callActivity(approve, order);
    } catch {
      return yield* ctx.callActivity(escalate, order);
    }
  });
}

/** An eternal monitor: poll, sleep, and continue as new every few polls to keep history short. */
function registerMonitor(app: App, steps: StepNames): void {
  const check = app.activity(steps.checkStatus, async (_job: string): Promise<string> => "running");
  const notify = app.activity("Notify", async (_message: string) => undefined);
  app.orchestration("Monitor", function* (ctx, state: { job: string; polls: number }) {
    for (let i = 0; i < MONITOR_POLLS_PER_EXECUTION; i++) {
      const polls = state.polls + i + 1;
      const status = yield* ctx.callActivity(check, state.job);
      ctx.setCustomStatus({ polls, status });
      if (status === "done") {
        yield* ctx.callActivity(notify, `${state.job} done after ${polls} polls`);
        return { job: state.job, polls };
      }
      yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + MONITOR_INTERVAL_MS));
    }
    ctx.continueAsNew({ job: state.job, polls: state.polls + MONITOR_POLLS_PER_EXECUTION });
    return undefined;
  });
}

/** A sub-orchestration under a retry policy, and the child's own activity. */
function registerProvisioning(app: App, steps: StepNames): void {
  const createResource = app.activity(steps.createResource, async (spec: { region: string }) => `${spec.region}-1`);
  app.orchestration("Provision", function* (ctx, region: string) {
    const id = yield* ctx.callActivity(createResource, { region });
    return { region, id, requestId: ctx.newGuid() };
  });
  app.orchestration("ProvisionAll", function* (ctx, regions: string[]) {
    const results: unknown[] = [];
    for (const region of regions) {
      results.push(yield* ctx.callSubOrchestrator(steps.provisionChild, region, { retry: PROVISION_RETRY }));
    }
    return results;
  });
}
