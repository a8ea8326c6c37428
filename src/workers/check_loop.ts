import { isoTime } from "../base/_iso_time.ts";
import { ignoreRejection } from "../base/_promise.ts";
import type { Clock } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import type { ActiveCheck, CheckEndEvent } from "../events.ts";
import { publicFailure } from "../failure.ts";
import {
  optionFlag,
  parseSchedule,
  runBounded,
  runEvery,
} from "./interval_worker.ts";
import { type LoopContext, loopWorker, reportOnce } from "./loop_worker.ts";
import { OperationalFailure } from "../base/operational_failure.ts";
import type {
  Checker,
  CheckGroup,
  CheckResult,
  CheckSummary,
} from "../ops/check.ts";
import type { Jitter } from "../retry/jitter.ts";
import type { Worker, WorkerHandle } from "../worker.ts";

/** The default interval between checks, ms. */
const DEFAULT_INTERVAL_MS = 30_000;
/** The largest default timeout of a check, ms (the default is the interval). */
const MAX_DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The options {@linkcode checkLoop} and {@linkcode checkGroupLoop} share.
 * Durations are milliseconds.
 *
 * @example Checking every 10 s, failing the worker when the check fails
 * ```ts
 * import type { CheckScheduleOptions } from "@workerkit/core";
 *
 * const options: CheckScheduleOptions = { interval: 10_000, failOnNotReady: true };
 * console.log(options.interval);
 * ```
 */
export interface CheckScheduleOptions {
  /**
   * The wait after each check completes.
   *
   * @default {30000}
   */
  interval?: number | undefined;
  /**
   * A deadline for each check: its signal aborts then, the check ends with
   * outcome `timeout`, and a result that still arrives later is never
   * applied to readiness. A check that ignores its signal must still settle
   * before the next one starts.
   *
   * @default {Math.min(interval, 30000)}
   */
  timeout?: number | undefined;
  /**
   * Turns the interval into the whole wait before the next check, e.g.
   * `full()` or `symmetric(0.1)`.
   *
   * @default {undefined}
   */
  jitter?: Jitter | undefined;
  /**
   * A wait before the first check.
   *
   * @default {0}
   */
  initialDelay?: number | undefined;
  /**
   * The timers to use; by default the runtime's clock, else the system clock.
   *
   * @default {undefined}
   */
  clock?: Clock | undefined;
  /**
   * Whether the checks drive the worker's readiness: the worker is unready
   * from start until the first result, a ready result marks it ready, and a
   * not-ready result, an error or a timeout marks it unready. With `false`
   * readiness follows `readyOnStart` and the checks never touch it.
   *
   * @default {true}
   */
  readyOnSuccess?: boolean | undefined;
  /**
   * Whether a not-ready result, an error or a timeout fails the worker (its
   * failure policy and supervision apply) and ends the checks. A not-ready
   * result fails it with code `check_not_ready`; an error with its public
   * code; a timeout with `deadline_exceeded` at the moment the timeout
   * passes.
   *
   * @default {false}
   */
  failOnNotReady?: boolean | undefined;
}

/**
 * Options of {@linkcode checkLoop}.
 *
 * @example Logging every result, late ones included
 * ```ts
 * import type { CheckLoopOptions } from "@workerkit/core";
 *
 * const options: CheckLoopOptions = {
 *   interval: 15_000,
 *   onResult: (result) => console.log(result.ready, result.message),
 * };
 * console.log(options.interval);
 * ```
 */
export interface CheckLoopOptions extends CheckScheduleOptions {
  /**
   * Receives every result, including one that arrived after its timeout
   * (which is not applied to readiness). Called synchronously; a throw or
   * rejection is contained.
   *
   * @default {undefined}
   */
  onResult?: ((result: CheckResult) => void) | undefined;
}

/**
 * Options of {@linkcode checkGroupLoop}.
 *
 * @example Printing which members are not ready
 * ```ts
 * import type { CheckGroupLoopOptions } from "@workerkit/core";
 *
 * const options: CheckGroupLoopOptions = {
 *   onSummary: (summary) => {
 *     for (const [name, result] of Object.entries(summary.results)) {
 *       if (!result.ready) console.log(name, "not ready");
 *     }
 *   },
 * };
 * console.log(typeof options.onSummary);
 * ```
 */
export interface CheckGroupLoopOptions extends CheckScheduleOptions {
  /**
   * Receives every summary, including one that arrived after its timeout
   * (which is not applied to readiness). Called synchronously; a throw or
   * rejection is contained.
   *
   * @default {undefined}
   */
  onSummary?: ((summary: CheckSummary) => void) | undefined;
}

/**
 * Makes a {@linkcode Worker} that runs `checker` periodically — an interval
 * worker for an ops check. Each run is observed as a `checkstart` /
 * `checkend` event pair (observer `checkStart` and `EventTarget`) with
 * outcome `ready`, `not_ready`, `error` or `timeout`; a timeout produces no
 * result, only its end event. With `readyOnSuccess` (the default) the
 * results drive the worker's readiness, starting unready until the first
 * result. Checks run serially and never overlap; the first runs right
 * after start (or after `initialDelay`).
 *
 * @param checker The check to run.
 * @param options Timing, readiness and failure behaviour, and `onResult`.
 * @returns A worker to pass to `runtime.register({ worker })`.
 * @throws {WorkerkitError} `invalid_argument` when `checker` has no name or
 * `check` method, or an option is out of range.
 *
 * @example A dependency check that drives readiness
 * ```ts
 * import { checkLoop, Runtime } from "@workerkit/core";
 *
 * let up = false;
 * const runtime = new Runtime({ name: "shop" });
 * runtime.register({
 *   name: "db-check",
 *   worker: checkLoop({
 *     name: "postgres",
 *     check: () => Promise.resolve({ ready: up }),
 *   }, { interval: 5_000, onResult: (r) => console.log("postgres ready:", r.ready) }),
 * });
 * await runtime.startAll();
 * console.log(runtime.worker("db-check")?.status.ready); // false
 * up = true;
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export function checkLoop(
  checker: Checker,
  options?: CheckLoopOptions,
): Worker {
  if (
    checker === null || typeof checker !== "object" ||
    typeof checker.check !== "function"
  ) {
    throw invalid("checkLoop() takes a Checker { name, check(signal) }");
  }
  const onResult = callback("checkLoop()", "onResult", options?.onResult);
  return checkWorker<CheckResult>(
    "checkLoop()",
    checker.name,
    (signal) => checker.check(signal),
    isCheckResult,
    onResult,
    options,
  );
}

/**
 * Makes a {@linkcode Worker} that runs a {@linkcode CheckGroup}
 * periodically: {@linkcode checkLoop} for a group, whose summary's `ready`
 * drives readiness and whose every summary goes to `onSummary`.
 *
 * @param group The group to run.
 * @param options Timing, readiness and failure behaviour, and `onSummary`.
 * @returns A worker to pass to `runtime.register({ worker })`.
 * @throws {WorkerkitError} `invalid_argument` when `group` has no name or
 * `checkAll` method, or an option is out of range.
 *
 * @example Checking storage dependencies together
 * ```ts
 * import { checkGroupLoop, Runtime } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "shop" });
 * runtime.register({
 *   name: "storage-checks",
 *   worker: checkGroupLoop({
 *     name: "storage",
 *     checkAll: () =>
 *       Promise.resolve({
 *         ready: true,
 *         results: { postgres: { ready: true }, redis: { ready: true } },
 *       }),
 *   }, { interval: 10_000 }),
 * });
 * await runtime.startAll();
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export function checkGroupLoop(
  group: CheckGroup,
  options?: CheckGroupLoopOptions,
): Worker {
  if (
    group === null || typeof group !== "object" ||
    typeof group.checkAll !== "function"
  ) {
    throw invalid(
      "checkGroupLoop() takes a CheckGroup { name, checkAll(signal) }",
    );
  }
  const onSummary = callback(
    "checkGroupLoop()",
    "onSummary",
    options?.onSummary,
  );
  return checkWorker<CheckSummary>(
    "checkGroupLoop()",
    group.name,
    (signal) => group.checkAll(signal),
    isCheckSummary,
    onSummary,
    options,
  );
}

/** What one kind of check loop plugs into {@linkcode checkWorker}. */
interface CheckRun<T extends { ready: boolean }> {
  readonly name: string;
  readonly where: string;
  readonly run: (signal: AbortSignal) => Promise<T>;
  readonly valid: (value: unknown) => value is T;
  readonly deliver: ((value: T) => void) | undefined;
  readonly timeout: number;
  readonly readyOnSuccess: boolean;
  readonly failOnNotReady: boolean;
}

function checkWorker<T extends { ready: boolean }>(
  where: string,
  name: unknown,
  run: (signal: AbortSignal) => Promise<T>,
  valid: (value: unknown) => value is T,
  deliver: ((value: T) => void) | undefined,
  options: CheckScheduleOptions | undefined,
): Worker {
  if (typeof name !== "string" || name.length === 0) {
    throw invalid(`${where} needs a check with a non-empty string name`);
  }
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw invalid(`${where} options must be an object`);
  }
  const own = options ?? {};
  const interval = own.interval ?? DEFAULT_INTERVAL_MS;
  const schedule = parseSchedule(where, { ...own, runImmediately: true }, {
    interval,
    timeout: typeof interval === "number"
      ? Math.min(interval, MAX_DEFAULT_TIMEOUT_MS)
      : undefined,
  });
  const check: CheckRun<T> = {
    name,
    where,
    run,
    valid,
    deliver,
    timeout: schedule.timeout,
    readyOnSuccess: optionFlag(
      where,
      "readyOnSuccess",
      own.readyOnSuccess,
      true,
    ),
    failOnNotReady: optionFlag(
      where,
      "failOnNotReady",
      own.failOnNotReady,
      false,
    ),
  };
  return loopWorker((ctx) => {
    const clock = schedule.clock ?? ctx.clock;
    return runEvery(ctx, schedule, clock, () => runCheck(ctx, clock, check));
  }, { autoReady: !check.readyOnSuccess });
}

/**
 * One check run: events, readiness, callback, and — with `failOnNotReady` —
 * the failure that ends the loop (thrown, so the loop worker reports it).
 */
async function runCheck<T extends { ready: boolean }>(
  ctx: LoopContext,
  clock: Clock,
  check: CheckRun<T>,
): Promise<void> {
  const handle = ctx.worker;
  const started = clock.now();
  let following: ActiveCheck | undefined;
  try {
    following = handle.beginCheck(check.name);
  } catch {
    following = undefined;
  }
  const end = (
    fields: Pick<CheckEndEvent, "outcome" | "code" | "message" | "cause">,
  ): void => {
    const observing = following;
    if (!observing) return;
    following = undefined;
    const now = clock.now();
    observing.end({
      at: isoTime(now),
      durationMs: Math.max(0, now - started),
      ...fields,
    });
  };

  const outcome = await runBounded(
    clock,
    check.timeout,
    ctx.signal,
    `check ${check.name} of ${handle.qualifiedName}`,
    (signal) => {
      const observing = following;
      return observing
        ? observing.wrap(() => check.run(signal))
        : check.run(signal);
    },
    (timeout) => {
      const failure = publicFailure(timeout, "lifecycle");
      end({
        outcome: "timeout",
        code: failure.code,
        message: failure.message,
        cause: timeout,
      });
      if (check.readyOnSuccess) setReady(handle, false);
      // Fails the worker now; the loop ends once the check has settled.
      if (check.failOnNotReady) reportOnce(handle, timeout);
    },
  );

  if (outcome.timedOut) {
    // A late result is delivered, never applied to readiness.
    if (outcome.ok && check.valid(outcome.value)) {
      contain(check.deliver, outcome.value);
    }
    if (check.failOnNotReady) throw outcome.timedOut;
    return;
  }
  const error = !outcome.ok
    ? outcome.error
    : check.valid(outcome.value)
    ? undefined
    : invalid(
      `${check.where}: the check resolved to something without a boolean ready`,
    );
  if (error !== undefined || !outcome.ok) {
    const failure = publicFailure(error, "lifecycle");
    end({
      outcome: "error",
      code: failure.code,
      message: failure.message,
      cause: error,
    });
    if (ctx.signal.aborted) throw error; // stopping: the loop worker decides
    if (check.readyOnSuccess) setReady(handle, false);
    if (check.failOnNotReady) throw error;
    return;
  }
  const value = outcome.value;
  if (check.readyOnSuccess) setReady(handle, value.ready);
  end({ outcome: value.ready ? "ready" : "not_ready" });
  contain(check.deliver, value);
  if (!value.ready && check.failOnNotReady) {
    throw new OperationalFailure({
      code: "check_not_ready",
      message: "check reported not ready",
    }, { cause: value });
  }
}

function setReady(handle: WorkerHandle, ready: boolean): void {
  try {
    handle.setReady(ready);
  } catch {
    // A stale handle: the result came after its generation ended.
  }
}

/** Calls a user callback; a throw or a rejected promise is contained. */
function contain<T>(fn: ((value: T) => void) | undefined, value: T): void {
  if (!fn) return;
  try {
    ignoreRejection(fn(value));
  } catch {
    // The callback's failure is its own.
  }
}

function isCheckResult(value: unknown): value is CheckResult {
  return value !== null && typeof value === "object" &&
    typeof (value as CheckResult).ready === "boolean";
}

function isCheckSummary(value: unknown): value is CheckSummary {
  return isCheckResult(value) &&
    (value as unknown as CheckSummary).results !== null &&
    typeof (value as unknown as CheckSummary).results === "object";
}

function callback<F>(
  where: string,
  name: string,
  value: F | undefined,
): F | undefined {
  if (value === undefined || typeof value === "function") return value;
  throw invalid(`${where} option ${name} must be a function`);
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
