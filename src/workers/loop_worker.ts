import { Attempt, invoke } from "../base/_attempt.ts";
import { type Clock, systemClock } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import { isAbortLike } from "../failure.ts";
import type { Worker, WorkerContext, WorkerHandle } from "../worker.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";

const LOOP_KEYS: ReadonlySet<string> = new Set([
  "onStart",
  "onStop",
  "autoReady",
]);

/** The fixed deadline of the automatic cleanup after an unexpected exit, ms. */
const AUTO_CLEANUP_MS = 5_000;

/**
 * What a loop receives. `signal` belongs to the loop itself: it aborts when
 * the worker stops (not at the start attempt's deadline), and the loop
 * should return soon after. `drainSignal` aborts earlier, when drain begins,
 * so a loop can finish its current item and take no more.
 *
 * @example A loop that honours both signals
 * ```ts
 * import { type LoopContext, loopWorker } from "@workerkit/core";
 *
 * async function consume(ctx: LoopContext): Promise<void> {
 *   while (!ctx.signal.aborted && !ctx.drainSignal.aborted) {
 *     ctx.worker.heartbeat();
 *     await new Promise((resolve) => setTimeout(resolve, 100));
 *   }
 * }
 * const worker = loopWorker(consume);
 * console.log(typeof worker.start); // "function"
 * ```
 */
export interface LoopContext {
  /** Aborts when the worker stops; the loop should then return. */
  readonly signal: AbortSignal;
  /** Aborts when drain, stop or shutdown of the worker begins. */
  readonly drainSignal: AbortSignal;
  /** The worker's handle for the generation that started this loop. */
  readonly worker: WorkerHandle;
  /** The runtime's clock (see {@linkcode WorkerContext.clock}). */
  readonly clock: Clock;
}

/**
 * A long-running loop: it runs until `ctx.signal` aborts. Returning (or
 * throwing) before that is a failure of the worker.
 *
 * @example A loop that polls until stopped
 * ```ts
 * import type { Loop } from "@workerkit/core";
 *
 * const poll: Loop = async ({ signal, worker }) => {
 *   while (!signal.aborted) {
 *     worker.heartbeat();
 *     await new Promise((resolve) => setTimeout(resolve, 1_000));
 *   }
 * };
 * console.log(typeof poll);
 * ```
 */
export type Loop = (ctx: LoopContext) => void | Promise<void>;

/**
 * Options of {@linkcode loopWorker}.
 *
 * @example Connecting before the loop and closing after it
 * ```ts
 * import { loopWorker, type LoopWorkerOptions } from "@workerkit/core";
 *
 * let connected = false;
 * const options: LoopWorkerOptions = {
 *   onStart: () => void (connected = true),
 *   onStop: () => void (connected = false),
 *   autoReady: false,
 * };
 * const worker = loopWorker(async ({ signal, worker }) => {
 *   worker.setReady(connected);
 *   await new Promise((resolve) => signal.addEventListener("abort", resolve));
 * }, options);
 * console.log(typeof worker.stop);
 * ```
 */
export interface LoopWorkerOptions {
  /**
   * Runs at start, before the loop is launched, with the start attempt's
   * context. Throwing fails the start and the loop never runs; `onStop` is
   * not called then, so release anything acquired before throwing.
   *
   * @default {undefined}
   */
  onStart?: ((ctx: WorkerContext) => void | Promise<void>) | undefined;
  /**
   * The cleanup: runs once the loop has settled — at stop with the stop's
   * context, or automatically after an unexpected exit with a context whose
   * `signal` is a fixed 5 s deadline. It never runs while the loop still
   * runs. If it fails, the cleanup stays pending: the next stop retries it.
   *
   * @default {undefined}
   */
  onStop?: ((ctx: WorkerContext) => void | Promise<void>) | undefined;
  /**
   * Whether the worker counts as ready as soon as it is running. With
   * `false`, start marks the worker unready before the loop is launched, and
   * the loop calls `ctx.worker.setReady(true)` after its own warm-up.
   *
   * @default {true}
   */
  autoReady?: boolean | undefined;
}

/** `onStart` / `onStop`. */
type Hook = (ctx: WorkerContext) => void | Promise<void>;

/** How one cleanup attempt ended. */
type CleanupOutcome = { ok: true } | { ok: false; error: unknown };

/** Errors the built-in workers already reported, so none is reported twice. */
const reported = new WeakSet<object>();

/**
 * Reports `error` through `handle` unless it was reported already by this
 * function (an object error is reported once), ignoring a stale handle.
 */
export function reportOnce(handle: WorkerHandle, error: unknown): void {
  if (typeof error === "object" && error !== null) {
    if (reported.has(error)) return;
    reported.add(error);
  }
  try {
    handle.reportFailure(error);
  } catch {
    // A stale handle: its generation has ended and the failure has no home.
  }
}

/**
 * Makes a {@linkcode Worker} that runs `loop` until the worker stops.
 *
 * - **Start** runs `onStart`, heartbeats once, with `autoReady: false` marks
 *   the worker unready, then launches the loop without awaiting it.
 * - **Stop** aborts the loop's signal, waits for the loop to settle (bounded
 *   by the stop deadline: a loop that ignores its signal cannot hold stop
 *   past it), then runs `onStop`.
 * - A loop that **returns before stop** is reported as a failure
 *   `loop_exited`; one that **throws** is reported with its own error (public
 *   code by projection). Both go through the failure policy and supervision.
 *   A loop that ends because drain began (it returns, or throws the abort)
 *   is not a failure; its cleanup runs at stop.
 * - After an unexpected exit (or a stop that gave up on a loop that ended
 *   later), the cleanup runs once by itself with a fixed 5 s deadline. A
 *   failed cleanup is reported as its own `loop_cleanup` failure event (code
 *   `loop_cleanup_failed`; `lastFailure` keeps the loop's own failure) and
 *   stays pending: the next stop retries it, and
 *   start refuses with `loop_worker_active` until a cleanup has succeeded.
 *   Only one cleanup attempt runs at a time; a stop that arrives while one
 *   runs waits for it (and retries if it failed).
 * - Start also refuses with `loop_worker_active` while a previous loop of
 *   this worker still runs: stop it first. Each start runs a new loop.
 *
 * Nothing the loop, `onStart` or `onStop` throws escapes as an unhandled
 * rejection.
 *
 * @param loop The loop; it gets its own signal, the drain signal and the handle.
 * @param options Start and stop hooks and the readiness mode.
 * @returns A worker to pass to `runtime.register({ worker })`.
 * @throws {WorkerkitError} `invalid_argument` when `loop` is not a function or
 * an option has the wrong type.
 *
 * @example A consumer loop with a connection opened at start and closed at stop
 * ```ts
 * import { loopWorker, Runtime } from "@workerkit/core";
 *
 * const queue: string[] = ["order-1", "order-2"];
 * const runtime = new Runtime({ name: "shop" });
 * runtime.register({
 *   name: "orders",
 *   worker: loopWorker(async ({ signal, worker }) => {
 *     while (!signal.aborted) {
 *       worker.heartbeat();
 *       const order = queue.shift();
 *       if (order) console.log("processed", order);
 *       await new Promise((resolve) => setTimeout(resolve, 10));
 *     }
 *   }, {
 *     onStart: () => console.log("connected"),
 *     onStop: () => console.log("disconnected"),
 *   }),
 * });
 * await runtime.startAll();
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export function loopWorker(loop: Loop, options?: LoopWorkerOptions): Worker {
  if (typeof loop !== "function") {
    throw invalid("loopWorker() takes a loop function");
  }
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw invalid("loopWorker() options must be an object");
  }
  if (options) refuseUnknownKeys("loopWorker()", options, LOOP_KEYS);
  const onStart = hook("onStart", options?.onStart);
  const onStop = hook("onStop", options?.onStop);
  const autoReady = options?.autoReady ?? true;
  if (typeof autoReady !== "boolean") {
    throw invalid("loopWorker() option autoReady must be a boolean");
  }
  return new LoopWorker(loop, onStart, onStop, autoReady);
}

/** One start's loop, from `start` until its cleanup has succeeded. */
class Run {
  /** The loop's own signal: aborted at stop. */
  readonly loop: AbortController = new AbortController();
  readonly handle: WorkerHandle;
  readonly drainSignal: AbortSignal;
  readonly clock: Clock;
  /** Resolves once the loop has settled, or start ended without launching it. */
  readonly ended: Promise<void>;
  #end!: () => void;
  /** Whether {@linkcode Run.ended} has resolved (known synchronously). */
  hasEnded = false;
  /** A stop has begun: the loop's end is expected. */
  stopRequested = false;
  /** Stops waiting for the loop to end; they run the cleanup themselves. */
  stoppers = 0;
  /** The automatic cleanup was started (it runs at most once a run). */
  autoCleanupStarted = false;
  cleaned = false;
  /** The cleanup attempt in flight, if any. */
  cleaning: Promise<CleanupOutcome> | undefined;

  constructor(ctx: WorkerContext) {
    this.handle = ctx.worker;
    this.drainSignal = ctx.drainSignal;
    this.clock = ctx.clock;
    this.ended = new Promise<void>((resolve) => {
      this.#end = resolve;
    });
  }

  end(): void {
    this.hasEnded = true;
    this.#end();
  }

  get name(): string {
    return this.handle.qualifiedName;
  }
}

class LoopWorker implements Worker {
  readonly #loop: Loop;
  readonly #onStart: Hook | undefined;
  readonly #onStop: Hook | undefined;
  readonly #autoReady: boolean;
  /** The latest run whose cleanup has not succeeded yet. */
  #run: Run | undefined;

  constructor(
    loop: Loop,
    onStart: Hook | undefined,
    onStop: Hook | undefined,
    autoReady: boolean,
  ) {
    this.#loop = loop;
    this.#onStart = onStart;
    this.#onStop = onStop;
    this.#autoReady = autoReady;
  }

  async start(ctx: WorkerContext): Promise<void> {
    await this.#refuseWhileActive(ctx.signal);
    const run = new Run(ctx);
    this.#run = run;
    const onStart = this.#onStart;
    try {
      if (onStart) await onStart(ctx);
    } catch (error) {
      // onStart owns what it acquired before throwing: nothing to clean up.
      run.cleaned = true;
      if (this.#run === run) this.#run = undefined;
      run.end();
      throw error;
    }
    try {
      // An abandoned start (its deadline passed, or a stop came alongside)
      // must not launch a loop nobody will stop.
      ctx.signal.throwIfAborted();
      if (run.stopRequested) {
        throw new WorkerkitError(
          "canceled",
          `${run.name} stopped while starting`,
        );
      }
      ctx.worker.heartbeat();
      // Before the launch, so a loop that is ready at once can say so.
      if (!this.#autoReady) ctx.worker.setReady(false);
    } catch (error) {
      this.#ended(run, true);
      throw error;
    }
    const loopCtx: LoopContext = {
      signal: run.loop.signal,
      drainSignal: ctx.drainSignal,
      worker: ctx.worker,
      clock: ctx.clock,
    };
    invoke(() => this.#loop(loopCtx)).then(
      () => this.#loopReturned(run),
      (error: unknown) => this.#loopThrew(run, error),
    );
  }

  async stop(ctx: WorkerContext): Promise<void> {
    const run = this.#run;
    if (!run) return;
    if (!run.stopRequested) {
      run.stopRequested = true;
      run.loop.abort(new DOMException("loop worker stopping", "AbortError"));
    }
    if (!run.hasEnded) {
      run.stoppers++;
      try {
        await within(run.ended, ctx.signal);
      } catch (error) {
        run.stoppers--;
        // The loop may have ended just as this stop gave up: clean up anyway.
        if (run.hasEnded) this.#autoCleanup(run);
        throw error;
      }
      run.stoppers--;
    }
    await this.#cleanup(run, ctx);
  }

  /**
   * Refuses while the previous run's loop still runs or its cleanup has not
   * succeeded; a cleanup in flight is waited for (bounded by `signal`).
   */
  async #refuseWhileActive(signal: AbortSignal): Promise<void> {
    const previous = this.#run;
    if (!previous) return;
    if (previous.hasEnded && previous.cleaning) {
      await within(previous.cleaning, signal);
    }
    if (this.#run !== previous) return;
    throw new WorkerkitError(
      "loop_worker_active",
      previous.hasEnded
        ? `the cleanup of ${previous.name}'s previous loop has not succeeded yet; stop the worker to retry it`
        : `the previous loop of ${previous.name} is still running; stop the worker first`,
    );
  }

  #loopReturned(run: Run): void {
    if (run.stopRequested || run.drainSignal.aborted) {
      this.#ended(run, run.stopRequested);
      return;
    }
    reportOnce(
      run.handle,
      new WorkerkitError(
        "loop_exited",
        `the loop of ${run.name} returned before stop`,
      ),
    );
    this.#ended(run, true);
  }

  #loopThrew(run: Run, error: unknown): void {
    const expected = run.stopRequested || run.drainSignal.aborted;
    const quiet = expected &&
      (error === run.loop.signal.reason || isAbortLike(error));
    if (!quiet) reportOnce(run.handle, error);
    this.#ended(run, !quiet || run.stopRequested);
  }

  /**
   * The run's loop has settled, or start ended without launching it. A stop
   * that waits for it runs the cleanup with its own deadline; otherwise the
   * cleanup runs by itself when `autoClean` (not after a quiet exit on drain,
   * whose cleanup belongs to the stop that follows).
   */
  #ended(run: Run, autoClean: boolean): void {
    run.end();
    if (run.stoppers > 0 || !autoClean) return;
    this.#autoCleanup(run);
  }

  /** Runs the cleanup once with a fixed 5 s deadline; records its failure. */
  #autoCleanup(run: Run): void {
    if (run.autoCleanupStarted || run.cleaned || run.cleaning) return;
    run.autoCleanupStarted = true;
    run.loop.abort(new DOMException("loop ended", "AbortError"));
    const deadline = new Attempt(
      run.clock,
      AUTO_CLEANUP_MS,
    );
    const ctx: WorkerContext = {
      signal: deadline.signal,
      drainSignal: run.loop.signal,
      worker: run.handle,
      clock: run.clock,
    };
    const work = this.#cleanupAttempt(run, ctx).then((outcome) => {
      if (!outcome.ok) throw outcome.error;
    });
    deadline.race(work, `the automatic cleanup of ${run.name}`)
      .catch((error: unknown) => recordCleanupFailure(run.handle, error))
      .finally(() => deadline.settle());
  }

  /**
   * Makes sure the run's cleanup has succeeded: waits for an attempt in
   * flight (retrying if it failed), or makes one with `ctx`. Bounded by
   * `ctx.signal`; the stop's caller gets the cleanup's own error.
   */
  async #cleanup(run: Run, ctx: WorkerContext): Promise<void> {
    for (;;) {
      if (run.cleaned) return;
      const inFlight = run.cleaning;
      if (inFlight) {
        await within(inFlight, ctx.signal);
        continue;
      }
      const outcome = await within(this.#cleanupAttempt(run, ctx), ctx.signal);
      if (!outcome.ok) throw outcome.error;
      return;
    }
  }

  /** Calls `onStop` once; the returned promise never rejects. */
  #cleanupAttempt(run: Run, ctx: WorkerContext): Promise<CleanupOutcome> {
    const onStop = this.#onStop;
    const attempt = invoke(() => onStop?.(ctx)).then(
      (): CleanupOutcome => {
        run.cleaning = undefined;
        run.cleaned = true;
        if (this.#run === run) this.#run = undefined;
        return { ok: true };
      },
      (error: unknown): CleanupOutcome => {
        run.cleaning = undefined;
        return { ok: false, error };
      },
    );
    run.cleaning = attempt;
    return attempt;
  }
}

/** Waits for `work`, giving up with `signal.reason` when `signal` aborts. */
async function within<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  const bound = new Attempt(systemClock, Infinity, signal);
  try {
    return await bound.race(work, "wait");
  } finally {
    bound.settle();
  }
}

function recordCleanupFailure(handle: WorkerHandle, error: unknown): void {
  try {
    handle.recordFailure(error, { kind: "loop_cleanup" });
  } catch {
    // Nowhere to record it; the next stop retries the cleanup anyway.
  }
}

function hook(
  name: string,
  value: unknown,
): Hook | undefined {
  if (value === undefined || typeof value === "function") {
    return value as Hook | undefined;
  }
  throw invalid(`loopWorker() option ${name} must be a function`);
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
