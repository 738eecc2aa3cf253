/**
 * Runs one workload in this process on a fresh store and prints one JSON line.
 * Usage: tsx bench/workload.ts <W1|W2|W3|W4|CHECK|KIT> <sqlite-file> [FULL|NORMAL]
 *        tsx bench/workload.ts <W1|W2|W3|W4> --postgres <schema>   (URL from PERDURE_BENCH_PG_URL)
 * The PostgreSQL schema must not exist yet; the caller drops it afterwards.
 */
import { postgres, sqlite, type Store } from "../src/index.js";
import { runWorkload, type WorkloadName } from "./workloads.js";
import { runCheckWorkload, runKitWorkload } from "./perdure-workloads.js";

const [workload, target, third = "FULL"] = process.argv.slice(2);
// Perdure's own workloads: the deploy check (on SQLite) and the test kit (on its in-memory store).
if (workload === "CHECK" || workload === "KIT") {
  if (target === "--postgres" || target === undefined || !["FULL", "NORMAL"].includes(third)) {
    console.error("usage: tsx bench/workload.ts <CHECK|KIT> <sqlite-file> [FULL|NORMAL]  (SQLite only)");
    process.exit(2);
  }
  const figures = workload === "CHECK" ? await runCheckWorkload(target, third as "FULL" | "NORMAL") : await runKitWorkload();
  console.log(JSON.stringify({ engine: "perdure", store: "sqlite", workload, ...figures }));
  process.exit(0);
}
const usage = "usage: tsx bench/workload.ts <W1|W2|W3|W4> <sqlite-file> [FULL|NORMAL] | <W1|W2|W3|W4> --postgres <schema>";
if (!workload || !target || !["W1", "W2", "W3", "W4"].includes(workload)) {
  console.error(usage);
  process.exit(2);
}
let store: Store;
if (target === "--postgres") {
  const url = process.env.PERDURE_BENCH_PG_URL;
  if (url === undefined || process.argv[4] === undefined) {
    console.error(`${usage} (with PERDURE_BENCH_PG_URL set)`);
    process.exit(2);
  }
  store = await postgres(url, { schema: third });
} else {
  if (!["FULL", "NORMAL"].includes(third)) {
    console.error(usage);
    process.exit(2);
  }
  store = sqlite(target, { synchronous: third as "FULL" | "NORMAL" });
}
try {
  const figures = await runWorkload(workload as WorkloadName, store);
  console.log(JSON.stringify({ engine: "perdure", store: store.name, durability: store.durability, workload, ...figures }));
} finally {
  await store.close();
}
