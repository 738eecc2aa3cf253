/**
 * Human interaction: ask for an approval and wait for the answer as an external event, with a
 * timeout after which the request is escalated. Raise the event with
 * `client.raiseEvent(instanceId, "Approval", { approved: true, by: "ana" })`.
 *
 * Run: `npx tsx examples/approval.ts` (nobody answers, so it escalates after the timeout).
 */
import { createApp, EventTimeoutError } from "../src/index.js";
import { isMain, runExample } from "./run.js";

export interface ApprovalRequest {
  readonly amount: number;
  readonly requester: string;
  readonly timeoutMs: number;
}
export interface Approval {
  readonly approved: boolean;
  readonly by: string;
}

export const app = createApp();

export const requestApproval = app.activity("RequestApproval", async (req: ApprovalRequest) => {
  // A real app would send an e-mail or a chat message with a link that raises the event.
  return `approval requested for ${req.amount} by ${req.requester}`;
});
export const escalate = app.activity("Escalate", async (req: ApprovalRequest) => `escalated ${req.amount} to a manager`);
export const processPayment = app.activity("ProcessPayment", async (req: ApprovalRequest) => `paid ${req.amount}`);

export const approvalWorkflow = app.orchestration("ApprovalWorkflow", function* (ctx, req: ApprovalRequest) {
  yield* ctx.callActivity(requestApproval, req);
  ctx.setCustomStatus("waiting for approval");
  try {
    const answer = yield* ctx.waitForExternalEvent<Approval>("Approval", { timeoutMs: req.timeoutMs });
    if (!answer.approved) return { outcome: "rejected", by: answer.by };
    const receipt = yield* ctx.callActivity(processPayment, req);
    return { outcome: "approved", by: answer.by, receipt };
  } catch (error) {
    if (!(error instanceof EventTimeoutError)) throw error;
    const note = yield* ctx.callActivity(escalate, req);
    return { outcome: "escalated", note };
  }
});

if (isMain(import.meta.url)) await runExample(app, approvalWorkflow, { amount: 1200, requester: "sam", timeoutMs: 2000 });
