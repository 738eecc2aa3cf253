/**
 * What the conformance cases share: a controllable clock, a fresh store per test, and small
 * builders for requests, events, commits and steppers.
 *
 * @module
 */
import { afterEach, beforeEach } from "vitest";
import { newActionEvent, newEvent, type EventOf, type HistoryEvent, type ParentInstance } from "../../core/history.js";
import { StoreClosedError } from "../errors.js";
import type {
  CreateInstanceRequest,
  IdReusePolicy,
  NewActivityTask,
  OrchestrationCommit,
  OrchestrationStepper,
  OrchestrationWorkItem,
  RuntimeStatus,
  StepInput,
  Store,
} from "../store.js";

/** Makes a store for one test, reading time from `clock`. */
export type StoreFactory = (options: { clock: () => number }) => Promise<Store>;

/** A clock that moves only when told to. */
export class TestClock {
  ms = Date.parse("2026-01-01T00:00:00.000Z");
  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }

  /** The time `offsetMs` from now, as ISO-8601. */
  iso(offsetMs = 0): string {
    return new Date(this.ms + offsetMs).toISOString();
  }
}

export interface Harness {
  readonly store: Store;
  readonly clock: TestClock;
}

/**
 * Registers hooks that give each test a fresh clock and store, closed after the test. Read the
 * returned object's fields inside tests (they are set by `beforeEach`).
 */
export function useStore(factory: StoreFactory): Harness {
  const harness = { store: undefined as unknown as Store, clock: new TestClock() };
  beforeEach(async () => {
    harness.clock = new TestClock();
    harness.store = await factory({ clock: harness.clock.now });
  });
  afterEach(async () => {
    try {
      await harness.store.close();
    } catch (error) {
      // A test that closed the store itself may see the second close refused.
      if (!(error instanceof StoreClosedError)) throw error;
    }
  });
  return harness;
}

export const WORKER = { workerId: "worker-a", leaseMs: 30_000 } as const;
export const OTHER_WORKER = { workerId: "worker-b", leaseMs: 30_000 } as const;

export interface StartOptions {
  readonly name?: string;
  readonly executionId?: string;
  readonly input?: string;
  readonly version?: string;
  readonly reuse?: IdReusePolicy;
  readonly parent?: ParentInstance;
  readonly scheduledStartAt?: string;
  readonly timestamp?: string;
}

/** A request to create `instanceId`, with its ExecutionStarted event. */
export function startRequest(instanceId: string, options: StartOptions = {}): CreateInstanceRequest {
  const name = options.name ?? "Flow";
  const executionId = options.executionId ?? `${instanceId}-e1`;
  return {
    instanceId,
    name,
    version: options.version,
    executionId,
    input: options.input,
    parent: options.parent,
    scheduledStartAt: options.scheduledStartAt,
    reuse: options.reuse ?? "never",
    startEvent: newEvent("ExecutionStarted", options.timestamp ?? "2026-01-01T00:00:00.000Z", {
      name,
      version: options.version,
      input: options.input,
      instanceId,
      executionId,
      parent: options.parent,
      scheduledStartTime: options.scheduledStartAt,
    }),
  };
}

export function raised(name: string, input?: string, timestamp = "2026-01-01T00:00:00.000Z"): EventOf<"EventRaised"> {
  return newEvent("EventRaised", timestamp, { name, input });
}

export function timerFired(timerId: number, fireAt: string): EventOf<"TimerFired"> {
  return newEvent("TimerFired", fireAt, { timerId, fireAt });
}

export function orchestratorStarted(timestamp: string): HistoryEvent {
  return newEvent("OrchestratorStarted", timestamp, {});
}

export function taskScheduled(id: number, name: string, timestamp = "2026-01-01T00:00:00.000Z"): HistoryEvent {
  return newActionEvent("TaskScheduled", id, timestamp, { name });
}

export function newTask(
  instanceId: string,
  executionId: string,
  taskId: number,
  lease?: { workerId: string; leaseMs: number },
): NewActivityTask {
  return { instanceId, executionId, taskId, name: `Task${taskId}`, input: `"in-${taskId}"`, lease };
}

/** A commit that consumes all of the item's messages and keeps the instance Running, plus `changes`. */
export function commitFor(
  item: Pick<OrchestrationWorkItem, "instance" | "messages"> | StepInput,
  changes: Partial<OrchestrationCommit> = {},
): OrchestrationCommit {
  return {
    executionId: item.instance.executionId,
    history: [],
    consumedMessageIds: item.messages.map((m) => m.id),
    status: "Running",
    tasks: [],
    messages: [],
    children: [],
    canceledTimerIds: [],
    ...changes,
  };
}

/**
 * A commit every store refuses (a message whose visibleAt is not a time): the write that applies
 * it fails and rolls back, whatever else it did.
 */
export function refusedCommit(work: StepInput): OrchestrationCommit {
  return commitFor(work, { messages: [{ instanceId: work.instance.instanceId, event: raised("x"), visibleAt: "not a time" }] });
}

/** A stepper that records what it was given and answers with `answer`. */
export class RecordingStepper implements OrchestrationStepper {
  readonly calls: StepInput[] = [];

  constructor(
    private readonly answer: (work: StepInput) => OrchestrationCommit | undefined,
    private readonly warm = false,
  ) {}

  isWarm(): boolean {
    return this.warm;
  }

  awaitsOnly(): boolean {
    return this.warm;
  }

  step(work: StepInput): OrchestrationCommit | undefined {
    this.calls.push(work);
    return this.answer(work);
  }

  /** Times the store rolled back this stepper's episodes. */
  discards = 0;

  discard(): void {
    this.discards++;
  }
}

/** Creates `instanceId` and leases it. */
export async function createAndLease(
  store: Store,
  instanceId: string,
  options: StartOptions = {},
): Promise<OrchestrationWorkItem> {
  await store.createInstance(startRequest(instanceId, options));
  return leaseInstance(store, instanceId);
}

/** Leases `instanceId`; instances handed out before it are put back (abandoned) afterwards. */
export async function leaseInstance(store: Store, instanceId: string): Promise<OrchestrationWorkItem> {
  const others: OrchestrationWorkItem[] = [];
  try {
    for (;;) {
      const item = await store.leaseOrchestration(WORKER);
      if (item === undefined) throw new Error(`expected '${instanceId}' to be ready to lease`);
      if (item.instance.instanceId === instanceId) return item;
      others.push(item);
    }
  } finally {
    for (const other of others) await store.abandonOrchestration(other);
  }
}

/** Creates, leases and commits `instanceId` so that it is Running with one scheduled task, and leases the task. */
export async function runningWithTask(store: Store, instanceId: string, taskId = 1) {
  const item = await createAndLease(store, instanceId);
  const executionId = item.instance.executionId;
  await store.commitOrchestration(
    item,
    commitFor(item, {
      history: [item.messages[0]!.event, taskScheduled(taskId, `Task${taskId}`)],
      tasks: [newTask(instanceId, executionId, taskId)],
    }),
  );
  const [task] = await store.leaseActivities({ ...WORKER, max: 1 });
  if (task === undefined) throw new Error("expected a task to lease");
  return { executionId, task };
}

/** What the next lease would hand out: leases the next ready instance and abandons it at once. */
export async function peekInbox(store: Store): Promise<OrchestrationWorkItem | undefined> {
  const item = await store.leaseOrchestration({ workerId: "peek", leaseMs: 1 });
  if (item !== undefined) await store.abandonOrchestration(item);
  return item;
}

/** Creates `instanceId` and runs it to `status` in one episode (its history: the start event). */
export async function createFinished(
  store: Store,
  instanceId: string,
  status: RuntimeStatus,
  changes: Partial<OrchestrationCommit> = {},
  options: StartOptions = {},
): Promise<void> {
  const item = await createAndLease(store, instanceId, options);
  await store.commitOrchestration(item, commitFor(item, { history: [item.messages[0]!.event], status, ...changes }));
}
