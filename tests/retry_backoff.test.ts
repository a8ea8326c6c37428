import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type Backoff,
  constant,
  decorrelated,
  exponential,
  full,
  type Jitter,
  linear,
  none,
  symmetric,
} from "../src/retry/mod.ts";
import { MAX_TIMER_MS } from "../src/base/clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

/** Returns the given values in order, starting over after the last one. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length] ?? 0;
}

/** A seeded PRNG (mulberry32) yielding numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertValidDelay(value: number, label: string): void {
  assert.equal(typeof value, "number", `${label}: not a number`);
  assert.ok(Number.isFinite(value), `${label}: ${value} is not finite`);
  assert.ok(value >= 0, `${label}: ${value} is negative`);
  assert.ok(value <= MAX_TIMER_MS, `${label}: ${value} exceeds the timer cap`);
}

const ODD_FAILURES = [0, -1, -Infinity, NaN, 1e9, 1e300, Infinity];

function sampleBackoffs(): Array<[string, Backoff]> {
  return [
    ["constant(0)", constant(0)],
    ["constant(250)", constant(250)],
    ["constant(1e12)", constant(1e12)],
    ["linear(0)", linear(0)],
    ["linear(100)", linear(100)],
    ["linear(100, 1000)", linear(100, 1_000)],
    ["linear(1e300)", linear(1e300)],
    ["exponential(0)", exponential(0)],
    ["exponential(1)", exponential(1)],
    ["exponential(100, 2, 30000)", exponential(100, 2, 30_000)],
    ["exponential(1, 1.0000001)", exponential(1, 1.0000001)],
    ["exponential(5e-324, 1e308)", exponential(5e-324, 1e308)],
    ["exponential(10, 1)", exponential(10, 1)],
    ["decorrelated(0, 0)", decorrelated(0, 0, seeded(1))],
    ["decorrelated(100, 1e12)", decorrelated(100, 1e12, seeded(2))],
    ["decorrelated(1, 1e300)", decorrelated(1, 1e300, () => 0.999999)],
  ];
}

function sampleJitters(): Array<[string, Jitter]> {
  return [
    ["none()", none()],
    ["full()", full(seeded(3))],
    ["full(() => 0.999999)", full(() => 0.999999)],
    ["symmetric(1)", symmetric(1, seeded(4))],
    ["symmetric(1, () => 0.999999)", symmetric(1, () => 0.999999)],
    ["symmetric(0.3)", symmetric(0.3, seeded(5))],
  ];
}

// --- constant ---------------------------------------------------------------

test("constant() returns the same delay after every failure", () => {
  const backoff = constant(250);
  assert.deepEqual([1, 2, 3, 100].map(backoff), [250, 250, 250, 250]);
});

test("constant() clamps a delay above the timer limit to 2^31 - 1", () => {
  assert.equal(constant(1e12)(1), MAX_TIMER_MS);
  assert.equal(constant(MAX_TIMER_MS)(1), MAX_TIMER_MS);
});

// --- linear -----------------------------------------------------------------

test("linear() waits step × failures", () => {
  const backoff = linear(100);
  assert.deepEqual([1, 2, 3, 10].map(backoff), [100, 200, 300, 1_000]);
});

test("linear() never exceeds maxMs and is non-decreasing", () => {
  const backoff = linear(70, 1_000);
  let previous = 0;
  for (let failures = 1; failures <= 10_000; failures++) {
    const value = backoff(failures);
    assert.ok(value <= 1_000, `failures=${failures}: ${value} > 1000`);
    assert.ok(value >= previous, `failures=${failures}: decreased`);
    previous = value;
  }
  assert.equal(backoff(14), 980);
  assert.equal(backoff(15), 1_000);
});

test("linear() without maxMs stops at the timer limit", () => {
  assert.equal(linear(1_000)(1e9), MAX_TIMER_MS);
  assert.equal(linear(1_000)(Infinity), MAX_TIMER_MS);
});

// --- exponential ------------------------------------------------------------

test("exponential() waits initial × factor^(failures - 1)", () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(exponential(100)), [
    100,
    200,
    400,
    800,
    1_600,
  ]);
  assert.deepEqual([1, 2, 3].map(exponential(10, 3)), [10, 30, 90]);
  assert.deepEqual([1, 2, 50].map(exponential(10, 1)), [10, 10, 10]);
});

test("exponential() never exceeds maxMs and is non-decreasing", () => {
  const backoff = exponential(100, 2, 30_000);
  let previous = 0;
  for (let failures = 1; failures <= 10_000; failures++) {
    const value = backoff(failures);
    assert.ok(value <= 30_000, `failures=${failures}: ${value} > 30000`);
    assert.ok(value >= previous, `failures=${failures}: decreased`);
    previous = value;
  }
  assert.equal(backoff(9), 25_600);
  assert.equal(backoff(10), 30_000);
});

test("exponential() without maxMs reaches exactly 2^31 - 1 and stays there", () => {
  const backoff = exponential(1);
  assert.equal(backoff(31), 2 ** 30);
  assert.equal(backoff(32), MAX_TIMER_MS);
  assert.equal(backoff(10_000), MAX_TIMER_MS);
  assert.equal(backoff(1e9), MAX_TIMER_MS);
  assert.equal(backoff(Infinity), MAX_TIMER_MS);
});

test("exponential() treats a failure count below 1 as the first failure", () => {
  const backoff = exponential(100);
  assert.equal(backoff(0), 100);
  assert.equal(backoff(-3), 100);
  assert.equal(backoff(NaN), 100);
});

// --- decorrelated -----------------------------------------------------------

test("decorrelated() draws from [base, min(max, base × 3^failures)]", () => {
  const random = seeded(42);
  const backoff = decorrelated(100, 20_000, random);
  for (let failures = 1; failures <= 200; failures++) {
    const upper = Math.min(20_000, 100 * 3 ** failures);
    for (let i = 0; i < 20; i++) {
      const value = backoff(failures);
      assert.ok(
        value >= 100 && value <= upper,
        `failures=${failures}: ${value} outside [100, ${upper}]`,
      );
    }
  }
});

test("decorrelated() maps the random source linearly onto the range", () => {
  assert.equal(decorrelated(100, 10_000, () => 0)(1), 100);
  assert.equal(decorrelated(100, 10_000, () => 0.5)(1), 200);
  assert.equal(decorrelated(100, 10_000, () => 0.5)(2), 500);
  assert.equal(decorrelated(100, 10_000, () => 0.5)(50), 5_050);
});

test("decorrelated() is stateless: the same draw gives the same delay", () => {
  const backoff = decorrelated(10, 1_000, sequence(0.25));
  assert.equal(backoff(3), backoff(3));
  assert.equal(backoff(1), 15);
});

test("decorrelated() clamps a random source that leaves [0, 1]", () => {
  for (const bad of [-1, 2, NaN, Infinity, -Infinity]) {
    const value = decorrelated(100, 1_000, () => bad)(5);
    assert.ok(value >= 100 && value <= 1_000, `random()=${bad}: ${value}`);
  }
});

// --- jitter -----------------------------------------------------------------

test("none() returns the base delay unchanged", () => {
  const jitter = none();
  assert.deepEqual([0, 1, 250, MAX_TIMER_MS].map(jitter), [
    0,
    1,
    250,
    MAX_TIMER_MS,
  ]);
});

test("full() draws uniformly from [0, delay]", () => {
  assert.equal(full(() => 0)(400), 0);
  assert.equal(full(() => 0.25)(400), 100);
  assert.equal(full(() => 0.5)(400), 200);
  const jitter = full(seeded(7));
  for (let i = 0; i < 1_000; i++) {
    const value = jitter(400);
    assert.ok(value >= 0 && value <= 400, `${value} outside [0, 400]`);
  }
});

test("symmetric() stays within delay × (1 ± fraction)", () => {
  assert.equal(symmetric(0.2, () => 0)(1_000), 800);
  assert.equal(symmetric(0.2, () => 0.5)(1_000), 1_000);
  assert.equal(symmetric(0.2, () => 0.75)(1_000), 1_100);
  assert.equal(symmetric(0, seeded(8))(1_000), 1_000);
  const jitter = symmetric(0.3, seeded(9));
  for (let i = 0; i < 1_000; i++) {
    const value = jitter(1_000);
    assert.ok(value >= 700 && value <= 1_300, `${value} outside [700, 1300]`);
  }
});

test("jitters clamp a random source that leaves [0, 1]", () => {
  for (const bad of [-1, 2, NaN, Infinity]) {
    const a = full(() => bad)(400);
    assert.ok(a >= 0 && a <= 400, `full, random()=${bad}: ${a}`);
    const b = symmetric(0.5, () => bad)(400);
    assert.ok(b >= 200 && b <= 600, `symmetric, random()=${bad}: ${b}`);
  }
});

test("jitters clamp NaN, negative and oversized input delays", () => {
  for (const [name, jitter] of sampleJitters()) {
    assertValidDelay(jitter(NaN), `${name}(NaN)`);
    assertValidDelay(jitter(-5), `${name}(-5)`);
    assertValidDelay(jitter(Infinity), `${name}(Infinity)`);
    assertValidDelay(jitter(1e300), `${name}(1e300)`);
  }
  assert.equal(none()(NaN), 0);
  assert.equal(none()(-5), 0);
  assert.equal(none()(Infinity), MAX_TIMER_MS);
  assert.equal(symmetric(1, () => 0.999999)(MAX_TIMER_MS), MAX_TIMER_MS);
});

// --- finite and clamped everywhere ------------------------------------------

test("every backoff and jitter stays finite and in [0, 2^31 - 1] for failures 1..10,000", () => {
  const jitters = sampleJitters();
  for (const [name, backoff] of sampleBackoffs()) {
    for (let failures = 1; failures <= 10_000; failures++) {
      const base = backoff(failures);
      assertValidDelay(base, `${name}(${failures})`);
      for (const [jitterName, jitter] of jitters) {
        assertValidDelay(
          jitter(base),
          `${jitterName}(${name}(${failures}))`,
        );
      }
    }
  }
});

test("every backoff stays finite and in [0, 2^31 - 1] at 1e9 failures and odd counts", () => {
  for (const [name, backoff] of sampleBackoffs()) {
    for (const failures of ODD_FAILURES) {
      assertValidDelay(backoff(failures), `${name}(${failures})`);
    }
  }
});

// --- argument validation ----------------------------------------------------

test("backoffs throw RangeError on negative, NaN or infinite delays", () => {
  for (const bad of [-1, NaN, Infinity, -Infinity]) {
    assert.throws(() => constant(bad), RangeError, `constant(${bad})`);
    assert.throws(() => linear(bad), RangeError, `linear(${bad})`);
    assert.throws(() => linear(10, bad), RangeError, `linear(10, ${bad})`);
    assert.throws(() => exponential(bad), RangeError, `exponential(${bad})`);
    assert.throws(
      () => exponential(10, 2, bad),
      RangeError,
      `exponential(10, 2, ${bad})`,
    );
    assert.throws(() => decorrelated(bad, 100), RangeError);
    assert.throws(() => decorrelated(10, bad), RangeError);
  }
});

test("backoffs throw RangeError when maxMs is below the first delay", () => {
  assert.throws(() => linear(100, 99), RangeError);
  assert.throws(() => exponential(100, 2, 99), RangeError);
  assert.throws(() => decorrelated(100, 99), RangeError);
  assert.throws(() => decorrelated(100, 99), /maxMs must be >= baseMs/);
  // Equal is fine.
  assert.equal(exponential(100, 2, 100)(5), 100);
});

test("exponential() throws RangeError on a factor below 1 or not finite", () => {
  for (const bad of [0.5, 0, -2, NaN, Infinity]) {
    assert.throws(() => exponential(100, bad), RangeError, `factor ${bad}`);
  }
  assert.throws(() => exponential(100, 0.5), /factor must be/);
});

test("symmetric() throws RangeError on a fraction outside [0, 1]", () => {
  for (const bad of [-0.1, 1.5, NaN, Infinity]) {
    assert.throws(() => symmetric(bad), RangeError, `fraction ${bad}`);
  }
});

test("backoffs and jitters throw TypeError on arguments of the wrong type", () => {
  const anyOf = (value: unknown) => value as never;
  assert.throws(() => constant(anyOf("5")), TypeError);
  assert.throws(() => linear(anyOf(null)), TypeError);
  assert.throws(() => linear(10, anyOf("100")), TypeError);
  assert.throws(() => exponential(anyOf(undefined)), TypeError);
  assert.throws(() => exponential(10, anyOf("2")), TypeError);
  assert.throws(() => decorrelated(10, anyOf(undefined)), TypeError);
  assert.throws(() => decorrelated(10, 100, anyOf(0.5)), TypeError);
  assert.throws(() => full(anyOf(0.5)), TypeError);
  assert.throws(() => symmetric(anyOf("0.5")), TypeError);
  assert.throws(() => symmetric(0.5, anyOf({})), TypeError);
  assert.throws(() => constant(anyOf("5")), /ms must be a number/);
});

test("no unhandled rejections", assertNoUnhandled);
