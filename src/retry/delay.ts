import type { Clock } from "../base/clock.ts";
import { MAX_TIMER_MS, systemClock } from "../base/clock.ts";
import {
  assertClock,
  assertDelayArg,
  assertOptions,
  assertSignal,
} from "./_assert.ts";

/** Options for {@linkcode delay}. */
export interface DelayOptions {
  /**
   * Aborting it ends the wait early: the promise rejects with
   * `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * The timers to wait on; tests pass a manual clock.
   *
   * @default {systemClock}
   */
  clock?: Clock | undefined;
}

/**
 * Waits `ms` milliseconds, unless `signal` aborts first.
 *
 * The wait owns one timer and one abort listener and releases both as soon as
 * it settles, whichever way, so abandoned waits leave nothing behind. Waits
 * longer than the largest timer value (`2^31 − 1` ms, about 24.8 days) are
 * split into several timers instead of firing at once.
 *
 * @param ms How long to wait, a finite number of milliseconds `>= 0`.
 * @param options An abort signal and the clock to use.
 * @returns A promise that resolves after `ms` milliseconds, or rejects with
 * `signal.reason` if the signal is already aborted or aborts during the wait.
 * @throws {TypeError} (as a rejection) If `ms` is not a number or an option
 * has the wrong type.
 * @throws {RangeError} (as a rejection) If `ms` is negative, `NaN` or
 * infinite.
 *
 * @example Waiting, and giving up the wait on a signal
 * ```ts
 * import { delay } from "@workerkit/core/retry";
 *
 * await delay(10);
 *
 * const controller = new AbortController();
 * const waiting = delay(60_000, { signal: controller.signal });
 * controller.abort(new Error("no longer needed"));
 * await waiting.catch((error) => console.log(error.message)); // "no longer needed"
 * ```
 */
export function delay(ms: number, options?: DelayOptions): Promise<void> {
  let signal: AbortSignal | undefined;
  let clock: Clock;
  let remaining: number;
  try {
    remaining = assertDelayArg("ms", ms);
    assertOptions("options", options);
    signal = assertSignal(options?.signal);
    clock = assertClock(options?.clock) ?? systemClock;
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<void>((resolve, reject) => {
    let handle: unknown;
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const schedule = (): void => {
      const step = Math.min(remaining, MAX_TIMER_MS);
      remaining -= step;
      handle = clock.setTimeout(onTimer, step);
    };
    const onTimer = (): void => {
      if (remaining > 0) {
        schedule();
        return;
      }
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      schedule();
    } catch (error) {
      // A clock that cannot schedule must not leave the listener behind.
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    }
  });
}
