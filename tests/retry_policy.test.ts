import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attempts,
  attemptsIf,
  constant,
  exponential,
  full,
  linear,
  never,
  type RetryPolicy,
  symmetric,
} from "../src/retry/mod.ts";
import { MAX_TIMER_MS } from "../src/base/clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

/** Returns the given values in order, starting over after the last one. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length] ?? 0;
}

/** The delays a policy gives for failures 1, 2, ... until it stops (at most `limit`). */
function delays(
  policy: RetryPolicy,
  error: unknown = new Error("boom"),
  limit = 100,
): Array<number> {
  const out: number[] = [];
  for (let failures = 1; failures <= limit; failures++) {
    const value = policy.delay(failures, error);
    if (value === undefined) break;
    out.push(value);
  }
  return out;
}

class TransientError extends Error {}

test("never() stops after the first failure", () => {
  const policy = never();
  assert.equal(policy.delay(1, new Error("boom")), undefined);
  assert.equal(policy.delay(5, new Error("boom")), undefined);
});

test("attempts() stops after the configured total", () => {
  assert.equal(delays(attempts(1)).length, 0);
  assert.equal(delays(attempts(2)).length, 1);
  assert.equal(delays(attempts(5)).length, 4);
  const policy = attempts(3);
  assert.notEqual(policy.delay(2, new Error("boom")), undefined);
  assert.equal(policy.delay(3, new Error("boom")), undefined);
  assert.equal(policy.delay(4, new Error("boom")), undefined);
});

test("attempts() waits 0 ms by default and retries every error", () => {
  const policy = attempts(4);
  assert.deepEqual(delays(policy), [0, 0, 0]);
  assert.deepEqual(delays(policy, "a string"), [0, 0, 0]);
  assert.deepEqual(delays(policy, undefined), [0, 0, 0]);
});

test("attempts() applies the backoff to the failure count", () => {
  assert.deepEqual(delays(attempts(5, { backoff: exponential(100) })), [
    100,
    200,
    400,
    800,
  ]);
  assert.deepEqual(delays(attempts(4, { backoff: linear(50) })), [
    50,
    100,
    150,
  ]);
  assert.deepEqual(delays(attempts(3, { backoff: constant(7) })), [7, 7]);
});

test("attempts() applies the jitter to the backoff's delay", () => {
  const policy = attempts(5, {
    backoff: exponential(100, 2, 500),
    jitter: full(sequence(0.5, 0, 0.25, 1)),
  });
  assert.deepEqual(delays(policy), [50, 0, 100, 500]);
  const seen: number[] = [];
  const spy = attempts(3, {
    backoff: linear(10),
    jitter: (ms) => {
      seen.push(ms);
      return ms + 1;
    },
  });
  assert.deepEqual(delays(spy), [11, 21]);
  assert.deepEqual(seen, [10, 20]);
});

test("attempts() stops at once when retryIf returns false", () => {
  const errors: unknown[] = [];
  const policy = attempts(10, {
    retryIf: (error) => {
      errors.push(error);
      return error instanceof TransientError;
    },
  });
  const transient = new TransientError("flaky");
  const fatal = new TypeError("bug");
  assert.equal(policy.delay(1, transient), 0);
  assert.equal(policy.delay(1, fatal), undefined);
  assert.deepEqual(errors, [transient, fatal]);
});

test("attempts() does not consult retryIf once the attempts are used up", () => {
  let calls = 0;
  const policy = attempts(2, {
    retryIf: () => {
      calls++;
      return true;
    },
  });
  assert.equal(policy.delay(2, new Error("boom")), undefined);
  assert.equal(calls, 0);
});

test("attemptsIf() retries only the errors its predicate accepts", () => {
  const policy = attemptsIf(3, (error) => error instanceof TransientError, {
    backoff: constant(100),
    jitter: symmetric(0.5, () => 0.5),
  });
  assert.deepEqual(delays(policy, new TransientError("flaky")), [100, 100]);
  assert.deepEqual(delays(policy, new Error("fatal")), []);
});

test("attemptsIf() uses its predicate even if options carry a retryIf", () => {
  const options = { retryIf: () => false } as unknown as Record<string, never>;
  const policy = attemptsIf(3, () => true, options);
  assert.equal(policy.delay(1, new Error("boom")), 0);
});

test("attempts() clamps a custom backoff's NaN, negative and infinite delays", () => {
  const backoffs: Array<[number, number]> = [
    [NaN, 0],
    [-5, 0],
    [-Infinity, 0],
    [Infinity, MAX_TIMER_MS],
    [1e12, MAX_TIMER_MS],
    [123.5, 123.5],
  ];
  for (const [raw, expected] of backoffs) {
    assert.equal(
      attempts(2, { backoff: () => raw }).delay(1, new Error("boom")),
      expected,
      `backoff returned ${raw}`,
    );
  }
});

test("attempts() clamps a custom jitter's NaN, negative and infinite delays", () => {
  const jitters: Array<[number, number]> = [
    [NaN, 0],
    [-1, 0],
    [Infinity, MAX_TIMER_MS],
  ];
  for (const [raw, expected] of jitters) {
    const policy = attempts(2, { backoff: constant(10), jitter: () => raw });
    assert.equal(policy.delay(1, new Error("boom")), expected);
  }
});

test("attempts() gives finite delays in [0, 2^31 - 1] for failures 1..10,000 and 1e9", () => {
  const policy = attempts(Number.MAX_SAFE_INTEGER, {
    backoff: exponential(1, 10),
    jitter: symmetric(1, () => 0.999999),
  });
  const error = new Error("boom");
  for (let failures = 1; failures <= 10_000; failures++) {
    const value = policy.delay(failures, error);
    assert.ok(
      value !== undefined && Number.isFinite(value) && value >= 0 &&
        value <= MAX_TIMER_MS,
      `failures=${failures}: ${value}`,
    );
  }
  assert.equal(policy.delay(1e9, error), MAX_TIMER_MS);
});

test("attempts() stops on a NaN failure count", () => {
  assert.equal(attempts(5).delay(NaN, new Error("boom")), undefined);
});

test("attempts() throws RangeError unless maxAttempts is an integer >= 1", () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity, -Infinity]) {
    assert.throws(() => attempts(bad), RangeError, `maxAttempts ${bad}`);
    assert.throws(() => attemptsIf(bad, () => true), RangeError);
  }
  assert.throws(() => attempts(0), /maxAttempts must be an integer >= 1/);
});

test("attempts() and attemptsIf() throw TypeError on arguments of the wrong type", () => {
  const anyOf = (value: unknown) => value as never;
  assert.throws(() => attempts(anyOf("3")), TypeError);
  assert.throws(() => attempts(anyOf(undefined)), TypeError);
  assert.throws(() => attempts(3, anyOf(null)), TypeError);
  assert.throws(() => attempts(3, anyOf(5)), TypeError);
  assert.throws(() => attempts(3, { backoff: anyOf(100) }), TypeError);
  assert.throws(() => attempts(3, { jitter: anyOf("full") }), TypeError);
  assert.throws(() => attempts(3, { retryIf: anyOf(true) }), TypeError);
  assert.throws(() => attemptsIf(3, anyOf(undefined)), TypeError);
  assert.throws(() => attemptsIf(3, () => true, anyOf("x")), TypeError);
  assert.throws(
    () => attempts(3, { backoff: anyOf(100) }),
    /options\.backoff must be a function/,
  );
});

test("policies are plain objects that can be shared between retries", () => {
  const policy = attempts(3, { backoff: exponential(10) });
  assert.deepEqual(delays(policy), [10, 20]);
  assert.deepEqual(delays(policy), [10, 20]);
  assert.equal(never(), never());
});

test("no unhandled rejections", assertNoUnhandled);
