// runAttempts: the one attempt loop behind retry(), start and command
// retries — its hooks, the policy, the budget and the mapped outcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attempts, constant, never, systemClock } from "../../mod.ts";
import { runAttempts } from "../../src/retry/_attempts.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { code, T0 } from "../_support/runtime_setup.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";

// Zero-length waits on the real clock; the abort test waits on a manual one.
const clock = systemClock;
const policy = attempts(3, { backoff: constant(0) });

function failing(times: number, log: string[] = []) {
  return (n: number): Promise<string> => {
    log.push(`run ${n}`);
    return n <= times
      ? Promise.reject(new Error(`fail ${n}`))
      : Promise.resolve(`ok ${n}`);
  };
}

test("runs until an attempt succeeds, waiting between attempts", async () => {
  const log: string[] = [];
  const value = await runAttempts({
    run: failing(2, log),
    policy,
    clock,
    beforeWait: () => void log.push("wait"),
  });
  assert.equal(value, "ok 3");
  assert.deepEqual(log, ["run 1", "wait", "run 2", "wait", "run 3"]);
});

test("the policy stopping rethrows the last error", async () => {
  await assert.rejects(
    runAttempts({ run: failing(5), policy: never(), clock }),
    /fail 1/,
  );
});

test("failed() can stop the loop with its own error", async () => {
  const stop = new Error("canceled");
  await assert.rejects(
    runAttempts({ run: failing(5), policy, clock, failed: () => ({ stop }) }),
    (e) => e === stop,
  );
});

test("the budget is counted once and asked before each retry", async () => {
  const calls: string[] = [];
  const budget = {
    first: () => void calls.push("first"),
    tryRetry: () => (calls.push("retry?"), false),
  };
  await assert.rejects(
    runAttempts({ run: failing(5), policy, clock, budget, what: "thing" }),
    (e) =>
      code(e) === "retry_budget_exhausted" &&
      /thing was not retried/.test(String(e)) &&
      /fail 1/.test(String((e as Error).cause)),
  );
  assert.deepEqual(calls, ["first", "retry?"]);
});

test("succeeded() and gaveUp() map the outcome", async () => {
  const mapped = await runAttempts({
    run: failing(0),
    policy,
    clock,
    succeeded: (value: string) => value.length,
  });
  assert.equal(mapped, 4);
  const wrapped = new Error("wrapped");
  await assert.rejects(
    runAttempts({
      run: failing(5),
      policy: never(),
      clock,
      gaveUp: () => wrapped,
    }),
    (e) => e === wrapped,
  );
});

test("an aborted wait ends the loop with the signal's reason", async () => {
  const controller = new AbortController();
  const loop = runAttempts({
    run: failing(5),
    policy: attempts(3, { backoff: constant(1_000) }),
    clock: new ManualClock(T0),
    signal: controller.signal,
  });
  controller.abort(new Error("stop waiting"));
  await assert.rejects(loop, /stop waiting/);
});

test("no unhandled rejections", assertNoUnhandled);
