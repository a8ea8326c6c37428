import type { Clock } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import { delay } from "./delay.ts";
import { nextDelay } from "./_next_delay.ts";
import type { RetryPolicy } from "./policy.ts";

/** A shared limit on retries (the runtime's retry budget). */
export interface RetryAllowance {
  /** Counts a first attempt. */
  first(): void;
  /** Spends one retry if allowed; false when exhausted. */
  tryRetry(): boolean;
}

/**
 * One attempt loop: what to run, how to decide, where to wait. `T` is what
 * an attempt resolves to, `R` what the loop does (`succeeded` maps them).
 */
export interface AttemptLoop<T, R = T> {
  /** Runs attempt `n` (from 1); a rejection is a failed attempt. */
  run(n: number): Promise<T>;
  /** Decides whether and how long to wait after a failure. */
  policy: RetryPolicy;
  /** The clock of the waits; the system clock by default. */
  clock?: Clock | undefined;
  /** Aborts a wait, which then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Counted once up front, then asked before each retry. */
  budget?: RetryAllowance | undefined;
  /** Names the operation in the `retry_budget_exhausted` message. */
  what?: string;
  /**
   * Sees each failure before the policy does; returns `{ stop }` to end the
   * loop by throwing `stop` (a cancellation, a worker that left `running`).
   */
  failed?(error: unknown, n: number): { stop: unknown } | undefined;
  /** Runs before each wait (e.g. ends the failed attempt's generation). */
  beforeWait?(): void;
  /** Maps the successful attempt's value to the loop's result. */
  succeeded?(value: T): R;
  /** Maps what the loop is about to throw (its last word on a failure). */
  gaveUp?(error: unknown): unknown;
}

/**
 * The one attempt loop behind `retry()`, start retries and command retries:
 * run, and after a failure ask `failed`, then the policy (a throwing or
 * non-number answer stops), then the budget, then wait and go again. It
 * owns the budget check and the `retry_budget_exhausted` error, so retry
 * semantics change here and nowhere else. Resolves to the first success;
 * rejects with the last attempt's error, `failed`'s `stop`, the aborted
 * wait's reason, or `retry_budget_exhausted` (the last error as `cause`).
 */
export function runAttempts<T, R = T>(
  loop: AttemptLoop<T, R>,
): Promise<R> {
  try {
    loop.budget?.first();
  } catch (error) {
    return Promise.reject(error);
  }
  return attemptsFrom(loop, 1);
}

/**
 * Goes on after attempt `n` failed with `failure`, exactly as
 * {@linkcode runAttempts} would: for a caller that ran the first attempt
 * itself (`budget.first()` counted, `run(1)` rejected), so that an attempt
 * that succeeds costs no async function.
 */
export async function retryAfter<T, R = T>(
  loop: AttemptLoop<T, R>,
  n: number,
  failure: unknown,
): Promise<R> {
  await pauseOrThrow(loop, n, failure);
  return attemptsFrom(loop, n + 1);
}

async function attemptsFrom<T, R>(
  loop: AttemptLoop<T, R>,
  first: number,
): Promise<R> {
  for (let n = first;; n++) {
    let failure: unknown;
    try {
      const value = await loop.run(n);
      return loop.succeeded ? loop.succeeded(value) : value as unknown as R;
    } catch (error) {
      failure = error;
    }
    await pauseOrThrow(loop, n, failure);
  }
}

/** After a failure: throws the loop's last word, or waits for the next attempt. */
async function pauseOrThrow<T, R>(
  loop: AttemptLoop<T, R>,
  n: number,
  failure: unknown,
): Promise<void> {
  const stop = loop.failed?.(failure, n);
  if (stop !== undefined) throw end(loop, stop.stop);
  const wait = nextDelay(loop.policy, n, failure);
  if (wait === undefined) throw end(loop, failure);
  if (loop.budget !== undefined && !loop.budget.tryRetry()) {
    throw end(loop, budgetExhausted(loop.what ?? "the operation", failure));
  }
  loop.beforeWait?.();
  try {
    await delay(wait, { signal: loop.signal, clock: loop.clock });
  } catch (reason) {
    throw end(loop, reason);
  }
}

function end(loop: AttemptLoop<unknown, unknown>, error: unknown): unknown {
  return loop.gaveUp ? loop.gaveUp(error) : error;
}

function budgetExhausted(what: string, cause: unknown): WorkerkitError {
  return new WorkerkitError(
    "retry_budget_exhausted",
    `${what} was not retried: the retry budget is spent`,
    { cause },
  );
}
