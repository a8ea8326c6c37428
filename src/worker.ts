import type { Clock } from "./base/clock.ts";
import type { ActiveCheck } from "./events.ts";
import type { WorkerStatus } from "./status.ts";

/**
 * Worker-scoped authority handed to worker code. It can change only its own
 * worker's readiness, admission and failure, and only for the lifecycle
 * generation it was created for: after the worker stops or restarts, every
 * call on an old handle throws `WorkerkitError` with code
 * `invalid_worker_state` and changes nothing.
 *
 * @example Marking a worker ready after its warm-up
 * ```ts
 * import type { Worker } from "@workerkit/core";
 *
 * const worker: Worker = {
 *   start(ctx) {
 *     ctx.worker.setReady(false);
 *     setTimeout(() => ctx.worker.setReady(true), 10);
 *   },
 *   stop() {},
 * };
 * ```
 */
export interface WorkerHandle {
  /** The local name. */
  readonly name: string;
  /** The qualified name, `runtime/worker`. */
  readonly qualifiedName: string;
  /**
   * Sets whether the worker is ready. Takes effect while the worker is
   * `starting` (it overrides `readyOnStart`) or `running`; ignored in other
   * states.
   */
  setReady(ready: boolean): void;
  /**
   * Sets whether the worker admits commands. Takes effect while the worker is
   * `starting` (it overrides `acceptingWorkOnStart`) or `running`.
   */
  setAcceptingWork(accepting: boolean): void;
  /**
   * Reports a failure found in the background. A running worker becomes
   * `failed` and its failure policy (or supervision) applies; during start the
   * worker stays `starting` and ends `failed` once start settles; during stop
   * the failure is recorded only. Only the public projection of `error` is
   * ever shown.
   */
  reportFailure(error: unknown): void;
  /**
   * Records a failure that does not fail the worker: it becomes the worker's
   * `lastFailure` and is emitted as a `failure` event (public projection
   * only), and the worker's state does not change. The non-fatal sibling of
   * {@linkcode WorkerHandle.reportFailure}, for a failed background run that
   * the worker retries itself, or a cleanup that failed after its loop ended.
   * Unlike the other methods it works on a handle whose generation has
   * ended, as long as no newer generation has begun (a late cleanup still
   * has a home); after that it is ignored.
   *
   * @param error The failure; only its public projection is shown.
   * @param options `kind: "loop_cleanup"` for a failed cleanup (public code
   * `loop_cleanup_failed` unless `error` says otherwise); the default,
   * `"background"`, for anything else.
   */
  recordFailure(
    error: unknown,
    options?: { kind?: "background" | "loop_cleanup" },
  ): void;
  /**
   * Begins reporting one run of a health check named `check`: emits
   * `checkstart` and returns the run, whose `end` emits `checkend`.
   * Returns `undefined` when nothing observes checks (no observer hook and
   * no listener), so an unobserved check costs nothing.
   *
   * @param check The check's name.
   * @returns The run to end, or `undefined` when nobody is observing.
   */
  beginCheck(check: string): ActiveCheck | undefined;
  /** Records progress for the stall watchdog (see `stallTimeout`). */
  heartbeat(): void;
  /** A copy of the worker's current status. */
  status(): WorkerStatus;
}

/** What the runtime hands to {@linkcode Worker.start} and {@linkcode Worker.stop}. */
export interface WorkerContext {
  /**
   * Aborts at this attempt's deadline (`startTimeout` / `stopTimeout`), on
   * caller cancellation, or when shutdown preempts the operation. Once the
   * attempt settles it never aborts.
   */
  readonly signal: AbortSignal;
  /**
   * Aborts when drain, stop or shutdown of this worker begins: the soft
   * signal to checkpoint and finish early. `signal` stays the hard deadline.
   */
  readonly drainSignal: AbortSignal;
  /** The worker's handle for this generation. */
  readonly worker: WorkerHandle;
  /**
   * The runtime's clock (`RuntimeOptions.clock`, else the system clock):
   * time a worker by it so that tests that inject a clock reach the worker
   * too.
   */
  readonly clock: Clock;
}

/**
 * The contract a worker implements. `start` should return once the worker is
 * up (launch long-running loops in the background, or use `loopWorker`);
 * `stop` should release what `start` acquired. Both may be sync or async.
 *
 * @example A worker with a background timer
 * ```ts
 * import type { Worker } from "@workerkit/core";
 *
 * let timer: ReturnType<typeof setInterval> | undefined;
 * const ticker: Worker = {
 *   start() {
 *     timer = setInterval(() => {}, 1_000);
 *   },
 *   stop() {
 *     clearInterval(timer);
 *   },
 * };
 * ```
 */
export interface Worker {
  /** Brings the worker up. Throwing (or rejecting) fails the attempt. */
  start(ctx: WorkerContext): void | Promise<void>;
  /** Takes the worker down. Throwing (or rejecting) leaves it `failed`. */
  stop(ctx: WorkerContext): void | Promise<void>;
}
