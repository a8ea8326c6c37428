// Private helpers: every delay that leaves the retry toolkit passes through
// clampDelay, and every unit random draw through unitRandom.
import { MAX_TIMER_MS } from "../base/clock.ts";

/**
 * Forces a delay into `[0, MAX_TIMER_MS]`: `NaN`, negative numbers and
 * non-numbers become `0`; `+Infinity` and anything above the largest timer
 * value every runtime honours become {@linkcode MAX_TIMER_MS}.
 */
export function clampDelay(ms: unknown): number {
  if (typeof ms !== "number" || !(ms > 0)) return 0; // NaN, <= 0, non-number
  return ms < MAX_TIMER_MS ? ms : MAX_TIMER_MS;
}

/**
 * Normalises a failure count for the backoff formulas: anything below 1
 * (including `NaN` and non-numbers) counts as the first failure. Large and
 * infinite counts are kept; the formulas cap them.
 */
export function normalizeFailures(failures: unknown): number {
  if (typeof failures !== "number" || !(failures >= 1)) return 1;
  return failures;
}

/**
 * Calls a `() => number` random source and forces its result into `[0, 1]`
 * so that a misbehaving source cannot produce a delay outside the range the
 * formula promises.
 */
export function unitRandom(random: () => number): number {
  const value = random();
  if (typeof value !== "number" || !(value > 0)) return 0; // NaN, <= 0
  return value < 1 ? value : 1;
}

/**
 * `base × factor^exponent`, capped at `limit`, computed without ever
 * producing `Infinity` or `NaN`: the exponent is compared with the smallest
 * exponent that reaches the limit before `Math.pow` is called.
 * Expects `base >= 0`, `factor >= 1`, `exponent >= 0`, `limit >= base`.
 */
export function cappedPower(
  base: number,
  factor: number,
  exponent: number,
  limit: number,
): number {
  if (base === 0 || factor === 1 || exponent <= 0) return Math.min(base, limit);
  if (base >= limit) return limit;
  // Smallest exponent at which base × factor^exponent >= limit.
  const reach = Math.log(limit / base) / Math.log(factor);
  if (!(exponent < reach)) return limit;
  const value = base * factor ** exponent;
  return value < limit ? value : limit;
}
