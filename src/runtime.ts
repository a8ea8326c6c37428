import { isoTime } from "./base/_iso_time.ts";
import { checkWorkerRef, commandMap } from "./runtime/_command_map.ts";
import { anySignal, signalOf, type SignalOptions } from "./signal_options.ts";
import { waitFor, wake } from "./runtime/_idle_waiters.ts";
import { byName, commandInfo, snapshot } from "./runtime/_snapshots.ts";

export type { SignalOptions } from "./signal_options.ts";
import { Aggregate } from "./runtime/_aggregate.ts";
import { Attempt, invoke } from "./base/_attempt.ts";
import { type Clock, systemClock } from "./base/clock.ts";
import type { Command, CommandRequest, CommandResult } from "./command.ts";
import { DeadlineScheduler } from "./runtime/_deadline_scheduler.ts";
import { CommandRun, type DispatchHost } from "./runtime/_dispatch.ts";
import { Emitter, type Following } from "./runtime/_emitter.ts";
import { WorkerkitError, type WorkerkitErrorCode } from "./base/errors.ts";
import type {
  CommandEndEvent,
  FailureKind,
  RuntimeEventMap,
} from "./events.ts";
import { type FailureContext, publicFailure } from "./failure.ts";
import { LifecycleGate } from "./runtime/_lifecycle_gate.ts";
import {
  Generation,
  ManagedWorker,
  transitionOf,
  type TransitionRecord,
  type WorkerHost,
} from "./runtime/_managed_worker.ts";
import {
  validateCommandName,
  validateRuntimeName,
  validateWorkerName,
} from "./base/names.ts";
import type {
  ReadinessPolicy,
  RuntimeOptions,
  WorkerDefaults,
  WorkerRegistration,
} from "./options.ts";
import { delay } from "./retry/delay.ts";
import { nextDelay } from "./retry/_next_delay.ts";
import { ContainedListeners } from "./runtime/_contained_listeners.ts";
import { RetryBudget } from "./runtime/_retry_budget.ts";
import type { Component, Readiness } from "./ops/component.ts";
import { runtimeReadiness } from "./runtime/_runtime_component.ts";
import { RestartIntensity } from "./runtime/_restart_intensity.ts";
import { StallWatchdog } from "./runtime/_stall_watchdog.ts";
import { OperationalFailure } from "./base/operational_failure.ts";
import { cap, resolveSettings } from "./runtime/_settings.ts";
import type {
  CommandInfo,
  LifecycleState,
  RuntimeStatus,
  WorkerSnapshot,
} from "./status.ts";

/** What {@linkcode Runtime.inspect} returns. */
export interface RuntimeInspection {
  /** The aggregate status. */
  status: RuntimeStatus;
  /** Every worker, in registration order. */
  workers: WorkerSnapshot[];
  /** Each worker's commands, by local worker name. */
  commands: Record<string, CommandInfo[]>;
}

const STARTABLE: ReadonlySet<LifecycleState> = new Set([
  "registered",
  "stopped",
  "failed",
]);
const STOPPABLE: ReadonlySet<LifecycleState> = new Set([
  "running",
  "draining",
  "failed",
]);
const REMOVABLE = STARTABLE;

/**
 * The runtime for a service's long-running workers: registration, lifecycle
 * with deadlines, readiness, status, commands and events, for one service
 * boundary. Lifecycle operations (`start*`, `drain*`, `stop*`, `shutdown`,
 * `unregister`) run one at a time in call order; status reads, handle calls,
 * idle waits and `dispatch` never wait for them.
 *
 * It is an `EventTarget`: listen for `transition`, `readiness`, `failure`,
 * `commandstart`, `commandend`, `checkstart` and `checkend`
 * ({@linkcode RuntimeEvent}s). A listener that throws is contained.
 *
 * @example A worker, started and shut down
 * ```ts
 * import { Runtime } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "billing" });
 * runtime.register({
 *   name: "ingest",
 *   description: "pulls orders from the broker",
 *   worker: {
 *     start: () => console.log("connected"),
 *     stop: () => console.log("disconnected"),
 *   },
 * });
 * await runtime.startAll();
 * console.log(runtime.status().ready); // true
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export class Runtime extends EventTarget implements Component {
  /** The runtime's name. */
  readonly name: string;
  /** The ops component kind. */
  readonly kind = "workerkit.runtime";
  readonly #clock: Clock;
  readonly #readinessPolicy: ReadinessPolicy;
  readonly #commandConcurrency: number;
  readonly #defaults: WorkerDefaults;
  readonly #emitter: Emitter;
  readonly #listeners = new ContainedListeners(this, {
    add: (type, listener, options) =>
      super.addEventListener(type, listener, options),
    remove: (type, listener, options) =>
      super.removeEventListener(type, listener, options),
  });
  readonly #gate = new LifecycleGate();
  readonly #aggregate = new Aggregate();
  readonly #workers = new Map<string, ManagedWorker>();
  readonly #order: ManagedWorker[] = [];
  readonly #deadlines: DeadlineScheduler;
  readonly #host: WorkerHost;
  readonly #dispatchHost: DispatchHost;
  #idleWaiters: Array<() => void> = [];
  #inFlight = 0;
  #admissionOpen = true;
  #shutdown: Promise<void> | undefined;
  #shuttingDown = false;
  #stopping = false;
  readonly #stoppingController = new AbortController();
  #state: LifecycleState = "registered";
  #ready = false;
  #lastTransition: TransitionRecord | undefined;
  readonly #budget: RetryBudget | undefined;
  readonly #livenessWatched = new Set<ManagedWorker>();
  #dispatchPrefix: string | undefined;
  #dispatchCount = 0;

  /**
   * Makes a runtime; nothing runs until workers are registered and started.
   *
   * @param options The runtime's name and policies.
   * @throws {WorkerkitError} `invalid_name` for a bad name, `invalid_argument` for a bad option.
   */
  constructor(options: RuntimeOptions) {
    super();
    if (options === null || typeof options !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "new Runtime() takes an options object with a name",
      );
    }
    validateRuntimeName(options.name);
    this.name = options.name;
    this.#clock = options.clock ?? systemClock;
    this.#readinessPolicy = readinessPolicy(options.readinessPolicy);
    this.#commandConcurrency = cap(
      "commandConcurrency",
      options.commandConcurrency ?? 0,
    );
    this.#defaults = { ...options.defaults };
    resolveSettings({}, this.#defaults);
    this.#emitter = new Emitter(options.observer, {
      listening: (type) => this.#listeners.has(type),
      dispatch: (event) => this.dispatchEvent(event),
    });
    this.#deadlines = new DeadlineScheduler(this.#clock);
    this.#budget = options.retryBudget === undefined
      ? undefined
      : new RetryBudget(options.retryBudget, this.#clock);
    this.#host = this.#workerHost();
    this.#dispatchHost = this.#makeDispatchHost();
    this.#emitter.attach(this);
  }

  /**
   * Adds an event listener, as `EventTarget` does, except that a listener
   * that throws or rejects is contained: it never reaches the runtime's
   * callers or the host's uncaught-exception path. Event types are the keys
   * of {@linkcode RuntimeEventMap}; the payload is the event's `detail`.
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    this.#listeners.add(type, listener, options);
  }

  /** Removes an event listener added with {@linkcode Runtime.addEventListener}. */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    this.#listeners.remove(type, listener, options);
  }

  /**
   * The runtime's clock: `RuntimeOptions.clock`, else the system clock.
   * Everything the runtime times (deadlines, backoff, stall watchdogs,
   * timestamps) uses it, and so should code built around the runtime.
   */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * Whether a worker with failure policy `fail-runtime` is `failed`: the
   * runtime is failed as a whole and refuses commands. A service runner
   * shuts down when this turns true.
   */
  get failing(): boolean {
    return this.#aggregate.failingRuntime;
  }

  /**
   * Aborts once the runtime begins stopping: at
   * {@linkcode Runtime.beginStopping} or when shutdown begins. Long-lived
   * responses (event streams) end on it, so they never hold an HTTP
   * server's graceful shutdown open.
   */
  get stopping(): AbortSignal {
    return this.#stoppingController.signal;
  }

  /**
   * Announces that the service is about to stop: readiness turns false at
   * once (so a load balancer stops routing) while liveness, admission and
   * every worker stay as they are, and {@linkcode Runtime.stopping}
   * aborts. For service runners, which call it, wait their shutdown delay,
   * then call {@linkcode Runtime.shutdown}. Idempotent.
   *
   * @example Draining traffic before shutdown
   * ```ts
   * import { Runtime } from "@workerkit/core";
   *
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * runtime.beginStopping();
   * console.log(runtime.status().ready, runtime.live(), runtime.stopping.aborted); // false true true
   * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  beginStopping(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stoppingController.abort();
    this.#refresh();
  }

  // ── Registration ──────────────────────────────────────────────────────

  /**
   * Registers a worker. Works at any time until shutdown begins; a new
   * worker starts `registered`. Atomic: on error nothing changes.
   *
   * @throws {WorkerkitError} `invalid_name`, `invalid_argument`,
   * `worker_already_registered`, `command_already_registered`, `runtime_shut_down`.
   */
  register(registration: WorkerRegistration): void {
    if (this.#shuttingDown) throw new WorkerkitError("runtime_shut_down");
    const w = this.#build(registration);
    if (this.#workers.has(w.name)) {
      throw new WorkerkitError(
        "worker_already_registered",
        `worker ${w.qualifiedName} is already registered`,
      );
    }
    this.#workers.set(w.name, w);
    this.#workers.set(w.qualifiedName, w);
    this.#order.push(w);
    if (w.settings.livenessOnStall) this.#livenessWatched.add(w);
    this.#aggregate.count(w, 1);
    this.#refresh();
  }

  /**
   * Removes a worker that is `registered`, `stopped` or `failed` with
   * nothing in flight.
   *
   * @throws {WorkerkitError} `worker_not_found`, `invalid_worker_state`, `runtime_shut_down`.
   */
  unregister(worker: string, options?: SignalOptions): Promise<void> {
    return this.#lifecycle(options, () => {
      const w = this.#require(worker);
      if (!REMOVABLE.has(w.state) || w.inFlight > 0) {
        throw stateError(w, "unregister");
      }
      this.#workers.delete(w.name);
      this.#workers.delete(w.qualifiedName);
      this.#order.splice(this.#order.indexOf(w), 1);
      this.#livenessWatched.delete(w);
      this.#aggregate.count(w, -1);
      w.generation?.end();
      this.#refresh();
      return Promise.resolve();
    });
  }

  // ── Lifecycle ─────────────────────────────────────────────────────────

  /**
   * Starts one worker from `registered`, `stopped` or `failed`, retrying
   * failed attempts per its `startRetry`. Each attempt has its own
   * `startTimeout`; the call returns by then even if the worker ignores its
   * signal. Rejects with the final attempt's error.
   */
  start(worker: string, options?: SignalOptions): Promise<void> {
    return this.#lifecycle(options, (preempt) => {
      const w = this.#require(worker);
      return this.#startWorker(w, options?.signal, preempt);
    });
  }

  /**
   * Starts every `registered`, `stopped` or `failed` worker in registration
   * order; stops at the first failure without rolling back.
   */
  startAll(options?: SignalOptions): Promise<void> {
    return this.#lifecycle(options, async (preempt) => {
      for (const w of [...this.#order]) {
        if (STARTABLE.has(w.state)) {
          await this.#startWorker(w, options?.signal, preempt);
        }
      }
    });
  }

  /**
   * Drains a `running` worker: it stops being ready and admitting commands,
   * and its `drainSignal` aborts. In-flight commands go on.
   */
  drain(worker: string, options?: SignalOptions): Promise<void> {
    return this.#lifecycle(options, () => {
      this.#drainWorker(this.#require(worker));
      return Promise.resolve();
    });
  }

  /** Drains every `running` worker. */
  drainAll(options?: SignalOptions): Promise<void> {
    return this.#lifecycle(options, () => {
      for (const w of this.#order) {
        if (w.state === "running") this.#drainWorker(w);
      }
      return Promise.resolve();
    });
  }

  /**
   * Drains every `running` worker, trying all of them.
   *
   * @throws {AggregateError} Of the drains that failed.
   */
  drainAllBestEffort(options?: SignalOptions): Promise<void> {
    return this.#lifecycle(options, () => {
      this.#drainAllNow();
      return Promise.resolve();
    });
  }

  /** Resolves when the worker has no command in flight. */
  waitIdle(worker: string, options?: SignalOptions): Promise<void> {
    let w: ManagedWorker;
    try {
      w = this.#require(worker);
    } catch (error) {
      return Promise.reject(error);
    }
    if (w.inFlight === 0) return Promise.resolve();
    return waitFor(w.idleWaiters, options?.signal);
  }

  /** Resolves when no command is in flight anywhere in the runtime. */
  waitAllIdle(options?: SignalOptions): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return waitFor(this.#idleWaiters, options?.signal);
  }

  /**
   * Stops a `running`, `draining` or `failed` worker within its
   * `stopTimeout`. Closes admission for that worker only; it neither waits
   * for nor cancels in-flight commands (compose drain → waitIdle → stop).
   */
  stop(worker: string, options?: SignalOptions): Promise<void> {
    return this.#lifecycle(options, (preempt) => {
      const w = this.#require(worker);
      return this.#stopWorker(w, options?.signal, preempt);
    });
  }

  /**
   * Closes runtime-wide admission, then stops every `running`, `draining`
   * or `failed` worker in reverse registration order, continuing past
   * failures. A later start reopens admission.
   *
   * @throws {AggregateError} Of the stops that failed.
   */
  stopAll(options?: SignalOptions): Promise<void> {
    return this.#lifecycle(
      options,
      (preempt) => this.#stopAllNow(options?.signal, preempt),
    );
  }

  /**
   * Shuts the runtime down for good: closes admission, preempts the running
   * lifecycle operation, drains, waits for in-flight commands, and stops
   * every worker — all under `signal`. When `signal` aborts, it calls `stop`
   * on every worker not yet stopped with an aborted signal (not awaited) and
   * rejects with `deadline_exceeded` naming the phase. Pass a signal: without
   * one a command that never settles holds shutdown forever.
   *
   * @throws {WorkerkitError} `deadline_exceeded` when `signal` aborts first.
   * @throws {AggregateError} Of the stops that failed.
   */
  shutdown(options?: SignalOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#shutdown) {
      this.#shutdown = this.#shutdownNow(signal);
      return this.#shutdown;
    }
    if (!signal) return this.#shutdown;
    // A later caller waits for the shutdown under way, bounded by its own signal.
    const bound = new Attempt(this.#clock, Infinity, signal);
    return bound.race(this.#shutdown, "shutdown").catch((error) => {
      if (!bound.signal.aborted) throw error;
      throw new WorkerkitError(
        "deadline_exceeded",
        `shutdown of runtime ${this.name} exceeded the caller's deadline`,
        { cause: bound.signal.reason },
      );
    }).finally(() => bound.settle());
  }

  // ── Status ────────────────────────────────────────────────────────────

  /** The aggregate status. O(1). */
  status(): RuntimeStatus {
    const status: RuntimeStatus = {
      name: this.name,
      state: this.#state,
      ready: this.#ready,
      inFlight: this.#inFlight,
      workers: this.#aggregate.total,
    };
    if (this.#lastTransition) {
      status.lastTransition = transitionOf(this.#lastTransition);
    }
    return status;
  }

  /**
   * Liveness for a `/livez` probe: false while a worker registered with
   * `livenessOnStall: true` is stalled, so Kubernetes restarts a pod whose
   * worker is wedged. O(number of such workers).
   */
  live(): boolean {
    for (const w of this.#livenessWatched) {
      if (w.stalled) return false;
    }
    return true;
  }

  /**
   * The runtime as an ops component (kind `workerkit.runtime`): its
   * lifecycle as a component state, and one readiness item per worker.
   * Register it in an `OpsRegistry` so `/readyz` includes it.
   */
  readiness(): Readiness {
    return runtimeReadiness(
      this.status(),
      this.#order,
      this.#readinessPolicy,
      this.#shuttingDown || this.#stopping,
    );
  }

  /** Inspection for ops: the status, every worker's snapshot and its commands. */
  inspect(): RuntimeInspection {
    const commands: Record<string, CommandInfo[]> = {};
    for (const w of this.#order) commands[w.name] = this.commands(w.name)!;
    return { status: this.status(), workers: this.workers(), commands };
  }

  /** Every worker, in registration order. */
  workers(): WorkerSnapshot[] {
    return this.#order.map(snapshot);
  }

  /** One worker by local or qualified name, or `undefined`. */
  worker(worker: string): WorkerSnapshot | undefined {
    const w = this.#workers.get(worker);
    return w ? snapshot(w) : undefined;
  }

  /** A worker's commands sorted by name, or `undefined` for an unknown worker. */
  commands(worker: string): CommandInfo[] | undefined {
    const w = this.#workers.get(worker);
    if (!w) return undefined;
    return [...w.commands.values()].map(commandInfo).sort(byName);
  }

  // ── Commands ──────────────────────────────────────────────────────────

  /**
   * Runs a worker's command. Admission, in order: names valid, worker
   * exists, command exists, runtime admitting, worker `running`, worker
   * admitting, runtime cap, worker cap — refusals reject at once with their
   * code (no queue). Each attempt has its own `commandTimeout`; the caller
   * gets `deadline_exceeded` on time even if the handler ignores its signal.
   */
  dispatch(
    request: CommandRequest,
    options?: SignalOptions,
  ): Promise<CommandResult> {
    if (request === null || typeof request !== "object") {
      return Promise.reject(
        new WorkerkitError("invalid_argument", "dispatch() takes a request"),
      );
    }
    const w = this.#workers.get(request.worker);
    const command = w?.commands.get(request.name);
    if (!w || !command) return Promise.reject(this.#lookupError(request));
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        signal = signalOf(options);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    let following: Following<CommandEndEvent> | undefined;
    let dispatchId: string | undefined;
    // One clock read for the start event, the duration and the first
    // deadline: reading the clock is most of an observed dispatch's cost.
    let startedAt = 0;
    if (this.#emitter.wantsCommands()) {
      startedAt = this.#clock.now();
      dispatchId = this.#nextDispatchId();
      following = this.#emitter.commandStart({
        runtime: this.name,
        worker: w.qualifiedName,
        command: command.name,
        dispatchId,
        at: isoTime(startedAt),
      });
    }
    if (signal?.aborted) {
      // Like fetch: a request canceled before it began never runs.
      following?.end(this.#refusalEvent(w, command, signal.reason, dispatchId));
      return Promise.reject(signal.reason);
    }
    const refusal = this.#admission(w);
    if (refusal) {
      return Promise.reject(
        this.#refuse(w, command, refusal, following, dispatchId),
      );
    }
    this.#inFlight++;
    w.inFlight++;
    this.#budget?.first();
    return new CommandRun(
      this.#dispatchHost,
      w,
      command,
      request,
      signal,
      following,
      dispatchId,
      startedAt,
    ).run();
  }

  // ── Internals: lifecycle ──────────────────────────────────────────────

  #lifecycle(
    options: SignalOptions | undefined,
    op: (preempt: AbortSignal) => Promise<void>,
  ): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#gate.run((preempt) => invoke(() => op(preempt)), signal);
  }

  async #startWorker(
    w: ManagedWorker,
    signal: AbortSignal | undefined,
    preempt: AbortSignal,
  ): Promise<void> {
    if (!STARTABLE.has(w.state)) throw stateError(w, "start");
    this.#admissionOpen = true;
    this.#change(w, () => {
      w.state = "starting";
      w.ready = w.accepting = false;
    });
    try {
      await this.#startAttempts(w, signal, preempt);
    } catch (error) {
      // The failed attempt's work may go on; its handle must not act later.
      w.generation?.end();
      this.#fail(w);
      throw error;
    }
  }

  /**
   * Runs start attempts, each its own generation with its own deadline,
   * retrying per `startRetry` (and the retry budget). On success the worker
   * is running; on failure it stays `starting` for the caller to settle.
   */
  async #startAttempts(
    w: ManagedWorker,
    signal: AbortSignal | undefined,
    preempt: AbortSignal,
  ): Promise<void> {
    this.#budget?.first();
    for (let failures = 1;; failures++) {
      const generation = this.#newGeneration(w);
      const attempt = new Attempt(
        this.#clock,
        w.settings.startTimeout,
        signal,
        preempt,
      );
      const ctx = {
        signal: attempt.signal,
        drainSignal: generation.drain.signal,
        worker: generation.handle,
        clock: this.#clock,
      };
      const work = this.#afterPending(
        w,
        attempt.signal,
        () => w.worker.start(ctx),
      );
      try {
        await attempt.race(work, `start of ${w.qualifiedName}`);
        attempt.settle();
        this.#started(w, generation);
        return;
      } catch (error) {
        attempt.settle();
        this.#recordFailure(w, error, "lifecycle", failures);
        const canceled = attempt.signal.aborted && !attempt.timedOut;
        const wait = canceled
          ? undefined
          : nextDelay(w.settings.startRetry, failures, error);
        if (wait === undefined) throw error;
        if (this.#budget && !this.#budget.tryRetry()) {
          throw new WorkerkitError(
            "retry_budget_exhausted",
            `start of ${w.qualifiedName} was not retried: the retry budget is spent`,
            { cause: error },
          );
        }
        generation.end();
        // An aborted wait rejects with the signal's reason, as retry() does.
        await delay(wait, {
          signal: anySignal(signal, preempt),
          clock: this.#clock,
        });
      }
    }
  }

  #started(w: ManagedWorker, generation: Generation): void {
    const reported = generation.startFailure;
    if (reported) {
      if (this.#mayRestart(w)) this.#failAndRestart(w, reported.error);
      else this.#fail(w);
      return;
    }
    this.#change(w, () => {
      w.state = "running";
      if (!generation.readySet) w.ready = w.settings.readyOnStart;
      if (!generation.acceptingSet) {
        w.accepting = w.settings.acceptingWorkOnStart;
      }
      w.lastFailure = undefined;
    });
    w.watchdog?.arm();
  }

  #fail(w: ManagedWorker): void {
    this.#change(w, () => {
      w.state = "failed";
      w.ready = w.accepting = false;
    });
  }

  // ── Internals: supervision ────────────────────────────────────────────

  /** Whether supervision restarts this worker now. */
  #mayRestart(w: ManagedWorker): boolean {
    return w.intensity !== undefined && !this.#shuttingDown &&
      w.intensity.allows(this.#clock.now());
  }

  /**
   * The current generation failed: the worker goes `failed` (observed) and
   * at once `starting` again with reason `restart`, so its failure policy
   * does not apply while supervision works. The restart itself runs through
   * the lifecycle gate.
   */
  #failAndRestart(w: ManagedWorker, error: unknown): void {
    const from = w.state;
    const wasReady = w.effectiveReady;
    this.#aggregate.count(w, -1);
    w.state = "failed";
    w.ready = w.accepting = w.stalled = false;
    this.#transitioned(w, from, undefined);
    w.state = "starting";
    this.#transitioned(w, "failed", "restart");
    this.#aggregate.count(w, 1);
    if (wasReady) this.#workerReadiness(w);
    this.#refresh("restart");
    this.#gate.run((preempt) => this.#restart(w, error, preempt))
      .catch(() => {
        if (w.state === "starting") this.#fail(w);
      });
  }

  /** Stops the failed generation, waits the backoff, starts a new one. */
  async #restart(
    w: ManagedWorker,
    error: unknown,
    preempt: AbortSignal,
  ): Promise<void> {
    if (w.state !== "starting") return;
    await this.#stopFailedGeneration(w, preempt);
    const { backoff } = w.settings.restart!;
    let cause = error;
    for (;;) {
      w.restarts++;
      const n = w.intensity!.record(this.#clock.now());
      const wait = nextDelay(backoff, n, cause);
      const waited = wait !== undefined &&
        await delay(wait, { signal: preempt, clock: this.#clock })
          .then(() => true, () => false);
      if (!waited) return this.#fail(w);
      try {
        await this.#startAttempts(w, undefined, preempt);
        return;
      } catch (startError) {
        cause = startError;
        if (preempt.aborted || !this.#mayRestart(w)) {
          w.generation?.end();
          return this.#fail(w);
        }
      }
    }
  }

  async #stopFailedGeneration(
    w: ManagedWorker,
    preempt: AbortSignal,
  ): Promise<void> {
    const generation = w.generation;
    if (!generation) return;
    abortDrain(generation);
    const attempt = new Attempt(this.#clock, w.settings.stopTimeout, preempt);
    const ctx = {
      signal: attempt.signal,
      drainSignal: generation.drain.signal,
      worker: generation.handle,
      clock: this.#clock,
    };
    try {
      await attempt.race(
        this.#alongsidePending(w, () => w.worker.stop(ctx)),
        `stop of ${w.qualifiedName}`,
      );
    } catch (stopError) {
      this.#recordFailure(w, stopError, "lifecycle");
    } finally {
      attempt.settle();
      generation.end();
    }
  }

  /** A running worker went without a heartbeat for its `stallTimeout`. */
  #stalled(w: ManagedWorker): void {
    if (w.state !== "running") return;
    const failure = stallFailure();
    this.#recordFailure(w, failure, "stall");
    if (w.intensity) {
      // Supervised: a stall is a failure, restarted until the intensity is spent.
      if (this.#mayRestart(w)) this.#failAndRestart(w, failure);
      else this.#fail(w);
      return;
    }
    this.#change(w, () => {
      w.stalled = true;
    });
  }

  #drainWorker(w: ManagedWorker): void {
    if (w.state !== "running") throw stateError(w, "drain");
    if (w.generation) abortDrain(w.generation);
    this.#change(w, () => {
      w.state = "draining";
      w.ready = w.accepting = false;
    });
  }

  #drainAllNow(): void {
    const errors: unknown[] = [];
    for (const w of this.#order) {
      if (w.state !== "running") continue;
      try {
        this.#drainWorker(w);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      throw new AggregateError(errors, `${errors.length} drain(s) failed`);
    }
  }

  async #stopWorker(
    w: ManagedWorker,
    signal: AbortSignal | undefined,
    preempt: AbortSignal | undefined,
  ): Promise<void> {
    if (!STOPPABLE.has(w.state)) throw stateError(w, "stop");
    const attempt = new Attempt(
      this.#clock,
      w.settings.stopTimeout,
      signal,
      preempt,
    );
    const { generation, work } = this.#beginStop(w, attempt.signal);
    try {
      await attempt.race(work, `stop of ${w.qualifiedName}`);
    } catch (error) {
      if (attempt.signal.aborted && !attempt.timedOut) {
        // Canceled, not failed: the stop goes on, and the worker stays
        // `stopping` until it settles, so nothing stops it twice.
        this.#settleStopLater(w, generation, work);
        throw error;
      }
      this.#recordFailure(w, error, "lifecycle");
      this.#stopped(w, generation, "failed");
      throw error;
    } finally {
      attempt.settle();
    }
    this.#stopped(w, generation, "stopped");
  }

  /** Moves the worker to `stopping` and calls its `stop` with `signal`. */
  #beginStop(
    w: ManagedWorker,
    signal: AbortSignal,
  ): { generation: Generation; work: Promise<void> } {
    const generation = w.generation?.alive
      ? w.generation
      : this.#newGeneration(w);
    abortDrain(generation);
    this.#change(w, () => {
      w.state = "stopping";
      w.ready = w.accepting = false;
    });
    const ctx = {
      signal,
      drainSignal: generation.drain.signal,
      worker: generation.handle,
      clock: this.#clock,
    };
    const work = this.#alongsidePending(w, () => w.worker.stop(ctx));
    return { generation, work };
  }

  /** Settles the worker as `stopped` or `failed` whenever `work` does. */
  #settleStopLater(
    w: ManagedWorker,
    generation: Generation,
    work: Promise<void>,
  ): void {
    work.then(
      () => this.#stopped(w, generation, "stopped"),
      (error: unknown) => {
        if (generation === w.generation && generation.alive) {
          this.#recordFailure(w, error, "lifecycle");
        }
        this.#stopped(w, generation, "failed");
      },
    );
  }

  #stopped(
    w: ManagedWorker,
    generation: Generation,
    to: "stopped" | "failed",
  ): void {
    generation.end();
    if (w.generation !== generation || w.state !== "stopping") return;
    this.#change(w, () => {
      w.state = to;
    });
  }

  async #stopAllNow(
    signal: AbortSignal | undefined,
    preempt: AbortSignal | undefined,
  ): Promise<void> {
    this.#admissionOpen = false;
    const errors: unknown[] = [];
    for (const w of [...this.#order].reverse()) {
      if (signal?.aborted) throw signal.reason;
      if (!STOPPABLE.has(w.state)) continue;
      try {
        await this.#stopWorker(w, signal, preempt);
      } catch (error) {
        errors.push(error);
      }
    }
    if (signal?.aborted) throw signal.reason;
    if (errors.length > 0) {
      throw new AggregateError(errors, `${errors.length} stop(s) failed`);
    }
  }

  async #shutdownNow(signal: AbortSignal | undefined): Promise<void> {
    this.#shuttingDown = true;
    this.#stoppingController.abort();
    this.#admissionOpen = false;
    this.#refresh();
    const bound = new Attempt(this.#clock, Infinity, signal);
    const preempted = this.#gate.close(() =>
      new WorkerkitError("runtime_shut_down")
    );
    let phase = "preempt";
    try {
      await bound.race(preempted, "shutdown");
      phase = "drain";
      try {
        this.#drainAllNow();
      } catch {
        // A drain that fails does not stop shutdown; stop follows anyway.
      }
      phase = "idle";
      await bound.race(this.waitAllIdle(), "shutdown");
      phase = "stop";
      await this.#stopAllNow(bound.signal, undefined);
    } catch (error) {
      if (!bound.signal.aborted) throw error;
      this.#forceStopAll();
      preempted.then(() => this.#forceStopAll());
      throw new WorkerkitError(
        "deadline_exceeded",
        `shutdown of runtime ${this.name} exceeded its deadline in the ${phase} phase`,
        { cause: bound.signal.reason },
      );
    } finally {
      bound.settle();
    }
  }

  /**
   * Calls `stop` with an aborted signal on every worker not yet stopped, so
   * their cleanup begins at once; tracked, not awaited.
   */
  #forceStopAll(): void {
    const aborted = AbortSignal.abort(
      new DOMException("shutdown deadline exceeded", "TimeoutError"),
    );
    for (const w of [...this.#order].reverse()) {
      if (!STOPPABLE.has(w.state)) continue;
      const { generation, work } = this.#beginStop(w, aborted);
      this.#settleStopLater(w, generation, work);
    }
  }

  /**
   * Runs a start once the worker's previous start or stop has settled, even
   * one whose caller gave up on it, so two generations never overlap.
   */
  #afterPending(
    w: ManagedWorker,
    signal: AbortSignal,
    fn: () => void | Promise<void>,
  ): Promise<void> {
    const previous = w.pending;
    const work = previous
      ? previous.then(() => {
        if (signal.aborted) throw signal.reason;
        return fn();
      })
      : invoke(fn);
    w.pending = work.then(noop, noop);
    return work;
  }

  /**
   * Runs a stop at once: it is how an abandoned start of the same
   * generation gets cleaned up, so it must not wait for it. The next start
   * waits for both.
   */
  #alongsidePending(
    w: ManagedWorker,
    fn: () => void | Promise<void>,
  ): Promise<void> {
    const previous = w.pending;
    const work = invoke(fn);
    const settled = work.then(noop, noop);
    w.pending = previous
      ? Promise.all([previous, settled]).then(noop)
      : settled;
    return work;
  }

  #newGeneration(w: ManagedWorker): Generation {
    w.generation?.end();
    const generation = new Generation(this.#host, w);
    w.generation = generation;
    return generation;
  }

  // ── Internals: state, readiness, events ───────────────────────────────

  /**
   * Applies a change to one worker: its contribution leaves the aggregate,
   * `apply` runs, it comes back (O(1)), and the events follow.
   */
  #change(w: ManagedWorker, apply: () => void, reason?: string): void {
    const from = w.state;
    const wasReady = w.effectiveReady;
    this.#aggregate.count(w, -1);
    apply();
    if (from === "running" && w.state !== "running") {
      w.watchdog?.disarm();
      w.stalled = false;
    }
    this.#aggregate.count(w, 1);
    if (w.state !== from) this.#transitioned(w, from, reason);
    if (w.effectiveReady !== wasReady) this.#workerReadiness(w);
    this.#refresh(reason);
  }

  #transitioned(
    w: ManagedWorker,
    from: LifecycleState,
    reason: string | undefined,
  ): void {
    w.lastTransition = { from, to: w.state, atMs: this.#clock.now(), reason };
    if (!this.#emitter.wants("transition")) return;
    this.#emitter.transition({
      runtime: this.name,
      worker: w.qualifiedName,
      ...transitionOf(w.lastTransition),
    });
  }

  #workerReadiness(w: ManagedWorker): void {
    if (!this.#emitter.wants("readiness")) return;
    this.#emitter.readiness({
      runtime: this.name,
      worker: w.qualifiedName,
      ready: w.effectiveReady,
      at: this.#at(),
    });
  }

  /** Recomputes the runtime's state and readiness and reports changes. */
  #refresh(reason?: string): void {
    const state = this.#aggregate.state();
    if (state !== this.#state) {
      const record: TransitionRecord = {
        from: this.#state,
        to: state,
        atMs: this.#clock.now(),
        reason,
      };
      this.#state = state;
      this.#lastTransition = record;
      if (this.#emitter.wants("transition")) {
        this.#emitter.transition({
          runtime: this.name,
          ...transitionOf(record),
        });
      }
    }
    const ready = !this.#shuttingDown && !this.#stopping &&
      this.#aggregate.ready(this.#readinessPolicy);
    if (ready !== this.#ready) {
      this.#ready = ready;
      if (this.#emitter.wants("readiness")) {
        this.#emitter.readiness({ runtime: this.name, ready, at: this.#at() });
      }
    }
  }

  #recordFailure(
    w: ManagedWorker,
    error: unknown,
    kind: FailureKind,
    attempt?: number,
    context: FailureContext = "lifecycle",
  ): void {
    const failure = publicFailure(error, context);
    const at = this.#at();
    w.lastFailure = { code: failure.code, message: failure.message, at };
    if (!this.#emitter.wants("failure")) return;
    this.#emitter.failure({
      runtime: this.name,
      worker: w.qualifiedName,
      kind,
      code: failure.code,
      message: failure.message,
      ...(attempt === undefined ? {} : { attempt }),
      cause: error,
      at,
    });
  }

  #workerHost(): WorkerHost {
    return {
      setReady: (w, ready) => {
        if (w.state !== "starting" && w.state !== "running") return;
        this.#change(w, () => {
          w.ready = ready;
        });
      },
      setAcceptingWork: (w, accepting) => {
        if (w.state === "starting" || w.state === "running") {
          w.accepting = accepting;
        }
      },
      reportFailure: (w, error) => this.#reportFailure(w, error),
      heartbeat: (w) => {
        if (w.watchdog?.beat() && w.stalled) {
          this.#change(w, () => {
            w.stalled = false;
          });
        }
      },
      recordFailure: (w, generation, error, kind) => {
        // An ended generation may still report (a loop's late cleanup)
        // as long as no newer one has begun.
        if (w.generation !== generation) return;
        const context = kind === "loop_cleanup" ? "loop_cleanup" : "lifecycle";
        this.#recordFailure(w, error, kind, undefined, context);
      },
      beginCheck: (w, check) => {
        if (!this.#emitter.wantsChecks()) return undefined;
        const base = { runtime: this.name, worker: w.qualifiedName, check };
        const following = this.#emitter.checkStart({ ...base, at: this.#at() });
        let ended = false;
        return {
          wrap: (fn) => following.wrap(fn),
          end: (e) => {
            if (ended) return;
            ended = true;
            following.end({ ...e, ...base });
          },
        };
      },
    };
  }

  #reportFailure(w: ManagedWorker, error: unknown): void {
    this.#recordFailure(w, error, "background");
    if (w.state === "starting") {
      w.generation!.startFailure ??= { error };
      return;
    }
    if (w.state === "running" && this.#mayRestart(w)) {
      this.#failAndRestart(w, error);
      return;
    }
    if (w.state === "running" || w.state === "draining") this.#fail(w);
  }

  // ── Internals: commands ───────────────────────────────────────────────

  #admission(w: ManagedWorker): WorkerkitErrorCode | undefined {
    if (
      !this.#admissionOpen || this.#shutdown || this.#aggregate.failingRuntime
    ) {
      return "runtime_not_accepting_work";
    }
    if (w.state !== "running") return "invalid_worker_state";
    if (!w.accepting) return "worker_not_accepting_work";
    const runtimeCap = this.#commandConcurrency;
    if (runtimeCap > 0 && this.#inFlight >= runtimeCap) {
      return "runtime_saturated";
    }
    const workerCap = w.settings.commandConcurrency;
    if (workerCap > 0 && w.inFlight >= workerCap) return "worker_saturated";
    return undefined;
  }

  #refuse(
    w: ManagedWorker,
    command: Command,
    code: WorkerkitErrorCode,
    following: Following<CommandEndEvent> | undefined,
    dispatchId: string | undefined,
  ): WorkerkitError {
    const error = new WorkerkitError(
      code,
      `${command.name} on ${w.qualifiedName} refused: ${code}`,
    );
    following?.end(this.#refusalEvent(w, command, error, dispatchId));
    return error;
  }

  /** The end event of a dispatch that never ran: `attempts: 0`. */
  #refusalEvent(
    w: ManagedWorker,
    command: Command,
    error: unknown,
    dispatchId: string | undefined,
  ): CommandEndEvent {
    const failure = publicFailure(error, "command");
    return {
      runtime: this.name,
      worker: w.qualifiedName,
      command: command.name,
      dispatchId: dispatchId ?? "",
      at: this.#at(),
      ok: false,
      attempts: 0,
      durationMs: 0,
      code: failure.code,
      message: failure.message,
      cause: error,
    };
  }

  #makeDispatchHost(): DispatchHost {
    return {
      name: this.name,
      clock: this.#clock,
      deadlines: this.#deadlines,
      nextDispatchId: () => this.#nextDispatchId(),
      commandFailed: (run, error) => this.#commandFailed(run, error),
      release: (w) => this.#release(w),
      mayRetry: () => this.#budget?.tryRetry() ?? true,
    };
  }

  #commandFailed(run: CommandRun, error: unknown): void {
    const failure = publicFailure(error, "command");
    const at = this.#at();
    const w = run.w;
    if (run.generation.alive && w.generation === run.generation) {
      w.lastCommandFailure = {
        code: failure.code,
        message: failure.message,
        at,
        command: run.command.name,
      };
    }
    if (!this.#emitter.wants("failure")) return;
    this.#emitter.failure({
      runtime: this.name,
      worker: w.qualifiedName,
      kind: "command",
      dispatchId: run.dispatchId,
      code: failure.code,
      message: failure.message,
      command: run.command.name,
      attempt: run.attempts,
      cause: error,
      at,
    });
  }

  #release(w: ManagedWorker): void {
    w.inFlight--;
    this.#inFlight--;
    if (w.inFlight === 0 && w.idleWaiters.length > 0) {
      wake(w.idleWaiters.splice(0));
    }
    if (this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      wake(this.#idleWaiters.splice(0));
    }
  }

  /**
   * A process-unique id: a random prefix per runtime and a counter, which
   * costs far less than a UUID per dispatch and still never repeats.
   */
  #nextDispatchId(): string {
    this.#dispatchPrefix ??= crypto.randomUUID().slice(0, 8);
    return `${this.#dispatchPrefix}-${(++this.#dispatchCount).toString(36)}`;
  }

  /** The refusal for a request whose worker or command was not found. */
  #lookupError(request: CommandRequest): WorkerkitError {
    try {
      checkWorkerRef(request.worker);
      validateCommandName(request.name);
    } catch (error) {
      return error as WorkerkitError;
    }
    if (!this.#workers.has(request.worker)) {
      return new WorkerkitError(
        "worker_not_found",
        `no worker ${request.worker} in runtime ${this.name}`,
      );
    }
    return new WorkerkitError(
      "command_not_found",
      `no command ${request.name} on worker ${request.worker}`,
    );
  }

  // ── Internals: registration ───────────────────────────────────────────

  #build(registration: WorkerRegistration): ManagedWorker {
    if (registration === null || typeof registration !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "register() takes a worker registration object",
      );
    }
    const { name, description, worker } = registration;
    validateWorkerName(name);
    if (description !== undefined && typeof description !== "string") {
      throw new WorkerkitError(
        "invalid_argument",
        "description must be a string",
      );
    }
    if (
      worker === null || typeof worker !== "object" ||
      typeof worker.start !== "function" || typeof worker.stop !== "function"
    ) {
      throw new WorkerkitError(
        "invalid_argument",
        `worker ${name} must have start(ctx) and stop(ctx) methods`,
      );
    }
    const commands = commandMap(name, registration.commands);
    const settings = resolveSettings(registration, this.#defaults);
    const w = new ManagedWorker(
      name,
      `${this.name}/${name}`,
      description,
      worker,
      commands,
      settings,
    );
    if (settings.restart) {
      const { maxRestarts, withinMs } = settings.restart;
      w.intensity = new RestartIntensity(maxRestarts, withinMs);
    }
    if (settings.stallTimeout !== undefined) {
      w.watchdog = new StallWatchdog(
        this.#clock,
        settings.stallTimeout,
        () => this.#stalled(w),
      );
    }
    return w;
  }

  #require(ref: string): ManagedWorker {
    const w = this.#workers.get(ref);
    if (w) return w;
    checkWorkerRef(ref);
    throw new WorkerkitError(
      "worker_not_found",
      `no worker ${ref} in runtime ${this.name}`,
    );
  }

  #at(): string {
    return isoTime(this.#clock.now());
  }
}

function stateError(w: ManagedWorker, operation: string): WorkerkitError {
  return new WorkerkitError(
    "invalid_worker_state",
    `cannot ${operation} ${w.qualifiedName} while it is ${w.state}${
      w.inFlight > 0 ? ` with ${w.inFlight} command(s) in flight` : ""
    }`,
  );
}

function readinessPolicy(value: unknown): ReadinessPolicy {
  if (value === undefined) return "contributing";
  if (value === "contributing" || value === "all") return value;
  throw new WorkerkitError(
    "invalid_argument",
    'readinessPolicy must be "contributing" or "all"',
  );
}

function noop(): void {}

/**
 * One reason shared by every drain: `abort()` without a reason builds a
 * fresh `DOMException` with a stack on each call, even on an already
 * aborted controller, which at ten thousand workers dominates shutdown.
 */
const DRAINING = new DOMException("the worker is draining", "AbortError");

function abortDrain(generation: Generation): void {
  if (!generation.drain.signal.aborted) generation.drain.abort(DRAINING);
}

function stallFailure(): OperationalFailure {
  return new OperationalFailure({
    code: "stalled",
    message: "worker stalled: no heartbeat within its stallTimeout",
  });
}

/** The names a `Runtime` dispatches as `EventTarget` event types. */
export type RuntimeEventType = keyof RuntimeEventMap;
