// The retry budget: its window math, and the two paths that spend it (start
// retries and command retries) refusing with retry_budget_exhausted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attempts, constant } from "../mod.ts";
import { RetryBudget } from "../src/runtime/_retry_budget.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { code, setup, T0 } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

test("retries may add ratio × first attempts plus the floor over ten seconds", () => {
  const clock = new ManualClock(T0);
  const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0 }, clock);
  for (let i = 0; i < 4; i++) budget.first();
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), false);
});

test("the floor allows minPerSecond × 10 retries with no traffic", () => {
  const budget = new RetryBudget(
    { ratio: 0, minPerSecond: 1 },
    new ManualClock(T0),
  );
  for (let i = 0; i < 10; i++) assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), false);
});

test("spent retries leave the window after ten seconds", async () => {
  const clock = new ManualClock(T0);
  const budget = new RetryBudget({ ratio: 0, minPerSecond: 0.1 }, clock);
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), false);
  await clock.advance(10_000);
  assert.equal(budget.tryRetry(), true);
});

test("bad options are refused", () => {
  const clock = new ManualClock(T0);
  assert.throws(
    () => new RetryBudget({ ratio: -1 }, clock),
    (e) => code(e) === "invalid_argument",
  );
  assert.throws(
    () => new RetryBudget({ minPerSecond: -1 }, clock),
    (e) => code(e) === "invalid_argument",
  );
});

test("a start retry past the budget is refused with retry_budget_exhausted", async () => {
  const { runtime } = setup({ retryBudget: { ratio: 0, minPerSecond: 0 } });
  runtime.register({
    name: "w",
    startRetry: attempts(3, { backoff: constant(0) }),
    worker: {
      start() {
        throw new Error("down");
      },
      stop() {},
    },
  });
  await assert.rejects(runtime.start("w"), (e) => {
    return code(e) === "retry_budget_exhausted" &&
      /start of billing\/w was not retried/.test(String(e)) &&
      (e as Error).cause instanceof Error;
  });
});

test("a command retry past the budget is refused with retry_budget_exhausted", async () => {
  const { runtime } = setup({ retryBudget: { ratio: 0, minPerSecond: 0 } });
  runtime.register({
    name: "w",
    commandRetry: attempts(3, { backoff: constant(0) }),
    worker: { start() {}, stop() {} },
    commands: [{
      name: "boom",
      handler: () => {
        throw new Error("down");
      },
    }],
  });
  await runtime.start("w");
  await assert.rejects(
    runtime.dispatch({ worker: "w", name: "boom" }),
    (e) =>
      code(e) === "retry_budget_exhausted" &&
      /boom was not retried/.test(String(e)),
  );
});

test("no unhandled rejections", assertNoUnhandled);
