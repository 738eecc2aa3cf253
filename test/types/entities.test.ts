/**
 * Type tests of entities: handles carry an entity's operations (given for a function entity,
 * taken from a class's methods), so calls, signals and reads are checked at compile time.
 * `tsc --noEmit` (run by `npm test`) checks the expectTypeOf assertions and the
 * `@ts-expect-error` lines; vitest runs the orchestrations so the typed code runs too.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { EntityLock } from "../../src/core/replay/entity-calls.js";
import type { Task } from "../../src/core/replay/task.js";
import { createApp } from "../../src/sdk/app.js";
import { entityId, type EntityContext } from "../../src/sdk/entity-context.js";
import type { EntityHandle, EntityId, OperationInput, OperationOutput } from "../../src/sdk/handles.js";
import type { Client } from "../../src/runtime/client.js";
import { Simulator } from "../helpers/simulator.js";

type CounterOps = { add: (amount: number) => void; get: () => number; reset: () => void };

class Cart {
  items: string[] = [];
  add(item: string, _ctx: EntityContext): number {
    this.items.push(item);
    return this.items.length;
  }
  list(): string[] {
    return this.items;
  }
  async total(): Promise<number> {
    return this.items.length;
  }
  private secret(): void {}
}

const app = createApp();
const counter = app.entity<CounterOps>("Counter", (ctx: EntityContext<number>) => {
  const value = ctx.getState(() => 0);
  expectTypeOf(value).toEqualTypeOf<number>();
  expectTypeOf(ctx.getState()).toEqualTypeOf<number | undefined>();
  expectTypeOf(ctx.getState<string[]>(() => [])).toEqualTypeOf<string[]>();
  // @ts-expect-error the state is a number
  ctx.setState("ten");
  ctx.signalEntity(entityId(cart, "c"), "add", "apple");
  // @ts-expect-error Cart has no operation 'remove'
  ctx.signalEntity(entityId(cart, "c"), "remove", "apple");
});
const cart = app.entity("Cart", Cart);
const untyped = app.entity("Loose", () => undefined);

describe("entity handles", () => {
  it("carry the operations of a function entity and of a class entity", () => {
    expectTypeOf(counter).toEqualTypeOf<EntityHandle<CounterOps>>();
    expectTypeOf(entityId(counter, "a")).toEqualTypeOf<EntityId<CounterOps>>();
    expectTypeOf<OperationInput<CounterOps["add"]>>().toEqualTypeOf<number>();
    expectTypeOf<OperationInput<CounterOps["get"]>>().toEqualTypeOf<void>();
    expectTypeOf<OperationOutput<CounterOps["get"]>>().toEqualTypeOf<number>();
    type CartOps = typeof cart extends EntityHandle<infer O> ? O : never;
    expectTypeOf<keyof CartOps>().toEqualTypeOf<"add" | "list" | "total">();
    expectTypeOf<OperationInput<CartOps["add"]>>().toEqualTypeOf<string>();
    expectTypeOf<OperationOutput<CartOps["total"]>>().toEqualTypeOf<number>();
    expect(counter).toEqual({ kind: "entity", name: "Counter" });
    expect(entityId(cart, "c1")).toEqual({ name: "cart", key: "c1" });
  });
});

describe("typed entity calls", () => {
  app.orchestration("UsesEntities", function* (ctx) {
    const a = entityId(counter, "a");
    const before = yield* ctx.callEntity(a, "get");
    expectTypeOf(before).toEqualTypeOf<number>();
    yield* ctx.callEntity(a, "add", 2);
    ctx.signalEntity(a, "reset");
    ctx.signalEntity(a, "add", 1, { at: new Date(0) });
    const size = yield* ctx.callEntity(entityId(cart, "c"), "add", "pear");
    expectTypeOf(size).toEqualTypeOf<number>();
    expectTypeOf(ctx.callEntity(entityId(cart, "c"), "total")).toEqualTypeOf<Task<number>>();
    const anything = yield* ctx.callEntity(entityId("Loose", "k"), "whatever", { any: "input" });
    expectTypeOf(anything).toBeAny();
    void untyped;

    // @ts-expect-error Counter has no operation 'subtract'
    ctx.callEntity(a, "subtract", 1);
    // @ts-expect-error 'add' takes a number
    ctx.callEntity(a, "add", "two");
    // @ts-expect-error 'add' needs its input
    ctx.callEntity(a, "add");
    // @ts-expect-error 'get' takes no input
    ctx.callEntity(a, "get", 5);
    // @ts-expect-error 'secret' is private
    ctx.callEntity(entityId(cart, "c"), "secret");
    // @ts-expect-error 'reset' takes no input
    ctx.signalEntity(a, "reset", 3);

    const lock = yield* ctx.lockEntities(a, entityId(cart, "c"));
    expectTypeOf(lock).toEqualTypeOf<EntityLock>();
    lock.release();
    return before + size;
  });

  it("run", () => {
    const sim = new Simulator(app, "UsesEntities");
    const r = sim.start();
    expect(r.actions).toMatchObject([{ type: "SendEntityMessage", message: { type: "EntityOperationCalled", operation: "get" } }]);
  });

  it("check client calls too", () => {
    const check = async (client: Client) => {
      await client.signalEntity(entityId(counter, "a"), "add", 1);
      await client.signalEntity(entityId(counter, "a"), "reset", undefined, { at: new Date() });
      // @ts-expect-error 'add' takes a number
      await client.signalEntity(entityId(counter, "a"), "add", "one");
      // @ts-expect-error Counter has no operation 'nope'
      await client.signalEntity(entityId(counter, "a"), "nope");
      const state = await client.readEntityState<number>(entityId(counter, "a"));
      expectTypeOf(state.state).toEqualTypeOf<number | undefined>();
    };
    expect(typeof check).toBe("function");
  });
});
