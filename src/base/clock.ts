/**
 * A source of time and timers. The runtime and the built-in workers take one
 * so that tests can drive time by hand instead of waiting for it.
 *
 * @example Using the system clock
 * ```ts
 * import { systemClock } from "@workerkit/core";
 *
 * const started = systemClock.now();
 * const id = systemClock.setTimeout(() => {}, 10);
 * systemClock.clearTimeout(id);
 * console.log(systemClock.now() >= started);
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch; used for timestamps and durations. */
  now(): number;
  /** Schedules `fn` after `ms` milliseconds and returns a handle for {@linkcode Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by {@linkcode Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/** The largest delay every runtime's timers honour; larger values fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const origin = performance.timeOrigin;

/**
 * The real clock: `performance.now()` on top of the time origin, and the
 * global `setTimeout` / `clearTimeout`.
 *
 * @example
 * ```ts
 * import { Runtime, systemClock } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "billing", clock: systemClock });
 * console.log(runtime.name);
 * ```
 */
export const systemClock: Clock = {
  now: () => origin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};
