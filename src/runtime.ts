import type { Clock } from "./base/clock.ts";
import { invoke } from "./base/_attempt.ts";
import type { CommandRequest, CommandResult } from "./command.ts";
import type { Component, Readiness } from "./ops/mod.ts";
import type { RuntimeOptions, WorkerRegistration } from "./options.ts";
import { signalOf, type SignalOptions } from "./signal_options.ts";
import type { Observer } from "./events.ts";
import type {
  CommandInfo,
  RuntimeInspection,
  RuntimeStatus,
  WorkerSnapshot,
} from "./status.ts";
import { type Parts, wireParts } from "./runtime/_parts.ts";
import { runtimeReadiness } from "./runtime/_runtime_component.ts";
import { eventSink, RuntimeEvents } from "./runtime/_runtime_events.ts";

/**
 * The runtime for a service's long-running workers, an `EventTarget` of
 * {@linkcode RuntimeEvent}s with contained listeners. Lifecycle operations run
 * one at a time in call order (docs/lifecycle.md); reads and `dispatch` never
 * wait. Each method delegates to one part (docs/architecture.md).
 *
 * @example A worker, started and shut down
 * ```ts
 * import { Runtime } from "@workerkit/core";
 * const runtime = new Runtime({ name: "billing" });
 * runtime.register({ name: "ingest", worker: { start() {}, stop() {} } });
 * await runtime.startAll();
 * console.log(runtime.status().ready); // true
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export class Runtime extends RuntimeEvents implements Component {
  /** The runtime's name. */
  readonly name: string;
  /** The ops component kind. */
  readonly kind = "workerkit.runtime";
  readonly #parts: Parts;

  /**
   * Makes a runtime; nothing runs until workers are registered and started.
   * @param options The runtime's name and policies.
   * @throws {WorkerkitError} `invalid_name`, `invalid_argument`.
   */
  constructor(options: RuntimeOptions) {
    super();
    this.#parts = wireParts(options, eventSink(this));
    this.name = this.#parts.name;
    // An observer with `attach` gets the runtime once, now it is whole.
    this.#parts.reporter.emitter.attach(this);
  }

  /**
   * Adds an {@linkcode Observer} to a runtime already made: the cheap way to
   * follow its events (the dashboard's hub does). It gets the plain event
   * objects the constructor's observer gets, no `Event` built, contained the
   * same way; it is called after that one, before `EventTarget` listeners,
   * and its `attach` at once.
   *
   * @param observer The observer; only the methods it has are called.
   * @returns A function that removes it (later calls do nothing).
   * @throws {WorkerkitError} `invalid_argument` if it is not an object.
   * @example
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * const stop = runtime.observe({ commandStart: () => ({ end() {} }) });
   * stop();
   * ```
   */
  observe(observer: Observer): () => void {
    return this.#parts.reporter.emitter.observeFrom(this, observer);
  }

  /** The clock everything here is timed by (`RuntimeOptions.clock`, or system). */
  get clock(): Clock {
    return this.#parts.clock;
  }

  /** Whether a `fail-runtime` worker is `failed`: a service runner shuts down. */
  get failing(): boolean {
    return this.#parts.reporter.failing;
  }

  /**
   * Aborts at `beginStopping()` or shutdown; event streams end on it.
   * @example Ending a stream when the service stops
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.stopping.addEventListener("abort", () => console.log("closing"));
   * runtime.beginStopping(); // logs "closing"
   * ```
   */
  get stopping(): AbortSignal {
    return this.#parts.reporter.stopping;
  }

  /**
   * Unready now, `stopping` aborts; liveness and admission stay. Idempotent.
   * @example Out of rotation, still live
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.beginStopping();
   * console.log(runtime.status().ready, runtime.live()); // false true
   * ```
   */
  beginStopping(): void {
    this.#parts.reporter.beginStopping();
  }

  /**
   * Registers a worker (until shutdown begins); on error nothing changes.
   * @param registration The worker, its name, commands and settings.
   * @throws {WorkerkitError} `invalid_name`, `invalid_argument`, `worker_already_registered`, `command_already_registered`, `runtime_shut_down`.
   * @example Registering a worker
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * ```
   */
  register(registration: WorkerRegistration): void {
    this.#parts.lifecycle.register(registration);
  }

  /**
   * Removes an idle `registered`, `stopped` or `failed` worker (docs/lifecycle.md).
   * @param worker The local or qualified name.
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once the worker is gone.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_worker_state`, `runtime_shut_down`.
   * @example Removing a worker
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.unregister("w");
   * ```
   */
  unregister(worker: string, options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runUnregister(worker, options);
  }

  /**
   * Starts a worker, retried per `startRetry`, each attempt in `startTimeout`.
   * @param worker The local or qualified name.
   * @param options `signal` cancels the start (the worker ends `failed`).
   * @returns Resolves once the worker is `running`.
   * @throws The last attempt's error; {@linkcode WorkerkitError} `worker_not_found`, `invalid_worker_state`, `retry_budget_exhausted`, `runtime_shut_down`.
   * @example Starting one worker
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * ```
   */
  start(worker: string, options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runStart(worker, options);
  }

  /**
   * Starts every startable worker in order; stops at the first failure.
   * @param options `signal` cancels the remaining starts.
   * @returns Resolves once every startable worker is `running`.
   * @throws The first failed start's error.
   * @example Starting everything
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * await runtime.startAll({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  startAll(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runStartAll(options);
  }

  /**
   * Drains a `running` worker: unready, no new commands, `drainSignal` aborted.
   * @param worker The local or qualified name.
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once the worker is `draining`.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_worker_state`, `runtime_shut_down`.
   * @example Draining a worker
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * await runtime.drain("w");
   * ```
   */
  drain(worker: string, options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runDrain(worker, options);
  }

  /**
   * Drains every `running` worker; stops at the first failure.
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once every running worker is `draining`.
   * @throws {WorkerkitError} `runtime_shut_down`; a drain's error.
   * @example Draining everything
   * ```ts
   * await new Runtime({ name: "svc" }).drainAll();
   * ```
   */
  drainAll(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runDrainAll(options);
  }

  /**
   * Drains every `running` worker, trying all of them.
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once every running worker is `draining`.
   * @throws {AggregateError} Of the drains that failed.
   * @example Draining everything, best effort
   * ```ts
   * await new Runtime({ name: "svc" }).drainAllBestEffort();
   * ```
   */
  drainAllBestEffort(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runDrainAllBestEffort(options);
  }

  /**
   * Resolves when the worker has no command in flight (never waits a turn).
   * @param worker The local or qualified name.
   * @param options `signal` gives up waiting (rejects with its reason).
   * @returns Resolves when the worker is idle.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_name`.
   * @example Waiting for a worker's commands
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.waitIdle("w", { signal: AbortSignal.timeout(5_000) });
   * ```
   */
  waitIdle(worker: string, options?: SignalOptions): Promise<void> {
    const { dispatcher: d, table: t } = this.#parts;
    return invoke(() => d.waitIdle(t.require(worker), signalOf(options)));
  }

  /**
   * Resolves when no command is in flight anywhere in the runtime.
   * @param options `signal` gives up waiting (rejects with its reason).
   * @returns Resolves when the runtime is idle.
   * @throws {WorkerkitError} `invalid_argument` for options without a signal.
   * @example Waiting until every command has settled
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * await runtime.waitAllIdle({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  waitAllIdle(options?: SignalOptions): Promise<void> {
    const { dispatcher } = this.#parts;
    return invoke(() => dispatcher.waitIdle(undefined, signalOf(options)));
  }

  /**
   * Stops a worker within its `stopTimeout` (drain, waitIdle first to finish work).
   * @param worker The local or qualified name.
   * @param options `signal` stops waiting; the stop goes on and the worker stays `stopping` until it settles.
   * @returns Resolves once the worker is `stopped`.
   * @throws The stop's error (the worker ends `failed`); {@linkcode WorkerkitError} `worker_not_found`, `invalid_worker_state`, `deadline_exceeded`, `runtime_shut_down`.
   * @example Stopping one worker
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * await runtime.stop("w");
   * ```
   */
  stop(worker: string, options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runStop(worker, options);
  }

  /**
   * Closes admission (until a start), then stops every worker in reverse order.
   * @param options `signal` cancels the remaining stops.
   * @returns Resolves once every stoppable worker is `stopped`.
   * @throws {AggregateError} Of the stops that failed.
   * @example Stopping everything
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * await runtime.stopAll({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  stopAll(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.runStopAll(options);
  }

  /**
   * Shuts down for good under one deadline (docs/lifecycle.md#shutdown).
   * @param options `signal` is the deadline; without one, a stuck command holds shutdown.
   * @returns Resolves once every worker is stopped.
   * @throws {WorkerkitError} `deadline_exceeded` naming the phase, `invalid_argument`.
   * @throws {AggregateError} Of the stops that failed.
   * @example Shutting down under a deadline
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  shutdown(options?: SignalOptions): Promise<void> {
    return invoke(() => this.#parts.shutdown.run(signalOf(options)));
  }

  /**
   * The aggregate status, O(1).
   * @returns A fresh, JSON-safe copy.
   * @example Reading the aggregate
   * ```ts
   * const { state, ready } = new Runtime({ name: "svc" }).status();
   * console.log(state, ready); // "registered" false
   * ```
   */
  status(): RuntimeStatus {
    return this.#parts.reporter.status(this.#parts.dispatcher.inFlight);
  }

  /**
   * Liveness for `/livez`: false while a `livenessOnStall` worker is stalled.
   * @returns Whether the process is live.
   * @example Answering a liveness probe
   * ```ts
   * console.log(new Runtime({ name: "svc" }).live() ? 200 : 503); // 200
   * ```
   */
  live(): boolean {
    return this.#parts.table.live();
  }

  /**
   * Readiness as an ops component: a component state, an item per worker.
   * @returns The readiness.
   * @example Adding the runtime to an ops registry
   * ```ts
   * import { OpsRegistry } from "@workerkit/core";
   * const registry = new OpsRegistry();
   * registry.register(new Runtime({ name: "svc" }));
   * console.log(registry.readiness().ready); // false: nothing runs yet
   * ```
   */
  readiness(): Readiness {
    return runtimeReadiness(this.status(), this.#parts);
  }

  /**
   * Inspection for ops: the status, every worker's snapshot and commands.
   * @returns A fresh, JSON-safe copy.
   * @example Inspecting the runtime
   * ```ts
   * console.log(new Runtime({ name: "svc" }).inspect().workers); // []
   * ```
   */
  inspect(): RuntimeInspection {
    return this.#parts.table.inspect(this.status());
  }

  /**
   * Every worker, in registration order.
   * @returns Fresh snapshots.
   * @example Listing workers
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * console.log(runtime.workers().map((w) => w.qualifiedName)); // ["svc/w"]
   * ```
   */
  workers(): WorkerSnapshot[] {
    return this.#parts.table.snapshots();
  }

  /**
   * One worker by local or qualified name.
   * @param worker The local or qualified name.
   * @returns A fresh snapshot, or `undefined` for an unknown worker.
   * @example Looking a worker up
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * console.log(runtime.worker("svc/w")?.status.state); // "registered"
   * ```
   */
  worker(worker: string): WorkerSnapshot | undefined {
    return this.#parts.table.snapshot(worker);
  }

  /**
   * A worker's commands, sorted by name.
   * @param worker The local or qualified name.
   * @returns Their public metadata, or `undefined` for an unknown worker.
   * @example Listing a worker's commands
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * const flush = { name: "flush", handler: () => ({}) };
   * runtime.register({ name: "w", worker: { start() {}, stop() {} }, commands: [flush] });
   * console.log(runtime.commands("w")?.map((c) => c.name)); // ["flush"]
   * ```
   */
  commands(worker: string): CommandInfo[] | undefined {
    return this.#parts.table.commandInfos(worker);
  }

  /**
   * Runs a worker's command if admitted (docs/commands.md#admission-in-order).
   * @param request The worker, command name and payload.
   * @param options `signal` cancels the dispatch, as with `fetch`.
   * @returns The handler's result (`{}` when it returned nothing).
   * @throws The last attempt's error or the signal's reason; {@linkcode WorkerkitError} `invalid_argument`, `invalid_name`, `invalid_payload`, `worker_not_found`, `command_not_found`, `runtime_not_accepting_work`, `invalid_worker_state`, `worker_not_accepting_work`, `runtime_saturated`, `worker_saturated`, `deadline_exceeded`, `retry_budget_exhausted`.
   * @example Running a command
   * ```ts
   * const runtime = new Runtime({ name: "svc" });
   * const flush = { name: "flush", handler: () => ({ message: "flushed" }) };
   * runtime.register({ name: "w", worker: { start() {}, stop() {} }, commands: [flush] });
   * await runtime.start("w");
   * console.log((await runtime.dispatch({ worker: "w", name: "flush" })).message); // "flushed"
   * ```
   */
  dispatch(
    request: CommandRequest,
    options?: SignalOptions,
  ): Promise<CommandResult> {
    return this.#parts.dispatcher.dispatch(request, options);
  }
}
