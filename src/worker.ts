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
