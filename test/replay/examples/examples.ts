/**
 * The examples whose histories are kept as golden files here, by the name the files give.
 */
import type { HistoryEvent } from "../../../src/core/history.js";
import * as approval from "../../../examples/approval.js";
import * as circuitBreaker from "../../../examples/circuit-breaker.js";
import * as entityAggregator from "../../../examples/entity-aggregator.js";
import * as entityCounter from "../../../examples/entity-counter.js";
import * as fanOut from "../../../examples/fan-out.js";
import * as httpAsync from "../../../examples/http-async.js";
import * as monitor from "../../../examples/monitor.js";
import * as pipeline from "../../../examples/pipeline.js";
import * as subOrchestrations from "../../../examples/sub-orchestrations.js";

export const EXAMPLES = {
  pipeline: { module: pipeline },
  "fan-out": { module: fanOut },
  approval: { module: approval },
  monitor: { module: monitor },
  "sub-orchestrations": { module: subOrchestrations },
  "http-async": { module: httpAsync },
  "entity-counter": { module: entityCounter },
  "entity-aggregator": { module: entityAggregator },
  "circuit-breaker": { module: circuitBreaker },
} as const;

export type ExampleName = keyof typeof EXAMPLES;

/** What a golden file holds: the example, the orchestration, its status when recorded, and the history. */
export interface GoldenExample {
  readonly example: ExampleName;
  readonly orchestration: string;
  readonly status: string;
  readonly history: HistoryEvent[];
}
