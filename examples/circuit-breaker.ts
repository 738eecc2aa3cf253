/**
 * Durable entities: a circuit breaker in front of a flaky service. The breaker, one entity per
 * service, counts failures in a row; after `threshold` of them it opens, and orchestrations skip
 * the call (and take a fallback) instead of waiting on a service that is down. After the
 * cool-down it lets one trial call through (half-open): a success closes it, a failure opens it
 * again. Time is the orchestration's deterministic `currentUtcDateTime`, passed to the breaker.
 *
 * Run: `npx tsx examples/circuit-breaker.ts`
 */
import { createApp, createClient, createWorker, entityId, sqlite } from "../src/index.js";
import { isMain } from "./run.js";

export type BreakerState = "closed" | "open" | "half-open";

export class CircuitBreaker {
  threshold = 3;
  coolDownMs = 30_000;
  failures = 0;
  /** When the breaker opened (ISO-8601), while it is open. */
  openedAt: string | null = null;

  configure(settings: { threshold: number; coolDownMs: number }): void {
    this.threshold = settings.threshold;
    this.coolDownMs = settings.coolDownMs;
  }

  /** Whether a call may go ahead at `now`. */
  state(now: string): BreakerState {
    if (this.openedAt === null) return "closed";
    return Date.parse(now) - Date.parse(this.openedAt) >= this.coolDownMs ? "half-open" : "open";
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = null;
  }

  recordFailure(now: string): void {
    this.failures += 1;
    if (this.failures >= this.threshold) this.openedAt = now;
  }
}

export const app = createApp();
export const breaker = app.entity("CircuitBreaker", CircuitBreaker);

export interface Request {
  readonly service: string;
  /** Stands in for the service being down. */
  readonly fail: boolean;
}

/** How many times the service was really called, to show the skipped calls. */
export const serviceCalls = { count: 0 };

export const callService = app.activity("CallService", async (request: Request) => {
  serviceCalls.count += 1;
  if (request.fail) throw new Error(`${request.service} is unavailable`);
  return `${request.service} answered`;
});

export type Outcome = { readonly via: "service"; readonly answer: string } | { readonly via: "fallback"; readonly reason: string };

export const guardedCall = app.orchestration("GuardedCall", function* (ctx, request: Request): Generator<unknown, Outcome, unknown> {
  const id = entityId(breaker, request.service);
  const now = ctx.currentUtcDateTime.toISOString();
  if ((yield* ctx.callEntity(id, "state", now)) === "open") return { via: "fallback", reason: "circuit open" };
  try {
    const answer = yield* ctx.callActivity(callService, request);
    ctx.signalEntity(id, "recordSuccess");
    return { via: "service", answer };
  } catch (error) {
    ctx.signalEntity(id, "recordFailure", now);
    return { via: "fallback", reason: (error as Error).message };
  }
});

if (isMain(import.meta.url)) {
  const store = sqlite(process.env.PERDURE_DB ?? "perdure.db");
  const worker = createWorker(app, store).start();
  const client = createClient(store, { app });
  try {
    await client.signalEntity(entityId(breaker, "billing"), "configure", { threshold: 2, coolDownMs: 60_000 });
    for (const fail of [true, true, false, false]) {
      const id = await client.startNew(guardedCall, { input: { service: "billing", fail } });
      const { output } = await client.waitForCompletion<Outcome>(id, { timeoutMs: 30_000 });
      console.log(`fail=${fail}:`, output);
    }
    console.log(`The service was called ${serviceCalls.count} times for 4 requests.`);
  } finally {
    await worker.stop();
    await store.close();
  }
}
