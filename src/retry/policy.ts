import type { Backoff } from "./backoff.ts";
import type { Jitter } from "./jitter.ts";
import { assertFunction, assertOptions } from "./_assert.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";

const ATTEMPTS_KEYS: ReadonlySet<string> = new Set([
  "backoff",
  "jitter",
  "retryIf",
]);
const ATTEMPTS_IF_KEYS: ReadonlySet<string> = new Set(["backoff", "jitter"]);
import { clampDelay, normalizeFailures } from "./_clamp.ts";

/**
 * Decides, after a failed attempt, whether to try again and how long to wait
 * first. Workerkit uses it for `retry()`, for worker start attempts
 * (`startRetry`) and for command attempts (`commandRetry`).
 *
 * Implement it directly for custom rules (for example honouring a server's
 * `Retry-After`), or build one with {@linkcode attempts},
 * {@linkcode attemptsIf} or {@linkcode never}.
 *
 * @example A policy that honours a `retryAfterMs` field on the error
 * ```ts
 * import { retry, type RetryPolicy } from "@workerkit/core/retry";
 *
 * const politely: RetryPolicy = {
 *   delay(failures, error) {
 *     if (failures >= 3) return undefined; // three attempts in total
 *     const hint = (error as { retryAfterMs?: unknown }).retryAfterMs;
 *     return typeof hint === "number" ? hint : 10;
 *   },
 * };
 * const result = await retry(async (attempt) => {
 *   if (attempt < 2) throw Object.assign(new Error("busy"), { retryAfterMs: 5 });
 *   return "done";
 * }, politely);
 * console.log(result); // "done"
 * ```
 */
export interface RetryPolicy {
  /**
   * Returns how many milliseconds to wait before the next attempt, or
   * `undefined` to stop and give up.
   *
   * `retry()` clamps the number it gets to `[0, 2^31 − 1]` (`NaN` counts as
   * `0`, `Infinity` as `2^31 − 1`); any other non-number, or an exception
   * thrown from here, stops the retry with the last attempt's error.
   *
   * @param failures How many attempts have failed so far, `>= 1`.
   * @param error What the latest attempt threw.
   * @returns The delay in milliseconds, or `undefined` to stop.
   */
  delay(failures: number, error: unknown): number | undefined;
}

/** Options for {@linkcode attempts}. */
export interface AttemptsOptions {
  /**
   * The base delay after each failure, before jitter.
   *
   * @default {constant(0)}
   */
  backoff?: Backoff | undefined;
  /**
   * Randomises the base delay.
   *
   * @default {none()}
   */
  jitter?: Jitter | undefined;
  /**
   * Which errors are worth another attempt; returning `false` stops at once.
   * An exception thrown from it stops the retry too.
   *
   * @default {() => true}
   */
  retryIf?: ((error: unknown) => boolean) | undefined;
}

/** Options for {@linkcode attemptsIf}: {@linkcode AttemptsOptions} without `retryIf`. */
export type AttemptsIfOptions = Omit<AttemptsOptions, "retryIf">;

const NEVER: RetryPolicy = Object.freeze({
  delay: (_failures: number, _error: unknown): undefined => undefined,
});

/**
 * A policy that never retries: the first failure is final. This is the
 * default `startRetry` and `commandRetry` of a worker.
 *
 * @returns A {@linkcode RetryPolicy} whose `delay` always returns `undefined`.
 *
 * @example
 * ```ts
 * import { never, retry } from "@workerkit/core/retry";
 *
 * let calls = 0;
 * await retry(async () => {
 *   calls++;
 *   throw new Error("boom");
 * }, never()).catch(() => {});
 * console.log(calls); // 1
 * ```
 */
export function never(): RetryPolicy {
  return NEVER;
}

/**
 * A policy that makes at most `maxAttempts` attempts in total (the first one
 * included), waiting `jitter(backoff(failures))` milliseconds between them.
 *
 * @param maxAttempts The total number of attempts, an integer `>= 1`;
 * `1` means no retry at all.
 * @param options Backoff, jitter and an optional `retryIf` predicate.
 * @returns A {@linkcode RetryPolicy}.
 * @throws {TypeError} If `maxAttempts` is not a number, `options` is not an
 * object, or `backoff`, `jitter` or `retryIf` is not a function.
 * @throws {RangeError} If `maxAttempts` is not an integer `>= 1`.
 *
 * @example Four attempts with capped exponential backoff and full jitter
 * ```ts
 * import { attempts, exponential, full, retry } from "@workerkit/core/retry";
 *
 * const policy = attempts(4, { backoff: exponential(10, 2, 200), jitter: full() });
 * const text = await retry(async (attempt) => {
 *   if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
 *   return `succeeded on attempt ${attempt}`;
 * }, policy);
 * console.log(text); // "succeeded on attempt 3"
 * ```
 */
export function attempts(
  maxAttempts: number,
  options?: AttemptsOptions,
): RetryPolicy {
  const max = assertMaxAttempts(maxAttempts);
  assertOptions("options", options);
  if (options) refuseUnknownKeys("attempts()", options, ATTEMPTS_KEYS);
  const backoff = optionalFunction("options.backoff", options?.backoff);
  const jitter = optionalFunction("options.jitter", options?.jitter);
  const retryIf = optionalFunction("options.retryIf", options?.retryIf);
  return {
    delay(failures: number, error: unknown): number | undefined {
      if (!(failures < max)) return undefined; // also stops on NaN
      if (retryIf !== undefined && !retryIf(error)) return undefined;
      let ms = backoff === undefined
        ? 0
        : clampDelay(backoff(normalizeFailures(failures)));
      if (jitter !== undefined) ms = clampDelay(jitter(ms));
      return ms;
    },
  };
}

/**
 * Like {@linkcode attempts}, with the `retryIf` predicate as a required
 * argument: only errors for which it returns `true` are retried.
 *
 * @param maxAttempts The total number of attempts, an integer `>= 1`.
 * @param retryIf Returns `true` for errors worth another attempt.
 * @param options Backoff and jitter.
 * @returns A {@linkcode RetryPolicy}.
 * @throws {TypeError} If `maxAttempts` is not a number, `retryIf` is not a
 * function, `options` is not an object, or `backoff` or `jitter` is not a
 * function.
 * @throws {RangeError} If `maxAttempts` is not an integer `>= 1`.
 *
 * @example Retrying only errors marked transient
 * ```ts
 * import { attemptsIf, constant } from "@workerkit/core/retry";
 *
 * class TransientError extends Error {}
 * const policy = attemptsIf(5, (error) => error instanceof TransientError, {
 *   backoff: constant(100),
 * });
 * console.log(policy.delay(1, new TransientError("flaky"))); // 100
 * console.log(policy.delay(1, new TypeError("bug"))); // undefined
 * ```
 */
export function attemptsIf(
  maxAttempts: number,
  retryIf: (error: unknown) => boolean,
  options?: AttemptsIfOptions,
): RetryPolicy {
  assertFunction("retryIf", retryIf);
  assertOptions("options", options);
  if (options) refuseUnknownKeys("attemptsIf()", options, ATTEMPTS_IF_KEYS);
  return attempts(maxAttempts, {
    backoff: options?.backoff,
    jitter: options?.jitter,
    retryIf,
  });
}

function assertMaxAttempts(value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `maxAttempts must be a number, got ${
        value === null ? "null" : typeof value
      }`,
    );
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `maxAttempts must be an integer >= 1 (the total number of attempts), got ${value}`,
    );
  }
  return value;
}

function optionalFunction<F>(
  name: string,
  value: F | undefined,
): F | undefined {
  return value === undefined ? undefined : assertFunction(name, value);
}
