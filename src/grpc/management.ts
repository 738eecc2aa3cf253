/**
 * The client side of the protocol: starting, reading, waiting for and managing instances, on the
 * same store (and so the same instances, histories and statuses) as Perdure's own client and CLI.
 *
 * Invariants kept here:
 * 1. Every input is checked before anything is written; errors carry a code that maps to the
 *    status the SDKs expect (errors.ts): an unknown instance is NOT_FOUND, a taken id
 *    ALREADY_EXISTS, a wrong status FAILED_PRECONDITION.
 * 2. Payloads pass through unchanged: the SDKs send JSON text, which is what Perdure stores.
 * 3. Operations that need no orchestration code (raising to, suspending or terminating an ended
 *    instance) succeed without effect, as the protocol's reference backend does.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import { newEvent, type ExecutionStartedEvent, type HistoryEvent } from "../core/history.js";
import { hasControlCharacter, validateInstanceId } from "../core/ids.js";
import type { Client } from "../runtime/client.js";
import type { App } from "../sdk/app.js";
import { newExecutionId, newInstanceId } from "../runtime/ids.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, checkPayload } from "../runtime/payloads.js";
import { InstanceNotFoundError, InvalidInstanceStateError } from "../store/errors.js";
import { isTerminal, type FinishedInstance, type IdReusePolicy, type InstanceRecord, type NewMessage, type Store } from "../store/store.js";
import { fromWireString, fromWireTimestamp, isUnsetTimestamp, optionalTime, toWireEvent, toWireString } from "./codec.js";
import type { Dispatcher } from "./dispatcher.js";
import { fromWireStatuses, toWireState } from "./state.js";
import type { WireStatus, WireString } from "./wire.js";

/**
 * A request as the loader decodes it (see wire.ts for the conventions). Loose on purpose: every
 * field may be absent, and each is read with its default.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Req = Record<string, any>;

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const HISTORY_CHUNK = 500;

export class Management {
  constructor(
    private readonly store: Store,
    private readonly client: Client,
    private readonly dispatcher: Dispatcher,
    /** The app of a worker of ours sharing the store: its orchestrations start on their newest version. */
    private readonly app?: App | undefined,
  ) {}

  async startInstance(req: Req): Promise<{ instanceId: string }> {
    const name: string = req.name ?? "";
    if (name === "") throw new InvalidArgumentError("StartInstance needs the orchestration's name.");
    const instanceId: string = req.instanceId || newInstanceId();
    validateInstanceId(instanceId);
    const input = checkPayload(fromWireString(req.input), `The input of '${name}'`, DEFAULT_MAX_PAYLOAD_BYTES);
    // A start that names no version runs the newest version our app registers, as our client's does.
    const version = fromWireString(req.version) ?? this.app?.getOrchestration(name)?.version;
    const now = this.now();
    // The JavaScript SDK always sends a start time, the epoch when none was asked for: at or before now means now.
    const at = isUnsetTimestamp(req.scheduledStartTimestamp) ? undefined : fromWireTimestamp(req.scheduledStartTimestamp);
    const scheduledStartAt = at !== undefined && Date.parse(at) > this.store.now() ? at : undefined;
    const requestedExecutionId = fromWireString(req.executionId);
    const executionId = requestedExecutionId !== undefined && /^[0-9a-f]{32}$/.test(requestedExecutionId) ? requestedExecutionId : newExecutionId();
    const tags = nonEmpty(req.tags as Record<string, string> | undefined);
    const startEvent: ExecutionStartedEvent = {
      ...newEvent("ExecutionStarted", now, { name, version, input, instanceId, executionId, scheduledStartTime: scheduledStartAt, tags }),
      ...(req.parentTraceContext == null ? {} : { wire: { parentTraceContext: req.parentTraceContext } }),
    };
    const reuse = await this.reusePolicy(instanceId, req.orchestrationIdReusePolicy?.replaceableStatus);
    await this.store.createInstance({ instanceId, name, version, executionId, input, scheduledStartAt, startEvent, reuse });
    return { instanceId };
  }

  async getInstance(req: Req): Promise<object> {
    const record = await this.orchestration(req.instanceId ?? "");
    return record === undefined ? { exists: false } : this.stateOf(record, req.getInputsAndOutputs === true);
  }

  /** The response of GetInstance for a record: the state, with the tags its execution started with. */
  async stateOf(record: InstanceRecord, withPayloads: boolean): Promise<object> {
    const { events } = await this.store.getHistory(record.instanceId, { pageSize: 2 });
    const started = events.find((e) => e.type === "ExecutionStarted");
    return { exists: true, orchestrationState: toWireState(record, withPayloads, started) };
  }

  async raiseEvent(req: Req): Promise<object> {
    const name: string = req.name ?? "";
    if (name === "") throw new InvalidArgumentError("RaiseEvent needs the event's name.");
    const input = checkPayload(fromWireString(req.input), `The data of event '${name}'`, DEFAULT_MAX_PAYLOAD_BYTES);
    const record = await this.require(req.instanceId);
    if (isTerminal(record.status)) return {};
    await this.send({ instanceId: record.instanceId, event: newEvent("EventRaised", this.now(), { name, input }) });
    return {};
  }

  async terminate(req: Req): Promise<object> {
    await this.terminateOne(await this.require(req.instanceId), fromWireString(req.output), req.recursive === true);
    return {};
  }

  private async terminateOne(record: InstanceRecord, reason: string | undefined, recurse: boolean): Promise<void> {
    if (isTerminal(record.status)) return;
    const event = newEvent("ExecutionTerminated", this.now(), { reason, recurse: recurse || undefined });
    await this.send({ instanceId: record.instanceId, event });
    // A held, undelivered work item of the instance would otherwise keep the termination waiting for a worker.
    await this.dispatcher.release(record.instanceId);
    if (!recurse) return;
    let continuationToken: string | undefined;
    do {
      const page = await this.store.queryInstances({ parentInstanceId: record.instanceId, pageSize: 500, continuationToken });
      for (const child of page.instances) await this.terminateOne(child, reason, true);
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }

  async suspend(req: Req): Promise<object> {
    const record = await this.require(req.instanceId);
    if (isTerminal(record.status) || record.status === "Suspended") return {};
    await this.send({ instanceId: record.instanceId, event: newEvent("ExecutionSuspended", this.now(), { reason: fromWireString(req.reason) }) });
    return {};
  }

  async resume(req: Req): Promise<object> {
    const record = await this.require(req.instanceId);
    if (isTerminal(record.status)) return {};
    await this.send({ instanceId: record.instanceId, event: newEvent("ExecutionResumed", this.now(), { reason: fromWireString(req.reason) }) });
    return {};
  }

  /** Rewinds a Failed instance the way Perdure's client does, whoever runs its code. */
  async rewind(req: Req): Promise<object> {
    await this.client.rewind(req.instanceId ?? "", fromWireString(req.reason));
    return {};
  }

  async restart(req: Req): Promise<{ instanceId: string }> {
    const record = await this.require(req.instanceId);
    const newId = req.restartWithNewInstanceId === true;
    if (!newId && !isTerminal(record.status)) {
      throw new InvalidInstanceStateError(record.instanceId, record.status, "restart", "a Completed, Failed or Terminated instance (or a new instance id)");
    }
    const { events } = await this.store.getHistory(record.instanceId, { pageSize: 2 });
    const started = events.find((e): e is ExecutionStartedEvent => e.type === "ExecutionStarted");
    const instanceId = newId ? newInstanceId() : record.instanceId;
    const executionId = newExecutionId();
    const { name, version, input } = record;
    await this.store.createInstance({
      instanceId,
      name,
      version,
      executionId,
      input,
      reuse: "ifTerminal",
      startEvent: newEvent("ExecutionStarted", this.now(), { name, version, input, instanceId, executionId, tags: started?.tags }),
    });
    return { instanceId };
  }

  async queryInstances(req: Req): Promise<object> {
    const query: Req = req.query ?? {};
    const page = await this.store.queryInstances({
      statuses: fromWireStatuses(query.runtimeStatus),
      createdFrom: optionalTime(query.createdTimeFrom),
      createdTo: optionalTime(query.createdTimeTo),
      instanceIdPrefix: fromWireString(query.instanceIdPrefix) || undefined,
      pageSize: pageSizeOf(query.maxInstanceCount),
      continuationToken: fromWireString(query.continuationToken) || undefined,
    });
    return {
      orchestrationState: page.instances.map((r) => toWireState(r, query.fetchInputsAndOutputs === true)),
      continuationToken: toWireString(page.continuationToken),
    };
  }

  /**
   * Ids of finished instances in the order they finished, by pages. The key of a page is its last
   * instance, `<completion time>|<instance id>`, as the protocol's reference backend writes it: an
   * instance that finishes later comes after every key handed out, so a caller may keep a key and
   * resume from it later. The completion window's end is excluded.
   */
  async listInstanceIds(req: Req): Promise<object> {
    const after = decodeListKey(fromWireString(req.lastInstanceKey as WireString | undefined));
    const page = await this.store.listFinishedInstances({
      statuses: fromWireStatuses(req.runtimeStatus as WireStatus[] | undefined),
      completedFrom: optionalTime(req.completedTimeFrom),
      completedTo: optionalTime(req.completedTimeTo),
      after,
      pageSize: pageSizeOf(req.pageSize),
    });
    const last = page.instances[page.instances.length - 1];
    return {
      instanceIds: page.instances.map((i) => i.instanceId),
      lastInstanceKey: page.more && last !== undefined ? { value: `${last.completedAt}|${last.instanceId}` } : undefined,
    };
  }

  async purgeInstances(req: Req): Promise<object> {
    const recursive = req.recursive === true;
    let deleted = 0;
    if (req.instanceId !== undefined && req.instanceId !== "") {
      deleted = await this.purgeOne(req.instanceId, recursive);
    } else if (req.instanceBatch != null) {
      for (const id of (req.instanceBatch.instanceIds ?? []) as string[]) deleted += await this.purgeOne(id, recursive);
    } else if (req.purgeInstanceFilter != null) {
      const f: Req = req.purgeInstanceFilter;
      const filter = { statuses: fromWireStatuses(f.runtimeStatus), createdFrom: optionalTime(f.createdTimeFrom), createdTo: optionalTime(f.createdTimeTo) };
      if (!recursive) {
        for (let n = -1; n !== 0; deleted += n) n = await this.store.purgeInstances(filter, 500);
      } else {
        // Children first, one instance at a time, so that each one's sub-orchestrations go with it.
        for (let page = await this.store.queryInstances({ ...filter, pageSize: 500 }); ; ) {
          for (const record of page.instances) if (isTerminal(record.status)) deleted += await this.purgeOne(record.instanceId, true);
          if (page.continuationToken === undefined) break;
          page = await this.store.queryInstances({ ...filter, pageSize: 500, continuationToken: page.continuationToken });
        }
      }
    } else {
      throw new InvalidArgumentError("PurgeInstances needs an instanceId, an instanceBatch or a purgeInstanceFilter.");
    }
    return { deletedInstanceCount: deleted, isComplete: { value: true } };
  }

  /** Purges a terminal instance (and, with `recursive`, its terminal sub-orchestrations). A running one counts 0. */
  private async purgeOne(instanceId: string, recursive: boolean): Promise<number> {
    const record = await this.orchestration(instanceId);
    if (record === undefined || !isTerminal(record.status)) return 0;
    let deleted = 0;
    if (recursive) {
      const children = await this.store.queryInstances({ parentInstanceId: instanceId, pageSize: MAX_PAGE_SIZE });
      for (const child of children.instances) deleted += await this.purgeOne(child.instanceId, true);
    }
    try {
      return deleted + (await this.store.purgeInstance(instanceId));
    } catch (error) {
      if (error instanceof InvalidInstanceStateError) return deleted;
      throw error;
    }
  }

  /** The current execution's history, in chunks. @throws InstanceNotFoundError for an unknown instance or execution. */
  async *history(req: Req): AsyncGenerator<{ events: object[] }> {
    const record = await this.require(req.instanceId);
    const executionId = fromWireString(req.executionId);
    if (executionId !== undefined && executionId !== "" && executionId !== record.executionId) throw new InstanceNotFoundError(record.instanceId);
    let after: number | undefined;
    for (;;) {
      const page = await this.store.getHistory(record.instanceId, { after, pageSize: HISTORY_CHUNK });
      if (page.events.length > 0) yield { events: page.events.map((e: HistoryEvent) => toWireEvent(e)) };
      if (page.next === undefined) return;
      after = page.next;
    }
  }

  // -------------------------------------------------------------------------------------------

  private async reusePolicy(instanceId: string, replaceable: readonly (WireStatus | number)[] | undefined): Promise<IdReusePolicy> {
    const statuses = fromWireStatuses(replaceable);
    if (statuses === undefined) return "never";
    const existing = await this.store.getInstance(instanceId);
    if (existing === undefined || !statuses.includes(existing.status)) return "never";
    if (!isTerminal(existing.status)) {
      throw new InvalidInstanceStateError(instanceId, existing.status, "replace", "an ended instance (terminate it first; a running instance is not replaced)");
    }
    return "ifTerminal";
  }

  private async require(instanceId: unknown): Promise<InstanceRecord> {
    const id = typeof instanceId === "string" ? instanceId : "";
    const record = await this.orchestration(id);
    if (record === undefined) throw new InstanceNotFoundError(id);
    return record;
  }

  /**
   * The orchestration instance of that id; an entity's row is not one. An id no instance can have
   * (with a control character, which PostgreSQL cannot even compare) names none.
   */
  async orchestration(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = instanceId === "" || hasControlCharacter(instanceId) ? undefined : await this.store.getInstance(instanceId);
    return record?.kind === "orchestration" ? record : undefined;
  }

  private send(message: NewMessage): Promise<void> {
    return this.store.sendMessages([message]);
  }

  private now(): string {
    return new Date(this.store.now()).toISOString();
  }
}

function pageSizeOf(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value ?? 0);
  return n > 0 ? Math.min(MAX_PAGE_SIZE, Math.floor(n)) : DEFAULT_PAGE_SIZE;
}

function nonEmpty<T extends object>(value: T | undefined): T | undefined {
  return value != null && Object.keys(value).length > 0 ? value : undefined;
}

/** The instance a ListInstanceIds key names (see listInstanceIds). */
function decodeListKey(value: string | undefined): FinishedInstance | undefined {
  if (value === undefined || value === "") return undefined;
  const bar = value.indexOf("|");
  const completedAt = value.slice(0, Math.max(0, bar));
  if (bar < 0 || Number.isNaN(Date.parse(completedAt))) {
    throw new InvalidArgumentError(`lastInstanceKey ${JSON.stringify(value)} is not a key this server returned; pass the previous page's key unchanged.`);
  }
  return { completedAt, instanceId: value.slice(bar + 1) };
}
