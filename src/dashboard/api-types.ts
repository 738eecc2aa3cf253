/**
 * The JSON the dashboard reads from the management API (see its OpenAPI document). The dashboard
 * speaks only that API, so it keeps its own description of the answers rather than the server's
 * types.
 *
 * @module
 */

/** Runtime statuses, as the API spells them. */
export const STATUSES = ["Pending", "Running", "Suspended", "Completed", "Failed", "Terminated", "ContinuedAsNew", "Canceled"] as const;
export type Status = (typeof STATUSES)[number];

/** A failure as the API shows it (never with a stack trace). */
export interface Failure {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly innerFailure?: Failure;
  readonly isNonRetriable?: boolean;
}

/** `GET instances/{id}` and each entry of `GET instances`. Times are to the second. */
export interface InstanceStatus {
  readonly name: string;
  readonly instanceId: string;
  readonly runtimeStatus: Status;
  readonly input: unknown;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly failureDetails?: Failure;
}

/** `GET instanceCounts`. */
export interface InstanceCounts {
  readonly total: number;
  readonly counts: Readonly<Record<Status, number>>;
}

/** One raw history event: `type`, `eventId`, `timestamp` and the fields of its kind, payloads parsed. */
export interface HistoryEvent {
  readonly type: string;
  readonly eventId: number;
  readonly timestamp: string;
  readonly [field: string]: unknown;
}

/** `GET instances/{id}/history`. */
export interface HistoryPage {
  readonly instanceId: string;
  readonly executionId: string;
  readonly runtimeStatus: Status;
  readonly continuedAsNew?: boolean;
  readonly events: readonly HistoryEvent[];
  readonly next: number;
  readonly hasMore: boolean;
}

/** Each entry of `GET entities[/{name}]`. */
export interface EntitySummary {
  readonly entityId: { readonly name: string; readonly key: string };
  readonly lastOperationTime: string;
}

/** `GET entities/{name}/{key}/details`. */
export interface EntityDetails {
  readonly entityId: { readonly name: string; readonly key: string };
  readonly instanceId: string;
  readonly exists: boolean;
  readonly state: unknown;
  readonly lastOperationTime: string;
  readonly lock: { readonly owner: string; readonly ownerExecutionId?: string; readonly criticalSectionId: string } | null;
  readonly queue: readonly HistoryEvent[];
}
