import { MAX_TIMER_MS } from "../base/clock.ts";
import {
  assertDelayArg,
  assertFunction,
  assertNumberInRange,
} from "./_assert.ts";
import {
  cappedPower,
  clampDelay,
  normalizeFailures,
  unitRandom,
} from "./_clamp.ts";

/**
 * Maps the number of failed attempts so far to a base delay in milliseconds,
 * before jitter. `failures` starts at 1 (the delay after the first failure).
 *
 * The backoffs in this module never return `NaN` or `Infinity`: every result
 * is a finite number in `[0, 2^31 − 1]`, whatever the failure count. A
 * `failures` value below 1 (or `NaN`) is treated as 1.
 *
 * @example A hand-written backoff
 * ```ts
 * import { attempts, type Backoff } from "@workerkit/core/retry";
 *
 * // 100 ms, 250 ms, then 1 s for every later failure.
 * const steps: Backoff = (failures) => [100, 250][failures - 1] ?? 1_000;
 * const policy = attempts(5, { backoff: steps });
 * console.log(policy.delay(2, new Error("boom"))); // 250
 * ```
 */
export type Backoff = (failures: number) => number;

/**
 * A backoff that waits the same time after every failure.
 *
 * @param ms The delay in milliseconds; values above `2^31 − 1` are clamped to it.
 * @returns A {@linkcode Backoff} that always returns `ms`.
 * @throws {TypeError} If `ms` is not a number.
 * @throws {RangeError} If `ms` is negative, `NaN` or infinite.
 *
 * @example Waiting 500 ms between attempts
 * ```ts
 * import { attempts, constant } from "@workerkit/core/retry";
 *
 * const backoff = constant(500);
 * console.log(backoff(1), backoff(7)); // 500 500
 * const policy = attempts(3, { backoff });
 * console.log(policy.delay(1, new Error("boom"))); // 500
 * ```
 */
export function constant(ms: number): Backoff {
  const value = clampDelay(assertDelayArg("ms", ms));
  return (_failures: number): number => value;
}

/**
 * A backoff that grows by a fixed step per failure: `stepMs × failures`,
 * capped at `maxMs`.
 *
 * @param stepMs The step in milliseconds; also the first delay.
 * @param maxMs The largest delay to return. Optional; without it the only
 * cap is the timer limit `2^31 − 1`.
 * @returns A {@linkcode Backoff} returning `min(maxMs, stepMs × failures)`.
 * @throws {TypeError} If an argument is not a number.
 * @throws {RangeError} If an argument is negative, `NaN` or infinite, or if
 * `maxMs` is smaller than `stepMs`.
 *
 * @example 100 ms, 200 ms, 300 ms, then at most 250 ms
 * ```ts
 * import { linear } from "@workerkit/core/retry";
 *
 * const backoff = linear(100, 250);
 * console.log([1, 2, 3, 4].map(backoff)); // [100, 200, 250, 250]
 * ```
 */
export function linear(stepMs: number, maxMs?: number): Backoff {
  const step = assertDelayArg("stepMs", stepMs);
  const limit = limitOf(maxMs, step, "stepMs");
  return (failures: number): number => {
    const n = normalizeFailures(failures);
    if (step === 0) return 0;
    // Compare before multiplying so a huge (or infinite) count cannot overflow.
    return clampDelay(n < limit / step ? Math.min(step * n, limit) : limit);
  };
}

/**
 * A backoff that multiplies the delay by `factor` after every failure:
 * `initialMs × factor^(failures − 1)`, capped at `maxMs`. The exponent is
 * capped before it is applied, so the result stays finite after any number
 * of failures.
 *
 * @param initialMs The first delay in milliseconds.
 * @param factor The growth factor, a finite number >= 1. Defaults to 2.
 * @param maxMs The largest delay to return. Optional; without it the only
 * cap is the timer limit `2^31 − 1`.
 * @returns A {@linkcode Backoff} returning
 * `min(maxMs, initialMs × factor^(failures − 1))`.
 * @throws {TypeError} If an argument is not a number.
 * @throws {RangeError} If a delay is negative, `NaN` or infinite, if
 * `factor` is below 1 or not finite, or if `maxMs` is smaller than
 * `initialMs`.
 *
 * @example Doubling from 100 ms up to 1 s
 * ```ts
 * import { exponential } from "@workerkit/core/retry";
 *
 * const backoff = exponential(100, 2, 1_000);
 * console.log([1, 2, 3, 4, 5].map(backoff)); // [100, 200, 400, 800, 1000]
 * console.log(backoff(10_000)); // 1000
 * ```
 */
export function exponential(
  initialMs: number,
  factor: number = 2,
  maxMs?: number,
): Backoff {
  const initial = assertDelayArg("initialMs", initialMs);
  const base = assertNumberInRange("factor", factor, 1, Infinity);
  const limit = limitOf(maxMs, initial, "initialMs");
  return (failures: number): number =>
    clampDelay(
      cappedPower(initial, base, normalizeFailures(failures) - 1, limit),
    );
}

/**
 * A stateless "decorrelated" backoff: each delay is drawn uniformly from
 * `[baseMs, min(maxMs, baseMs × 3^failures)]`. The range widens like an
 * exponential backoff but the draw spreads retries from many callers apart.
 * Unlike the stateful AWS variant it does not depend on the previous delay,
 * so one instance can be shared by any number of concurrent retries.
 *
 * @param baseMs The smallest delay in milliseconds.
 * @param maxMs The largest delay in milliseconds (required).
 * @param random A source of numbers in `[0, 1)`; results outside `[0, 1]`
 * are clamped into it. Defaults to `Math.random`.
 * @returns A {@linkcode Backoff} drawing from the widening range.
 * @throws {TypeError} If a delay is not a number or `random` is not a function.
 * @throws {RangeError} If a delay is negative, `NaN` or infinite, or if
 * `maxMs` is smaller than `baseMs`.
 *
 * @example Spreading retries between 100 ms and 10 s
 * ```ts
 * import { attempts, decorrelated } from "@workerkit/core/retry";
 *
 * const policy = attempts(6, { backoff: decorrelated(100, 10_000) });
 * const wait = policy.delay(2, new Error("boom")); // somewhere in [100, 900]
 * console.log(wait !== undefined && wait >= 100 && wait <= 900); // true
 * ```
 */
export function decorrelated(
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): Backoff {
  const base = assertDelayArg("baseMs", baseMs);
  if (maxMs === undefined) throw new TypeError("maxMs is required");
  const limit = limitOf(maxMs, base, "baseMs");
  const draw = assertFunction("random", random);
  return (failures: number): number => {
    const upper = cappedPower(base, 3, normalizeFailures(failures), limit);
    const low = Math.min(base, upper);
    return clampDelay(low + unitRandom(draw) * (upper - low));
  };
}

/**
 * Validates an optional `maxMs` against the first delay and returns the cap
 * the formula works with: `min(maxMs, MAX_TIMER_MS)`, or `MAX_TIMER_MS` when
 * `maxMs` is omitted.
 */
function limitOf(maxMs: unknown, min: number, minName: string): number {
  if (maxMs === undefined) return MAX_TIMER_MS;
  const max = assertDelayArg("maxMs", maxMs);
  if (max < min) {
    throw new RangeError(
      `maxMs must be >= ${minName} (${min}), got ${String(max)}`,
    );
  }
  return Math.min(max, MAX_TIMER_MS);
}
