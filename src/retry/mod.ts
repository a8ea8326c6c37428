/**
 * Bounded retry with backoff and jitter, built on web standards only.
 *
 * A {@linkcode RetryPolicy} decides after each failure whether to try again
 * and how long to wait; {@linkcode attempts} builds one from a total attempt
 * count, a {@linkcode Backoff} ({@linkcode constant}, {@linkcode linear},
 * {@linkcode exponential}, {@linkcode decorrelated}) and a
 * {@linkcode Jitter} ({@linkcode none}, {@linkcode full},
 * {@linkcode symmetric}). {@linkcode retry} runs an async function under a
 * policy, and {@linkcode delay} is the abortable wait it uses. Every delay is
 * a finite number of milliseconds in `[0, 2^31 − 1]`, and every wait aborts
 * with the caller's `AbortSignal`.
 *
 * The same policies configure a worker's `startRetry` and `commandRetry` in
 * `@workerkit/core`.
 *
 * @example Retrying a flaky operation
 * ```ts
 * import { attempts, exponential, full, retry } from "@workerkit/core/retry";
 *
 * let calls = 0;
 * const answer = await retry(
 *   async (attempt, signal) => {
 *     calls++;
 *     signal.throwIfAborted();
 *     if (attempt < 3) throw new Error("flaky");
 *     return 42;
 *   },
 *   attempts(4, { backoff: exponential(10, 2, 200), jitter: full() }),
 *   { signal: AbortSignal.timeout(5_000) },
 * );
 * console.log(answer, calls); // 42 3
 * ```
 *
 * @module
 */

export type { Backoff } from "./backoff.ts";
export { constant, decorrelated, exponential, linear } from "./backoff.ts";
export type { Jitter } from "./jitter.ts";
export { full, none, symmetric } from "./jitter.ts";
export type {
  AttemptsIfOptions,
  AttemptsOptions,
  RetryPolicy,
} from "./policy.ts";
export { attempts, attemptsIf, never } from "./policy.ts";
export type { RetryOptions } from "./retry.ts";
export { retry } from "./retry.ts";
export type { DelayOptions } from "./delay.ts";
export { delay } from "./delay.ts";
// The clock type the options refer to, so this entrypoint documents on its own.
export type { Clock } from "../base/clock.ts";
