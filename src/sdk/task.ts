/**
 * Tasks and their result types, as users see them.
 *
 * @module
 */
export { Task } from "../core/replay/task.js";
export type { TaskResult, SettledResult } from "../core/replay/task.js";
export type { TimerTask } from "../core/replay/durable-tasks.js";
