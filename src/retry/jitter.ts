import { assertFunction, assertNumberInRange } from "./_assert.ts";
import { clampDelay, unitRandom } from "./_clamp.ts";

/**
 * Turns a base delay from a {@linkcode Backoff} into the delay actually
 * waited, usually by randomising it so that many callers failing together do
 * not retry together.
 *
 * The jitters in this module accept any input (a `NaN`, negative or huge
 * delay is clamped first) and always return a finite number in
 * `[0, 2^31 − 1]`.
 *
 * @example A hand-written jitter
 * ```ts
 * import { attempts, constant, type Jitter } from "@workerkit/core/retry";
 *
 * // Always add 10 ms.
 * const plusTen: Jitter = (delayMs) => delayMs + 10;
 * const policy = attempts(3, { backoff: constant(100), jitter: plusTen });
 * console.log(policy.delay(1, new Error("boom"))); // 110
 * ```
 */
export type Jitter = (delayMs: number) => number;

/**
 * No jitter: the base delay is used as it is (clamped to `[0, 2^31 − 1]`).
 * This is the default of {@linkcode attempts}.
 *
 * @returns A {@linkcode Jitter} that returns its input.
 *
 * @example
 * ```ts
 * import { none } from "@workerkit/core/retry";
 *
 * console.log(none()(250)); // 250
 * ```
 */
export function none(): Jitter {
  return (delayMs: number): number => clampDelay(delayMs);
}

/**
 * "Full" jitter: a delay drawn uniformly from `[0, delayMs]`. It spreads
 * retries the most and, on average, halves the wait.
 *
 * @param random A source of numbers in `[0, 1)`; results outside `[0, 1]`
 * are clamped into it. Defaults to `Math.random`.
 * @returns A {@linkcode Jitter} returning `random() × delayMs`.
 * @throws {TypeError} If `random` is not a function.
 *
 * @example Deterministic draws for a test
 * ```ts
 * import { full } from "@workerkit/core/retry";
 *
 * const jitter = full(() => 0.25);
 * console.log(jitter(400)); // 100
 * ```
 */
export function full(random: () => number = Math.random): Jitter {
  const draw = assertFunction("random", random);
  return (delayMs: number): number =>
    clampDelay(unitRandom(draw) * clampDelay(delayMs));
}

/**
 * Symmetric jitter: the delay moved up or down by at most `fraction` of
 * itself, uniformly over `[delayMs × (1 − fraction), delayMs × (1 + fraction)]`.
 * The average wait stays the base delay.
 *
 * @param fraction How far the delay may move, a number in `[0, 1]`
 * (`0.2` means ±20 %).
 * @param random A source of numbers in `[0, 1)`; results outside `[0, 1]`
 * are clamped into it. Defaults to `Math.random`.
 * @returns A {@linkcode Jitter} returning
 * `delayMs × (1 + fraction × (2 × random() − 1))`.
 * @throws {TypeError} If `fraction` is not a number or `random` is not a
 * function.
 * @throws {RangeError} If `fraction` is outside `[0, 1]` or `NaN`.
 *
 * @example ±20 % around the base delay
 * ```ts
 * import { symmetric } from "@workerkit/core/retry";
 *
 * console.log(symmetric(0.2, () => 0)(1_000)); // 800
 * console.log(symmetric(0.2, () => 0.5)(1_000)); // 1000
 * ```
 */
export function symmetric(
  fraction: number,
  random: () => number = Math.random,
): Jitter {
  const spread = assertNumberInRange("fraction", fraction, 0, 1);
  const draw = assertFunction("random", random);
  return (delayMs: number): number => {
    const base = clampDelay(delayMs);
    return clampDelay(base * (1 + spread * (2 * unitRandom(draw) - 1)));
  };
}
