import { raceAbort } from "../base/_promise.ts";
import type { Clock } from "../base/clock.ts";
import type { RetryPolicy } from "./policy.ts";
import {
  assertClock,
  assertFunction,
  assertOptions,
  assertSignal,
} from "./_assert.ts";
import { runAttempts } from "./_attempts.ts";

/** Options for {@linkcode retry}. */
export interface RetryOptions {
  /**
   * Cancels the whole retry: before the first attempt, during an attempt or
   * during a wait. `retry()` then rejects with `signal.reason`. The same
   * signal is passed to every attempt.
   *
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * The timers used for the waits between attempts; tests pass a manual
   * clock.
   *
   * @default {systemClock}
   */
  clock?: Clock | undefined;
}

/**
 * Calls `fn` until it succeeds or `policy` says to stop.
 *
 * Attempts are numbered from 1. After a failure `retry()` asks
 * `policy.delay(failures, error)`: `undefined` (or any non-number, or an
 * exception from the policy) stops and rejects with that attempt's error;
 * a number is clamped to `[0, 2^31 − 1]` ms, waited out on the clock, and
 * the next attempt starts.
 *
 * When `options.signal` aborts, `retry()` rejects with `signal.reason` at
 * once, whether it is waiting or an attempt is running. An attempt still
 * running is not awaited: it gets the aborted signal and is expected to stop
 * by itself; whatever it settles with later is ignored (and never becomes an
 * unhandled rejection).
 *
 * @typeParam T The attempt's result.
 * @param fn One attempt. It receives the attempt number (from 1) and the
 * caller's signal (a signal that never aborts if none was given).
 * @param policy Decides whether and when to try again.
 * @param options An abort signal and the clock to use.
 * @returns The first successful attempt's result.
 * @throws {unknown} (as a rejection) The last attempt's error once the
 * policy stops, or `signal.reason` once the signal aborts.
 * @throws {TypeError} (as a rejection) If `fn` is not a function, `policy`
 * has no `delay` method, or an option has the wrong type.
 *
 * @example Retrying a flaky call three times in total
 * ```ts
 * import { attempts, exponential, retry } from "@workerkit/core/retry";
 *
 * const value = await retry(async (attempt, signal) => {
 *   signal.throwIfAborted();
 *   if (attempt < 3) throw new Error("temporarily unavailable");
 *   return attempt;
 * }, attempts(3, { backoff: exponential(5) }));
 * console.log(value); // 3
 * ```
 *
 * @example Giving up on a deadline
 * ```ts
 * import { attempts, constant, retry } from "@workerkit/core/retry";
 *
 * try {
 *   await retry(
 *     async () => {
 *       throw new Error("still down");
 *     },
 *     attempts(1_000, { backoff: constant(10) }),
 *     { signal: AbortSignal.timeout(50) },
 *   );
 * } catch (error) {
 *   console.log((error as Error).name); // "TimeoutError"
 * }
 * ```
 */
export async function retry<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  options?: RetryOptions,
): Promise<T> {
  assertFunction("fn", fn);
  if (
    typeof policy !== "object" || policy === null ||
    typeof policy.delay !== "function"
  ) {
    throw new TypeError("policy must be an object with a delay() method");
  }
  assertOptions("options", options);
  const clock = assertClock(options?.clock);
  const callerSignal = assertSignal(options?.signal);
  const signal = callerSignal ?? new AbortController().signal;

  return await runAttempts({
    run: (attempt) => {
      if (signal.aborted) return Promise.reject(signal.reason);
      const running = callAttempt(fn, attempt, signal);
      return callerSignal === undefined
        ? running
        : settleOrAbort(running, callerSignal);
    },
    // A canceled retry ends with the signal's reason, never the attempt's error.
    failed: () => signal.aborted ? { stop: signal.reason } : undefined,
    policy,
    clock,
    signal: callerSignal,
  });
}

/** Runs one attempt, turning a synchronous throw into a rejection. */
function callAttempt<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  attempt: number,
  signal: AbortSignal,
): Promise<T> {
  try {
    return Promise.resolve(fn(attempt, signal));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as the
 * signal aborts. The listener is removed once `promise` settles; a promise
 * that loses the race still has a handler, so its late rejection is not
 * reported as unhandled.
 */
function settleOrAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  return raceAbort(promise, signal, () => signal.reason);
}
