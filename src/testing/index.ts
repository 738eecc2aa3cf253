/**
 * `perdure/testing`: the test kit for orchestration code.
 *
 * - `createTestEnv(app)`: a client, a running worker and an in-memory store on a virtual clock;
 *   timers fire when the test moves time, activities can be mocked and their calls are recorded.
 * - `replayHistory(app, history)`: the current code against a recorded history, for golden tests
 *   and deploy checks.
 * - `HistoryBuilder`: histories built event by event, for tests of the executor itself.
 *
 * Works with any test runner (vitest, node:test, jest): it needs no globals and leaves nothing
 * running once `env.close()` resolved.
 *
 * @module
 */
export { createTestEnv, TestEnv } from "./test-env.js";
export type { TestEnvOptions, RunUntilIdleOptions } from "./test-env.js";
export { VirtualClock } from "./virtual-clock.js";
export { toMilliseconds } from "./duration.js";
export type { Duration } from "./duration.js";
export type { ActivityCall, ActivityMock, ActivityRef, MockActivityContext } from "./activity-calls.js";
export { replayHistory } from "./replay-history.js";
export type { ReplayOptions, ReplayResult, ReplaySuccess, ReplayFailure, ReplayFailureReason } from "./replay-history.js";
export { readHistory } from "./history-input.js";
export type { HistoryInput } from "./history-input.js";
export { seededIds } from "./seeded-ids.js";
export { HistoryBuilder } from "./history-builder.js";
export { NonDeterminismError } from "../core/errors.js";
export type { NonDeterminismInfo, CallDescription, CallKind } from "../core/errors.js";
export { checkDeploy, checkHistory } from "./deploy-check.js";
export type { DeployCheckOptions, DeployCheckReport, InstanceCheck, CheckOutcome } from "./deploy-check.js";
