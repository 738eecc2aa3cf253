/**
 * Runs one workload in this process on a fresh store and prints one JSON line.
 * Usage: tsx bench/workload.ts <W1|W2|W3|W4> <sqlite-file> [FULL|NORMAL]
 */
import { sqlite } from "../src/index.js";
import { runWorkload, type WorkloadName } from "./workloads.js";

const [workload, file, synchronous = "FULL"] = process.argv.slice(2);
if (!workload || !file || !["W1", "W2", "W3", "W4"].includes(workload) || !["FULL", "NORMAL"].includes(synchronous)) {
  console.error("usage: tsx bench/workload.ts <W1|W2|W3|W4> <sqlite-file> [FULL|NORMAL]");
  process.exit(2);
}
const store = sqlite(file, { synchronous: synchronous as "FULL" | "NORMAL" });
try {
  const figures = await runWorkload(workload as WorkloadName, store);
  console.log(JSON.stringify({ engine: "perdure", store: store.name, durability: store.durability, workload, ...figures }));
} finally {
  await store.close();
}
