/**
 * The OpenAPI paths and schemas of the inspection routes (`inspection-api.ts`): the parts of the
 * management API that Durable Functions does not have, which the dashboard reads.
 *
 * @module
 */
import { RuntimeStatus } from "../store/store.js";
import { MAX_HISTORY_PAGE } from "./inspection-api.js";

type Json = Readonly<Record<string, unknown>>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const content = (schema: Json): Json => ({ "application/json": { schema } });
const pathParam = (name: string, description: string): Json => ({ name, in: "path", required: true, schema: { type: "string" }, description });
const queryParam = (name: string, schema: Json, description: string): Json => ({ name, in: "query", required: false, schema, description });
const errorReply = (description: string): Json => ({ description, content: content(ref("Error")) });

const STATUSES = Object.values(RuntimeStatus);

/** The paths, relative to the management base path. */
export const INSPECTION_PATHS: Json = Object.freeze({
  "/instanceCounts": {
    get: {
      summary: "Count instances by runtime status",
      description: "Counts the orchestration instances that match the filter, by runtime status; answered from an index.",
      operationId: "countInstances",
      parameters: [
        queryParam("createdTimeFrom", { type: "string", format: "date-time" }, "Created at or after this time."),
        queryParam("createdTimeTo", { type: "string", format: "date-time" }, "Created at or before this time."),
        queryParam("runtimeStatus", { type: "string" }, "Comma-separated runtime statuses to count; all when absent."),
        queryParam("instanceIdPrefix", { type: "string" }, "Only ids starting with this."),
        queryParam("name", { type: "string" }, "Only instances of this orchestration name (exact)."),
      ],
      responses: { "200": { description: "The counts.", content: content(ref("InstanceCounts")) }, "400": errorReply("A malformed parameter.") },
    },
  },
  "/instances/{instanceId}/history": {
    get: {
      summary: "Read an instance's history by pages",
      description:
        "The current execution's history events, every field as stored (payloads parsed as JSON, failures without " +
        "stack traces), from a position. Positions count events from the start of the execution, so `after` set to " +
        "the `next` of the last page reads only the events added since.",
      operationId: "getInstanceHistory",
      parameters: [
        pathParam("instanceId", "The instance id."),
        queryParam("after", { type: "integer", minimum: 0, default: 0 }, "Skip this many events from the start."),
        queryParam("top", { type: "integer", minimum: 1, maximum: MAX_HISTORY_PAGE, default: 1000 }, "Page size."),
      ],
      responses: {
        "200": { description: "A page of events.", content: content(ref("HistoryPage")) },
        "400": errorReply("A malformed parameter."),
        "404": errorReply("No instance with that id."),
      },
    },
  },
  "/entities/{entityName}/{entityKey}/details": {
    get: {
      summary: "Read an entity's state, lock and queued operations",
      operationId: "getEntityDetails",
      parameters: [
        pathParam("entityName", "The entity's name (case-insensitive)."),
        pathParam("entityKey", "The entity's key."),
      ],
      responses: {
        "200": { description: "The entity as stored.", content: content(ref("EntityDetails")) },
        "400": errorReply("A malformed entity id."),
        "404": errorReply("The store has no such entity."),
      },
    },
  },
});

/** The schemas the paths refer to. */
export const INSPECTION_SCHEMAS: Json = Object.freeze({
  InstanceCounts: {
    type: "object",
    required: ["total", "counts"],
    properties: {
      total: { type: "integer" },
      counts: { type: "object", required: STATUSES, properties: Object.fromEntries(STATUSES.map((s) => [s, { type: "integer" }])) },
    },
  },
  HistoryPage: {
    type: "object",
    required: ["instanceId", "executionId", "runtimeStatus", "events", "next", "hasMore"],
    properties: {
      instanceId: { type: "string" },
      executionId: { type: "string", description: "The current execution; it changes when the instance continues as new." },
      runtimeStatus: { enum: STATUSES },
      continuedAsNew: { type: "boolean", description: "On the first page (after 0): this execution is not the instance's first." },
      events: {
        type: "array",
        items: {
          type: "object",
          required: ["type", "eventId", "timestamp"],
          description: "A history event in Perdure's vocabulary (camelCase fields: type, eventId, timestamp, name, …).",
        },
      },
      next: { type: "integer", description: "The position after the last event of this page: pass it as `after`." },
      hasMore: { type: "boolean", description: "More events follow this page." },
    },
  },
  EntityDetails: {
    type: "object",
    required: ["entityId", "instanceId", "exists", "state", "lastOperationTime", "lock", "queue"],
    properties: {
      entityId: { type: "object", required: ["name", "key"], properties: { name: { type: "string" }, key: { type: "string" } } },
      instanceId: { type: "string", description: "@name@key" },
      exists: { type: "boolean", description: "The entity has state." },
      state: { description: "The state; null when it has none." },
      lastOperationTime: { type: "string", format: "date-time" },
      lock: {
        description: "The critical section that holds the entity, or null.",
        type: ["object", "null"],
        properties: { owner: { type: "string" }, ownerExecutionId: { type: "string" }, criticalSectionId: { type: "string" } },
      },
      queue: { type: "array", items: { type: "object" }, description: "Messages put aside until the lock is released, in arrival order." },
    },
  },
});
