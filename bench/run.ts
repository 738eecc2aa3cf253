/**
 * `npm run bench`: runs W1–W4 three times each, every run in a fresh process on a fresh store,
 * rounds interleaved (W1, W2, W3, W4, W1, …), and prints one JSON line per run and a summary of
 * medians. Perdure's own workloads follow on SQLite: CHECK (the deploy check's throughput) and KIT
 * (a 7-day flow in the test kit); see perdure-workloads.ts.
 * Options: --rounds N, --workloads W1,W3,CHECK, --synchronous NORMAL (a relaxed, labelled variant),
 * --store postgres (URL from PERDURE_BENCH_PG_URL or PERDURE_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test; each run gets a fresh schema, dropped afterwards).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const rounds = Number(option("rounds", "3"));
const workloads = option("workloads", storeKind0() === "postgres" ? "W1,W2,W3,W4" : "W1,W2,W3,W4,CHECK,KIT").split(",");
const synchronous = option("synchronous", "FULL");
function storeKind0(): string {
  return option("store", "sqlite");
}
const storeKind = storeKind0();
if (storeKind !== "sqlite" && storeKind !== "postgres") {
  console.error(`--store must be sqlite or postgres; received ${storeKind}`);
  process.exit(2);
}
const pgUrl = process.env.PERDURE_BENCH_PG_URL ?? process.env.PERDURE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Drops a benchmark schema, whatever state the run left it in. */
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, "..", "node_modules", ".bin", "tsx");

const results = new Map<string, Record<string, number | string>[]>();
for (let round = 1; round <= rounds; round++) {
  for (const workload of workloads) {
    const dir = mkdtempSync(join(tmpdir(), "perdure-bench-"));
    const schema = `perdure_bench_${randomBytes(4).toString("hex")}`;
    const target = storeKind === "postgres" ? ["--postgres", schema] : [join(dir, "bench.db"), synchronous];
    try {
      const env = { ...process.env, PERDURE_BENCH_PG_URL: pgUrl };
      const run = spawnSync(tsx, [join(here, "workload.ts"), workload, ...target], { encoding: "utf8", env });
      if (run.status !== 0) {
        console.error(`${workload} round ${round} failed:\n${run.stderr}`);
        process.exitCode = 1;
        continue;
      }
      const line = run.stdout.trim().split("\n").pop()!;
      console.log(line);
      const list = results.get(workload) ?? [];
      list.push(JSON.parse(line));
      results.set(workload, list);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (storeKind === "postgres") await dropSchema(schema);
    }
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const key: Record<string, string> = { W1: "ms_per_step", W2: "steps_per_s", W3: "wf_per_s", W4: "p50_ms", CHECK: "histories_per_s", KIT: "p50_ms" };
const summary: Record<string, number | string> = { summary: "medians" };
for (const [workload, runs] of results) {
  summary[`${workload}_${key[workload]}`] = median(runs.map((r) => Number(r[key[workload]!])));
  if (workload === "CHECK" || workload === "KIT") continue;
  summary.durability = String(runs[0]!.durability);
  summary.store = String(runs[0]!.store);
}
console.log(JSON.stringify(summary));
