/**
 * Entity batches for remote workers: which of a leased entity's messages are operations for a
 * worker to run (the EntityBatchRequest it is sent), and how its answer (an EntityBatchResult)
 * becomes the same commit our own entity processor writes.
 *
 * Invariants kept here:
 * 1. The lock protocol stays Perdure's, and so do the order of the operations and which of them
 *    wait for a lock: the entity batch executor decides which operations run (`planEntityBatch`),
 *    and runs the batch again with the worker's outcomes (`entityCommitFromResult`). Only
 *    operations reach a worker. Both runs see the same stored entity and messages (the lease is
 *    held in between), so they agree operation by operation.
 * 2. Payloads pass through unchanged: a caller gets its operation's result or failure as the
 *    worker sent it, and the entity's state becomes the JSON text the worker sent. A batch whose
 *    operations all failed keeps the stored state (the SDKs roll a failed operation back).
 * 3. The signals and orchestration starts of a batch are those of its successful operations (the
 *    SDKs drop a failed operation's actions); signals travel in the batch's commit.
 * 4. An answer that cannot be applied (results that do not match the operations sent, a signal to
 *    something that is not an entity, an orchestration without a name or with too large an input)
 *    fails every operation of the batch with the reason and changes nothing else, so that no
 *    caller waits forever.
 *
 * @module
 */
import {
  executeEntityBatch,
  type EntityDefinition,
  type EntityOperationResult,
  type EntityOutgoing,
  type OperationFrame,
} from "../core/entity/entity-batch.js";
import { entityInstanceId, parseEntityInstanceId, toEntityId } from "../core/entity/entity-id.js";
import { parseEntityRecord } from "../core/entity/entity-record.js";
import { toFailureDetails } from "../core/errors.js";
import { newEvent } from "../core/history.js";
import { instanceIdProblem, uuidV5 } from "../core/ids.js";
import { entityBatchCommit, entityNameOf } from "../runtime/entity-processor.js";
import type { Logger } from "../runtime/logger.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, checkPayload } from "../runtime/payloads.js";
import type { OrchestrationCommit, OrchestrationWorkItem } from "../store/store.js";
import { fromWireFailure, fromWireString, optionalTime, toWireString } from "./codec.js";
import { ProtocolError } from "./errors.js";
import type { WireEntityBatchRequest, WireEntityBatchResult, WireOperationAction } from "./wire.js";

/** A StartInstance request (see management.ts) for an orchestration an entity starts. */
export type EntityStartRequest = Record<string, unknown> & { readonly instanceId: string; readonly name: string };

export interface RemoteEntityCommit {
  readonly commit: OrchestrationCommit;
  /** Orchestrations the batch starts, to create before the commit is applied. */
  readonly starts: readonly EntityStartRequest[];
}

/** The operations of a leased entity's messages that run now, in order (those waiting for a lock are left out). */
export function planEntityBatch(item: OrchestrationWorkItem, now: string): readonly OperationFrame[] {
  const operations: OperationFrame[] = [];
  executeEntityBatch(
    outcomes(item, (frame) => {
      operations.push(frame);
      return { ok: true, output: undefined, state: frame.state, signals: [] };
    }),
    { instanceId: item.instance.instanceId, stored: item.instance.entityState, messages: item.messages.map((m) => m.event), now },
  );
  return operations;
}

/** The work item a worker is sent for the planned operations. */
export function entityBatchRequest(item: OrchestrationWorkItem, operations: readonly OperationFrame[]): WireEntityBatchRequest {
  const instanceId = item.instance.instanceId;
  return {
    instanceId,
    entityState: toWireString(parseEntityRecord(item.instance.entityState, instanceId).state),
    operations: operations.map((op) => ({ operation: op.operation, requestId: op.requestId, input: toWireString(op.input) })),
  };
}

/**
 * The commit of a worker's answer to the planned operations (no operations and an empty answer:
 * a batch of lock messages only, applied without a worker).
 */
export function entityCommitFromResult(
  item: OrchestrationWorkItem,
  operations: readonly OperationFrame[],
  result: WireEntityBatchResult,
  now: string,
  logger: Logger,
): RemoteEntityCommit {
  let results: EntityOperationResult[];
  let starts: EntityStartRequest[] = [];
  try {
    ({ results, starts } = outcomesOf(item, operations.length, result, now));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    logger.warn(`The answer for entity '${item.instance.instanceId}' cannot be applied; its operations fail.`, error);
    const failureDetails = toFailureDetails(error);
    results = operations.map(() => ({ ok: false, failureDetails }));
    starts = [];
  }
  let next = 0;
  const commit = entityBatchCommit(
    outcomes(item, () => results[next++] ?? { ok: false, failureDetails: toFailureDetails(new ProtocolError("No outcome for this operation.")) }),
    { instance: item.instance, messages: item.messages, now },
    { logger },
  );
  return { commit, starts };
}

function outcomes(item: OrchestrationWorkItem, outcome: (frame: OperationFrame) => EntityOperationResult): EntityDefinition {
  return { name: entityNameOf(item.instance), kind: "outcomes", outcome };
}

/** @throws ProtocolError for an answer that does not fit the operations sent (invariant 4). */
function outcomesOf(
  item: OrchestrationWorkItem,
  sent: number,
  result: WireEntityBatchResult,
  now: string,
): { results: EntityOperationResult[]; starts: EntityStartRequest[] } {
  const answered = result.results ?? [];
  if (answered.length !== sent) {
    throw new ProtocolError(`The worker answered ${answered.length} operation results for the ${sent} operations it was sent.`);
  }
  const lastSuccess = answered.findLastIndex((r) => r.failure == null);
  const signals: EntityOutgoing[] = [];
  const starts: EntityStartRequest[] = [];
  if (lastSuccess >= 0) (result.actions ?? []).forEach((action, index) => actionOf(action, index, item, now, signals, starts));
  const state = fromWireString(result.entityState);
  const results = answered.map((r, i): EntityOperationResult => {
    if (r.failure != null) return { ok: false, failureDetails: fromWireFailure(r.failure.failureDetails ?? {}) };
    return { ok: true, output: fromWireString(r.success?.result), state, signals: i === lastSuccess ? signals : [] };
  });
  return { results, starts };
}

function actionOf(
  action: WireOperationAction,
  index: number,
  item: OrchestrationWorkItem,
  now: string,
  signals: EntityOutgoing[],
  starts: EntityStartRequest[],
): void {
  const self = item.instance.instanceId;
  if (action.sendSignal != null) {
    const { instanceId = "", name: operation = "", input, scheduledTime } = action.sendSignal;
    const target = checkedEntity(instanceId, `Action ${index} signals`);
    if (operation === "") throw new ProtocolError(`Action ${index} signals entity '${target}' without an operation name.`);
    // The same answer, applied again after a lost commit, sends the same request ids.
    const requestId = uuidV5(`${self}:${item.messages[0]?.id ?? ""}:${index}`);
    const at = optionalTime(scheduledTime);
    const event = newEvent("EntityOperationSignaled", now, { requestId, operation, scheduledTime: at, input: fromWireString(input), targetInstanceId: target });
    signals.push({ instanceId: target, event, visibleAt: at, toEntity: true });
  } else if (action.startNewOrchestration != null) {
    const { instanceId: requested = "", name = "", ...rest } = action.startNewOrchestration;
    if (name === "") throw new ProtocolError(`Action ${index} starts an orchestration without a name.`);
    // Unnamed: named after the batch and the action, so that the same answer applied again (after
    // a lost commit) finds the instance it started and does not start a second one.
    const instanceId = requested === "" ? uuidV5(`${self}:${item.messages[0]?.id ?? ""}:${index}:start`).replace(/-/g, "") : requested;
    const problem = instanceIdProblem(instanceId);
    if (problem !== undefined) throw new ProtocolError(`Action ${index} starts orchestration '${name}' as '${instanceId}': ${problem}.`);
    const { scheduledTime, ...fields } = rest;
    try {
      checkPayload(fromWireString(fields.input), `The input of orchestration '${name}'`, DEFAULT_MAX_PAYLOAD_BYTES);
    } catch (error) {
      throw new ProtocolError(`Action ${index} cannot start orchestration '${name}': ${(error as Error).message}`);
    }
    starts.push({ ...fields, instanceId, name, scheduledStartTimestamp: scheduledTime });
  } else {
    throw new ProtocolError(`Action ${index} of entity '${self}' has no kind this server knows.`);
  }
}

function checkedEntity(instanceId: string, what: string): string {
  const id = parseEntityInstanceId(instanceId);
  try {
    if (id === undefined) throw new ProtocolError(`an entity id has the form '@<name>@<key>'`);
    return entityInstanceId(toEntityId(id.name, id.key));
  } catch (error) {
    throw new ProtocolError(`${what} '${instanceId}', which is not an entity: ${(error as Error).message}`);
  }
}
