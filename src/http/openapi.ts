/**
 * The OpenAPI 3.1 document of the management API, served at
 * `/runtime/webhooks/durabletask/openapi.json`. Paths are relative to the server URL (the base
 * path); a test checks that they and the registered routes are the same set.
 *
 * @module
 */
import { MANAGEMENT_BASE_PATH } from "../sdk/app.js";
import { INSPECTION_PATHS, INSPECTION_SCHEMAS } from "./openapi-inspection.js";

type Json = Readonly<Record<string, unknown>>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ "application/json": { schema } });
const reply = (description: string, schema?: Json, headers?: Json): Json => ({
  description,
  ...(schema ? { content: json(schema) } : {}),
  ...(headers ? { headers } : {}),
});
const error = (description: string): Json => reply(description, ref("Error"));
const pathParam = (name: string, description: string): Json => ({ name, in: "path", required: true, schema: { type: "string" }, description });
const queryParam = (name: string, schema: Json, description: string, required = false): Json => ({ name, in: "query", required, schema, description });

const instanceId = pathParam("instanceId", "The instance id.");
const reason = queryParam("reason", { type: "string" }, "Why; recorded in the history.");
const booleanQuery = (name: string, fallback: boolean, description: string): Json =>
  queryParam(name, { type: "boolean", default: fallback }, description);
const secondsQuery = (name: string, description: string): Json => queryParam(name, { type: "number", exclusiveMinimum: 0 }, description);
const createdFrom = queryParam(
  "createdTimeFrom",
  { type: "string", format: "date-time" },
  "Created at or after this time: ISO 8601, a date (midnight UTC) or a date-time (UTC without an offset). Anything else is a 400.",
);
const createdTo = queryParam("createdTimeTo", { type: "string", format: "date-time" }, "Created at or before this time (ISO 8601, as createdTimeFrom).");
const runtimeStatus = queryParam("runtimeStatus", { type: "string" }, "Comma-separated runtime statuses, e.g. Completed,Failed.");
const waitParams = [
  secondsQuery("timeout", "With pollingInterval: wait up to this many seconds for the instance to finish."),
  secondsQuery("pollingInterval", "With timeout: how often to look, in seconds."),
];

const accepted202 = reply("Accepted: the instance's management URLs.", ref("CheckStatus"), {
  Location: { schema: { type: "string" }, description: "The status query URL." },
  "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait before polling (10)." },
});
const waited200 = reply("The instance finished within the timeout: its output (Completed) or its status (Failed, Terminated).", {});
const notFound = error("No instance with that id.");
const goneFinished = error("The instance has finished (Completed, Failed, Terminated or Canceled).");
const badRequest = error("A malformed parameter or body.");
const simpleOperation = (summary: string, operationId: string): Json => ({
  post: {
    summary,
    operationId,
    parameters: [instanceId, reason],
    responses: { "202": reply("Accepted."), "404": notFound, "410": goneFinished },
  },
});

const start = (withId: boolean): Json => ({
  post: {
    summary: withId ? "Start an orchestration with a given instance id" : "Start an orchestration",
    operationId: withId ? "startOrchestrationWithId" : "startOrchestration",
    parameters: [
      pathParam("functionName", "The orchestration's registered name."),
      ...(withId ? [instanceId] : []),
      queryParam("version", { type: "string" }, "The orchestration version to run (default: the newest the app registers); the instance keeps it for life."),
      ...waitParams,
    ],
    requestBody: { required: false, description: "The input, as JSON.", content: json({}) },
    responses: {
      "202": accepted202,
      "200": waited200,
      "400": error("Unknown orchestration or version, invalid instance id or invalid JSON."),
      "409": error("An instance with that id exists and has not finished."),
      "413": error("The body is over the size limit."),
    },
  },
});

const STATUS_SCHEMA: Json = {
  type: "object",
  required: ["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"],
  properties: {
    name: { type: "string" },
    instanceId: { type: "string" },
    version: { type: "string", description: "The orchestration version the instance runs; absent when it has none." },
    runtimeStatus: { enum: ["Pending", "Running", "Suspended", "Completed", "Failed", "Terminated", "ContinuedAsNew", "Canceled"] },
    input: {},
    customStatus: {},
    output: {},
    createdTime: { type: "string", description: "yyyy-MM-ddTHH:mm:ssZ" },
    lastUpdatedTime: { type: "string", description: "yyyy-MM-ddTHH:mm:ssZ" },
    failureDetails: ref("FailureDetails"),
    historyEvents: { type: "array", items: { type: "object", required: ["EventType", "Timestamp"] } },
  },
};

const uri = { type: "string", description: "A URL; {eventName} and {text} are placeholders to fill in." };
const CHECK_STATUS_FIELDS = [
  "id",
  "statusQueryGetUri",
  "sendEventPostUri",
  "terminatePostUri",
  "purgeHistoryDeleteUri",
  "restartPostUri",
  "suspendPostUri",
  "resumePostUri",
];

const entityName = pathParam("entityName", "The entity's registered name (case-insensitive).");
const entityKey = pathParam("entityKey", "The entity's key; '$' names the empty key, which Perdure does not allow (400).");
const listEntities = (byName: boolean): Json => ({
  get: {
    summary: byName ? "List the entities of one name" : "List entities",
    operationId: byName ? "listEntitiesByName" : "listEntities",
    parameters: [
      ...(byName ? [entityName] : []),
      booleanQuery("fetchState", false, "Include each entity's state."),
      queryParam("top", { type: "integer", minimum: 1, maximum: 1000, default: 100 }, "Page size."),
      { name: "x-ms-continuation-token", in: "header", schema: { type: "string" }, description: "The token of the previous page." },
    ],
    responses: {
      "200": reply("A page of entities that have state.", { type: "array", items: ref("EntityMetadata") }, {
        "x-ms-continuation-token": { schema: { type: "string" }, description: "Present when more pages follow." },
      }),
      "400": error("A malformed parameter; lastOperationTimeFrom and lastOperationTimeTo are not supported."),
    },
  },
});
const unknownEntity = error("The app does not register an entity of that name.");

/** The document. */
export const MANAGEMENT_OPENAPI: Json = Object.freeze({
  openapi: "3.1.0",
  info: {
    title: "Perdure management API",
    version: "1.0.0",
    description:
      "Durable Functions' HTTP management API, and routes of Perdure's own for tools that inspect a store " +
      "(instance counts, raw history pages, entity details). With an API key configured, every route needs it in the " +
      "'x-api-key' header or the 'code' query parameter. A URL with a malformed percent-encoding is a 400; " +
      "an entity's id (@name@key) names no orchestration instance (404 on the instance routes); a body over " +
      "the size limit is a 413, after which the server closes the connection.",
  },
  servers: [{ url: MANAGEMENT_BASE_PATH }],
  security: [{ apiKeyHeader: [] }, { apiKeyQuery: [] }, {}],
  paths: {
    "/orchestrators/{functionName}": start(false),
    "/orchestrators/{functionName}/{instanceId}": start(true),
    "/instances": {
      get: {
        summary: "List instances",
        operationId: "listInstances",
        parameters: [
          createdFrom,
          createdTo,
          runtimeStatus,
          queryParam("instanceIdPrefix", { type: "string" }, "Only ids starting with this."),
          queryParam("name", { type: "string" }, "Only instances of this orchestration name (exact; not in Durable Functions)."),
          queryParam("order", { enum: ["desc", "asc"], default: "desc" }, "By creation time: newest first (desc) or oldest first (asc); keep it while paging."),
          queryParam("version", { type: "string" }, "Only instances of this orchestration version; empty for instances without one."),
          booleanQuery("showInput", true, "Include each input."),
          queryParam("top", { type: "integer", minimum: 1, maximum: 1000, default: 100 }, "Page size."),
          { name: "x-ms-continuation-token", in: "header", schema: { type: "string" }, description: "The token of the previous page." },
        ],
        responses: {
          "200": reply("A page of statuses, newest first (or oldest first with order=asc).", { type: "array", items: ref("Status") }, {
            "x-ms-continuation-token": { schema: { type: "string" }, description: "Present when more pages follow." },
          }),
          "400": badRequest,
        },
      },
      delete: {
        summary: "Purge finished instances",
        operationId: "purgeInstances",
        parameters: [{ ...createdFrom, required: true }, createdTo, runtimeStatus],
        responses: {
          "200": reply("Purged.", ref("PurgeResult")),
          "400": error("createdTimeFrom is missing, a time is not ISO 8601, runtimeStatus names a status that is not finished, or a parameter is malformed."),
          "404": error("No finished instance matched."),
        },
      },
    },
    "/instances/{instanceId}": {
      get: {
        summary: "Get an instance's status",
        operationId: "getInstance",
        parameters: [
          instanceId,
          booleanQuery("showHistory", false, "Include the history."),
          booleanQuery("showHistoryOutput", false, "Include results in the history."),
          booleanQuery("showInput", true, "Include the input."),
          booleanQuery("returnInternalServerErrorOnFailure", false, "Answer 500 for a Failed instance."),
        ],
        responses: {
          "200": reply("The instance has finished.", ref("Status")),
          "202": reply("The instance is Pending, Running or Suspended.", ref("Status"), {
            Location: { schema: { type: "string" } },
            "Retry-After": { schema: { type: "integer" } },
          }),
          "400": badRequest,
          "404": notFound,
          "500": reply("Failed, with returnInternalServerErrorOnFailure.", ref("Status")),
        },
      },
      delete: {
        summary: "Purge one instance",
        operationId: "purgeInstance",
        parameters: [instanceId],
        responses: {
          "200": reply("Purged.", ref("PurgeResult")),
          "404": notFound,
          "412": error("The instance has not finished."),
        },
      },
    },
    "/instances/{instanceId}/raiseEvent/{eventName}": {
      post: {
        summary: "Raise an event",
        operationId: "raiseEvent",
        parameters: [instanceId, pathParam("eventName", "The event's name.")],
        requestBody: { required: false, description: "The event's data, as JSON.", content: json({}) },
        responses: {
          "202": reply("Accepted."),
          "400": error("The content type is not application/json, or the JSON is invalid."),
          "404": notFound,
          "410": goneFinished,
          "413": error("The body is over the size limit."),
        },
      },
    },
    "/instances/{instanceId}/terminate": {
      post: {
        ...(simpleOperation("Terminate an instance", "terminateInstance").post as Json),
        parameters: [instanceId, reason, booleanQuery("recursive", false, "Also terminate its running sub-orchestrations.")],
      },
    },
    "/instances/{instanceId}/suspend": simpleOperation("Suspend an instance", "suspendInstance"),
    "/instances/{instanceId}/resume": simpleOperation("Resume an instance", "resumeInstance"),
    "/instances/{instanceId}/rewind": {
      post: {
        summary: "Rewind a failed instance",
        operationId: "rewindInstance",
        parameters: [instanceId, reason],
        responses: {
          "202": reply("Accepted."),
          "404": notFound,
          "410": error("The instance is Completed, Terminated or Canceled."),
          "412": error("The instance is Pending, Running or Suspended."),
        },
      },
    },
    "/instances/{instanceId}/restart": {
      post: {
        summary: "Restart an instance with its original input",
        operationId: "restartInstance",
        parameters: [instanceId, booleanQuery("restartWithNewInstanceId", true, "Start under a new id."), ...waitParams],
        responses: {
          "202": accepted202,
          "200": waited200,
          "400": error("No instance with that id, or a malformed parameter."),
          "409": error("The same id is asked for and the instance has not finished."),
        },
      },
    },
    "/entities": listEntities(false),
    "/entities/{entityName}": listEntities(true),
    "/entities/{entityName}/{entityKey}": {
      get: {
        summary: "Read an entity's state",
        operationId: "getEntity",
        parameters: [entityName, entityKey],
        responses: {
          "200": reply("The entity's state, as JSON.", {}),
          "400": error("A malformed entity id."),
          "404": error("The entity does not exist (no state)."),
        },
      },
      post: {
        summary: "Signal an entity operation",
        operationId: "signalEntity",
        parameters: [entityName, entityKey, queryParam("op", { type: "string" }, "The operation.", true)],
        requestBody: {
          required: false,
          description: "The operation's input: parsed with a JSON content type, otherwise passed as a string.",
          content: { "application/json": { schema: {} }, "text/plain": { schema: { type: "string" } } },
        },
        responses: {
          "202": reply("Accepted: the signal is queued."),
          "400": error("Missing op, a malformed entity id, or invalid JSON."),
          "404": unknownEntity,
          "413": error("The body is over the size limit."),
        },
      },
      delete: {
        summary: "Delete an entity (signals the operation 'delete')",
        operationId: "deleteEntity",
        parameters: [entityName, entityKey],
        responses: { "202": reply("Accepted: the signal is queued."), "400": error("A malformed entity id."), "404": unknownEntity },
      },
    },
    ...INSPECTION_PATHS,
    "/openapi.json": {
      get: {
        summary: "This document",
        operationId: "getOpenApi",
        responses: { "200": reply("The OpenAPI document.", { type: "object" }) },
      },
    },
  },
  components: {
    securitySchemes: {
      apiKeyHeader: { type: "apiKey", in: "header", name: "x-api-key" },
      apiKeyQuery: { type: "apiKey", in: "query", name: "code" },
    },
    schemas: {
      Status: STATUS_SCHEMA,
      CheckStatus: {
        type: "object",
        required: CHECK_STATUS_FIELDS,
        properties: Object.fromEntries(CHECK_STATUS_FIELDS.map((f) => [f, f === "id" ? { type: "string" } : uri])),
      },
      FailureDetails: {
        type: "object",
        required: ["errorType", "errorMessage"],
        properties: {
          errorType: { type: "string" },
          errorMessage: { type: "string" },
          innerFailure: { $ref: "#/components/schemas/FailureDetails" },
          isNonRetriable: { type: "boolean" },
        },
      },
      EntityMetadata: {
        type: "object",
        required: ["entityId", "lastOperationTime"],
        properties: {
          entityId: { type: "object", required: ["name", "key"], properties: { name: { type: "string" }, key: { type: "string" } } },
          lastOperationTime: { type: "string", format: "date-time" },
          state: { description: "With fetchState." },
        },
      },
      PurgeResult: { type: "object", required: ["instancesDeleted"], properties: { instancesDeleted: { type: "integer" } } },
      Error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } },
      ...INSPECTION_SCHEMAS,
    },
  },
});
