import { Attempt, invoke } from "../base/_attempt.ts";
import { type Clock, MAX_TIMER_MS } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import { isAbortLike } from "../failure.ts";
import { type LoopContext, loopWorker, reportOnce } from "./loop_worker.ts";
import { delay } from "../retry/delay.ts";
import type { Jitter } from "../retry/jitter.ts";
import type { Worker, WorkerHandle } from "../worker.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";

/** The timing keys every interval-driven worker accepts. */
export const SCHEDULE_KEYS: readonly string[] = [
  "interval",
  "initialDelay",
  "runImmediately",
  "timeout",
  "jitter",
  "clock",
];
const INTERVAL_KEYS: ReadonlySet<string> = new Set([
  ...SCHEDULE_KEYS,
  "continueOnError",
]);

/**
 * One run of an interval worker. It gets a context like a loop's, except
 * that `signal` also aborts at the run's `timeout`.
 *
 * @example A task that honours its signal
 * ```ts
 * import type { IntervalTask } from "@workerkit/core";
 *
 * const refresh: IntervalTask = async ({ signal }) => {
 *   signal.throwIfAborted();
 *   // imagine `await fetch(url, { signal })` here
 * };
 * console.log(typeof refresh);
 * ```
 */
export type IntervalTask = (ctx: LoopContext) => void | Promise<void>;

/**
 * Options of {@linkcode intervalWorker}. Durations are milliseconds.
 *
 * @example Every 30 s, with up to 10 % jitter and a 5 s timeout per run
 * ```ts
 * import { type IntervalWorkerOptions, symmetric } from "@workerkit/core";
 *
 * const options: IntervalWorkerOptions = {
 *   interval: 30_000,
 *   jitter: symmetric(0.1),
 *   timeout: 5_000,
 * };
 * console.log(options.interval);
 * ```
 */
export interface IntervalWorkerOptions {
  /** The wait after each run completes (not between run starts): finite, > 0. */
  interval: number;
  /**
   * A wait before the first run (or before the first interval when
   * `runImmediately` is `false`); never jittered.
   *
   * @default {0}
   */
  initialDelay?: number | undefined;
  /**
   * Whether the first run starts right after `initialDelay`; with `false` it
   * waits one (jittered) interval more.
   *
   * @default {true}
   */
  runImmediately?: boolean | undefined;
  /**
   * A deadline for each run: the task's `signal` aborts then, and the run
   * counts as failed with `deadline_exceeded`. A task that ignores its
   * signal still has to settle before the next run starts. No deadline when
   * absent.
   *
   * @default {undefined}
   */
  timeout?: number | undefined;
  /**
   * Turns the interval into the whole wait before the next run, e.g.
   * `full()` or `symmetric(0.1)` from the retry toolkit. It must return a
   * finite number >= 0; anything else fails the worker (`invalid_argument`).
   *
   * @default {undefined}
   */
  jitter?: Jitter | undefined;
  /**
   * Whether a failed run (an error or a timeout) leaves the worker running.
   * With `false` the failure is reported through the handle: the worker
   * fails (failure policy and supervision apply) and the schedule ends. With
   * `true` the failure is only recorded (`lastFailure`, a `failure` event of
   * kind `background`) and the next run follows as usual.
   *
   * @default {false}
   */
  continueOnError?: boolean | undefined;
  /**
   * The timers to use. By default the runtime's clock (the one given to
   * `new Runtime({ clock })`), else the system clock.
   *
   * @default {undefined}
   */
  clock?: Clock | undefined;
}

/**
 * Makes a {@linkcode Worker} that runs `task` periodically — the poller
 * shape. Runs are serial and never overlap: the next run is scheduled
 * `interval` ms (or what `jitter(interval)` returns) *after the previous run
 * completes*, and a run that passed its `timeout` must still settle before
 * the next one starts. The worker heartbeats before every run, so
 * `stallTimeout` catches a task that hangs.
 *
 * Built on {@linkcode loopWorker}: stop aborts the task's signal and waits
 * for the run in progress (bounded by the stop deadline). Drain ends the
 * schedule: the run in progress finishes, no new run starts. A task error is
 * reported through `ctx.worker.reportFailure` (the worker fails and the
 * schedule ends) unless `continueOnError` is `true`.
 *
 * @param task The work to repeat.
 * @param options The interval and the per-run policy.
 * @returns A worker to pass to `runtime.register({ worker })`.
 * @throws {WorkerkitError} `invalid_argument` when `task` is not a function or
 * an option is out of range (`interval` must be finite and > 0,
 * `initialDelay` finite and >= 0, `timeout` > 0 and at most 2^31 − 1).
 *
 * @example Refreshing a cache every minute
 * ```ts
 * import { intervalWorker, Runtime } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "shop" });
 * runtime.register({
 *   name: "prices",
 *   worker: intervalWorker(async ({ signal }) => {
 *     signal.throwIfAborted();
 *     console.log("prices refreshed");
 *   }, { interval: 60_000, timeout: 10_000, continueOnError: true }),
 * });
 * await runtime.startAll();
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export function intervalWorker(
  task: IntervalTask,
  options: IntervalWorkerOptions,
): Worker {
  if (typeof task !== "function") {
    throw invalid("intervalWorker() takes a task function");
  }
  if (options !== null && typeof options === "object") {
    refuseUnknownKeys("intervalWorker()", options, INTERVAL_KEYS);
  }
  const schedule = parseSchedule("intervalWorker()", options, {});
  const continueOnError = optionFlag(
    "intervalWorker()",
    "continueOnError",
    options.continueOnError,
    false,
  );
  return loopWorker((ctx) => {
    const clock = schedule.clock ?? ctx.clock;
    return runEvery(ctx, schedule, clock, async () => {
      const outcome = await runBounded(
        clock,
        schedule.timeout,
        ctx.signal,
        `a run of ${ctx.worker.qualifiedName}`,
        (signal) =>
          task({
            signal,
            drainSignal: ctx.drainSignal,
            worker: ctx.worker,
            clock: ctx.clock,
          }),
        (timeout) => {
          if (continueOnError) recordFailure(ctx.worker, timeout);
          else reportOnce(ctx.worker, timeout);
        },
      );
      if (outcome.timedOut) {
        if (!continueOnError) throw outcome.timedOut;
        return;
      }
      if (outcome.ok) return;
      const { error } = outcome;
      // Stopping, or a task that honoured drain: the loop worker decides.
      if (ctx.signal.aborted) throw error;
      if (ctx.drainSignal.aborted && isAbortLike(error)) return;
      if (!continueOnError) throw error;
      recordFailure(ctx.worker, error);
    });
  });
}

/** The checked timing options of an interval-driven worker. */
export interface Schedule {
  readonly interval: number;
  readonly initialDelay: number;
  readonly runImmediately: boolean;
  /** `Infinity` for none. */
  readonly timeout: number;
  readonly jitter: Jitter | undefined;
  readonly clock: Clock | undefined;
}

/** The timing fields of {@linkcode IntervalWorkerOptions}, all optional. */
interface ScheduleOptions {
  interval?: number | undefined;
  initialDelay?: number | undefined;
  runImmediately?: boolean | undefined;
  timeout?: number | undefined;
  jitter?: Jitter | undefined;
  clock?: Clock | undefined;
}

/**
 * Checks the timing options of an interval-driven worker; `invalid_argument`
 * names the bad option.
 */
export function parseSchedule(
  where: string,
  options: ScheduleOptions | undefined,
  defaults: ScheduleOptions,
): Schedule {
  if (options === null || typeof options !== "object") {
    throw invalid(`${where} takes an options object`);
  }
  const interval = options.interval ?? defaults.interval;
  if (
    typeof interval !== "number" || !Number.isFinite(interval) || interval <= 0
  ) {
    throw invalid(`${where} option interval must be a finite number of ms > 0`);
  }
  const initialDelay = options.initialDelay ?? defaults.initialDelay ?? 0;
  if (
    typeof initialDelay !== "number" || !Number.isFinite(initialDelay) ||
    initialDelay < 0
  ) {
    throw invalid(
      `${where} option initialDelay must be a finite number of ms >= 0`,
    );
  }
  const timeout = options.timeout ?? defaults.timeout ?? Infinity;
  if (
    typeof timeout !== "number" || Number.isNaN(timeout) || timeout <= 0 ||
    (timeout > MAX_TIMER_MS && timeout !== Infinity)
  ) {
    throw invalid(
      `${where} option timeout must be a number of ms in (0, ${MAX_TIMER_MS}]`,
    );
  }
  const jitter = options.jitter ?? defaults.jitter;
  if (jitter !== undefined && typeof jitter !== "function") {
    throw invalid(
      `${where} option jitter must be a function (interval) => wait`,
    );
  }
  const clock = options.clock ?? defaults.clock;
  if (
    clock !== undefined &&
    (clock === null || typeof clock !== "object" ||
      typeof clock.now !== "function" ||
      typeof clock.setTimeout !== "function" ||
      typeof clock.clearTimeout !== "function")
  ) {
    throw invalid(
      `${where} option clock must implement now, setTimeout and clearTimeout`,
    );
  }
  return {
    interval,
    initialDelay,
    runImmediately: optionFlag(
      where,
      "runImmediately",
      options.runImmediately,
      defaults.runImmediately ?? true,
    ),
    timeout,
    jitter,
    clock,
  };
}

/**
 * Runs `runOnce` on `schedule` until the loop's signal aborts (it then
 * throws the abort reason) or drain begins (it then returns). Heartbeats
 * before every run. A `runOnce` that throws ends the schedule with its error,
 * and so does a `jitter` that returns anything but a finite number >= 0
 * (`invalid_argument`).
 */
export async function runEvery(
  ctx: LoopContext,
  schedule: Schedule,
  clock: Clock,
  runOnce: () => Promise<void>,
): Promise<void> {
  const { signal, drainSignal } = ctx;
  // Waits end at stop or at drain; one combined signal per loop, not per wait.
  const pause = AbortSignal.any([signal, drainSignal]);
  let wait = schedule.initialDelay +
    (schedule.runImmediately ? 0 : nextWait(schedule));
  for (let first = true;; first = false) {
    // Later waits always yield to the timers, even a jittered 0.
    if (!first || wait > 0) {
      await delay(wait, { signal: pause, clock }).catch((error: unknown) => {
        if (!pause.aborted) throw error;
      });
    }
    if (signal.aborted) throw signal.reason;
    if (drainSignal.aborted) return;
    beat(ctx.worker);
    await runOnce();
    if (signal.aborted) throw signal.reason;
    wait = nextWait(schedule);
  }
}

/**
 * How a run bounded by {@linkcode runBounded} ended. `timedOut` is the
 * `deadline_exceeded` error when the run passed its timeout (it settled
 * later, either way).
 */
export type Bounded<T> =
  | { ok: true; value: T; timedOut: WorkerkitError | undefined }
  | { ok: false; error: unknown; timedOut: WorkerkitError | undefined };

/**
 * Runs `fn` with a signal that aborts at `timeoutMs` or when `signal` aborts,
 * calls `onTimeout` at the very moment the timeout passes, and resolves only
 * once `fn` has really settled (never rejects).
 */
export async function runBounded<T>(
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
  fn: (signal: AbortSignal) => T | Promise<T>,
  onTimeout: (error: WorkerkitError) => void,
): Promise<Bounded<T>> {
  const attempt = new Attempt(clock, timeoutMs, signal);
  let timedOut: WorkerkitError | undefined;
  const onAbort = (): void => {
    if (!attempt.timedOut) return;
    timedOut = new WorkerkitError(
      "deadline_exceeded",
      `${what} exceeded its ${timeoutMs} ms timeout`,
      { cause: attempt.signal.reason },
    );
    try {
      onTimeout(timedOut);
    } catch {
      // The caller's reaction to a timeout must not break the run.
    }
  };
  attempt.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const value = await invoke(() => fn(attempt.signal));
    return { ok: true, value, timedOut };
  } catch (error) {
    return { ok: false, error, timedOut };
  } finally {
    attempt.signal.removeEventListener("abort", onAbort);
    attempt.settle();
  }
}

/**
 * Records a failure without changing the worker's state (`lastFailure` and
 * a `failure` event of kind `background`); ignores a stale handle.
 */
export function recordFailure(handle: WorkerHandle, error: unknown): void {
  try {
    handle.recordFailure(error);
  } catch {
    // Nowhere to record it.
  }
}

/** The wait after a run: the interval, or the jitter's whole wait. */
function nextWait(schedule: Schedule): number {
  const { interval, jitter } = schedule;
  if (jitter === undefined) return interval;
  const wait = jitter(interval);
  if (typeof wait !== "number" || !Number.isFinite(wait) || wait < 0) {
    throw invalid(
      `jitter(${interval}) returned ${
        String(wait)
      }; it must return a finite number of ms >= 0`,
    );
  }
  return wait;
}

function beat(handle: WorkerHandle): void {
  try {
    handle.heartbeat();
  } catch {
    // A stale handle: the loop is about to be told to stop.
  }
}

/** Checks an optional boolean option; `fallback` when it is left out. */
export function optionFlag(
  where: string,
  name: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw invalid(`${where} option ${name} must be a boolean`);
  }
  return value;
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
