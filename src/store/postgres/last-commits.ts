/**
 * What this store last committed on the stepped path, per orchestration instance: the instance
 * as it was left (its record, history length and time of the update). A completion of one of its
 * tasks can then run the next episode ahead, on that record, and send the completion and the
 * episode in one statement (`complete_step`), which applies the episode only when the instance is
 * still exactly so in the database. So an entry that is out of date (another worker moved the
 * instance on, the transaction rolled back) costs a fallback, never a wrong commit.
 *
 * @module
 */
import { iso } from "../adapter-kit.js";
import { RuntimeStatus, TERMINAL_STATUSES, type CreateInstanceRequest, type InstanceRecord, type OrchestrationCommit } from "../store.js";

export interface LastCommit {
  readonly record: InstanceRecord;
  /** The history length after the commit (`last_seq`). */
  readonly historyLength: number;
  /** The time of the commit (`last_updated_at`), in milliseconds. */
  readonly updatedAt: number;
}

/**
 * The instance `before` as applying `commit` at `now` leaves its row (apply_commit in functions.ts):
 * output and failure kept when the commit sets none, the completion time set once.
 */
export function committedRecord(before: InstanceRecord, commit: OrchestrationCommit, now: number): InstanceRecord {
  const { customStatus: _custom, output: _output, failureDetails: _failure, completedAt: _completed, entityState: _state, ...rest } = before;
  const output = commit.output ?? before.output;
  // Stored as JSON text and read back: the same value a read would give.
  const failure = commit.failureDetails === undefined ? before.failureDetails : JSON.parse(JSON.stringify(commit.failureDetails));
  const completedAt = TERMINAL_STATUSES.includes(commit.status) ? (before.completedAt ?? iso(now)) : undefined;
  return {
    ...rest,
    status: commit.status,
    lastUpdatedAt: iso(now),
    ...(output === undefined ? {} : { output }),
    ...(failure === undefined ? {} : { failureDetails: failure }),
    ...(commit.customStatus === undefined ? {} : { customStatus: commit.customStatus }),
    ...(completedAt === undefined ? {} : { completedAt }),
    ...(commit.entityState === undefined ? {} : { entityState: commit.entityState }),
  };
}

/** The instance `request` creates at `now`, as a read of its row gives it (create_row in functions.ts). */
export function createdRecord(request: CreateInstanceRequest, now: number): InstanceRecord {
  const record: { -readonly [K in keyof InstanceRecord]: InstanceRecord[K] } = {
    instanceId: request.instanceId,
    kind: "orchestration",
    name: request.name,
    executionId: request.executionId,
    status: RuntimeStatus.Pending,
    createdAt: iso(now),
    lastUpdatedAt: iso(now),
  };
  if (request.version !== undefined) record.version = request.version;
  if (request.input !== undefined) record.input = request.input;
  if (request.scheduledStartAt !== undefined) record.scheduledStartAt = request.scheduledStartAt;
  const parent = request.parent;
  if (parent !== undefined) {
    record.parent = { name: parent.name, instanceId: parent.instanceId, taskScheduledId: parent.taskScheduledId };
    if (parent.executionId !== undefined) record.parent = { ...record.parent, executionId: parent.executionId };
  }
  return record;
}

/** A bounded map, least recently used first out. */
export class LastCommits {
  readonly #entries = new Map<string, LastCommit>();

  constructor(private readonly capacity: number) {}

  get(instanceId: string): LastCommit | undefined {
    const entry = this.#entries.get(instanceId);
    if (entry !== undefined) {
      this.#entries.delete(instanceId);
      this.#entries.set(instanceId, entry);
    }
    return entry;
  }

  /** Records `commit`, applied at `now` to the instance `before` of history length `historyLength`. */
  remember(before: InstanceRecord, historyLength: number, commit: OrchestrationCommit, now: number): void {
    this.#entries.delete(before.instanceId);
    // Nothing to run ahead for: a finished instance gets no completions, an entity none at all,
    // and a new execution starts from messages.
    if (before.kind !== "orchestration" || commit.continueAsNew !== undefined || TERMINAL_STATUSES.includes(commit.status)) return;
    const record = committedRecord(before, commit, now);
    this.#entries.set(before.instanceId, { record, historyLength: historyLength + commit.history.length, updatedAt: now });
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  forget(instanceId: string): void {
    this.#entries.delete(instanceId);
  }
}
