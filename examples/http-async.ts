/**
 * The async HTTP API pattern: `POST /api/orders` starts an order orchestration and answers at
 * once with 202 and the instance's management URLs; the caller polls `statusQueryGetUri` (202
 * while it runs) until it answers 200 with the result.
 *
 * Run: `npx tsx examples/http-async.ts` (or `npx tsx src/cli/main.ts dev examples/http-async.ts`), then
 *   curl -i -X POST http://127.0.0.1:7071/api/orders -H 'content-type: application/json' \
 *        -d '{"item":"book","quantity":2,"unitPrice":12.5}'
 *   curl -i <statusQueryGetUri from the answer>
 */
import { createApp, createClient, createWorker, serve, sqlite } from "../src/index.js";
import { isMain } from "./run.js";

export interface Order {
  readonly item: string;
  readonly quantity: number;
  readonly unitPrice: number;
}
export interface Receipt {
  readonly reservation: string;
  readonly charged: number;
  readonly tracking: string;
}

export const app = createApp();

export const reserveStock = app.activity("ReserveStock", async (order: Order) => `reserved ${order.quantity} x ${order.item}`);
export const chargePayment = app.activity("ChargePayment", async (order: Order) => Math.round(order.quantity * order.unitPrice * 100) / 100);
export const shipOrder = app.activity("ShipOrder", async (order: Order) => `TRACK-${order.item.toUpperCase()}-${order.quantity}`);

export const processOrder = app.orchestration("ProcessOrder", function* (ctx, order: Order): Generator<unknown, Receipt, unknown> {
  ctx.setCustomStatus("reserving");
  const reservation = yield* ctx.callActivity(reserveStock, order);
  ctx.setCustomStatus("charging");
  const charged = yield* ctx.callActivity(chargePayment, order);
  ctx.setCustomStatus("shipping");
  const tracking = yield* ctx.callActivity(shipOrder, order);
  ctx.setCustomStatus("done");
  return { reservation, charged, tracking };
});

function isOrder(value: unknown): value is Order {
  const o = value as Partial<Order> | null;
  return typeof o?.item === "string" && Number.isInteger(o.quantity) && (o.quantity ?? 0) > 0 && typeof o.unitPrice === "number";
}

app.http("POST", "/api/orders", async (request, client) => {
  const order: unknown = await request.json().catch(() => undefined);
  if (!isOrder(order)) {
    return Response.json({ message: "Send an order as JSON: { item: string, quantity: positive integer, unitPrice: number }." }, { status: 400 });
  }
  const instanceId = await client.startNew(processOrder, { input: order });
  return client.createCheckStatusResponse(request, instanceId);
});

if (isMain(import.meta.url)) {
  const store = sqlite(process.env.PERDURE_DB ?? "perdure.db");
  const worker = createWorker(app, store).start();
  const server = await serve({ app, client: createClient(store, { app }), port: Number(process.env.PORT ?? 7071) });
  console.log(`Listening on ${server.url}. Start an order with:`);
  console.log(`  curl -i -X POST ${server.url}/api/orders -H 'content-type: application/json' -d '{"item":"book","quantity":2,"unitPrice":12.5}'`);
  process.once("SIGINT", () => {
    void (async () => {
      await server.close();
      await worker.stop();
      await store.close();
    })();
  });
}
