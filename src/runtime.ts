import type { Clock } from "./base/clock.ts";
import { WorkerkitError } from "./base/errors.ts";
import { validateRuntimeName } from "./base/names.ts";
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
import { ContainedListeners } from "./runtime/_contained_listeners.ts";
import { type Parts, wireParts } from "./runtime/_parts.ts";
import { runtimeReadiness } from "./runtime/_runtime_component.ts";
import { refuseUnknownKeys } from "./base/_known_keys.ts";
import { RUNTIME_OPTION_KEYS } from "./runtime/_parts.ts";
import { byName, commandInfo, snapshot } from "./runtime/_snapshots.ts";
import { REMOVABLE, stateError } from "./runtime/_worker_state.ts";

export type { SignalOptions } from "./signal_options.ts";
export type { RuntimeInspection } from "./status.ts";
export type { RuntimeEventType } from "./events.ts";

/**
 * The runtime for a service's long-running workers: registration, lifecycle
 * with deadlines, readiness, status, commands and events, for one service
 * boundary. Lifecycle operations (`start*`, `drain*`, `stop*`, `shutdown`,
 * `unregister`) run one at a time in call order; status reads, handle calls,
 * idle waits and `dispatch` never wait for them. Each method delegates to one
 * part (docs/architecture.md); the worker state machine is drawn in
 * docs/lifecycle.md.
 *
 * It is an `EventTarget`: listen for `transition`, `readiness`, `failure`,
 * `commandstart`, `commandend`, `checkstart` and `checkend`
 * ({@linkcode RuntimeEvent}s). A listener that throws is contained.
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
export class Runtime extends EventTarget implements Component {
  /** The runtime's name. */
  readonly name: string;
  /** The ops component kind. */
  readonly kind = "workerkit.runtime";
  readonly #listeners = new ContainedListeners(this, {
    add: (type, listener, options) =>
      super.addEventListener(type, listener, options),
    remove: (type, listener, options) =>
      super.removeEventListener(type, listener, options),
  });
  readonly #parts: Parts;

  /**
   * Makes a runtime; nothing runs until workers are registered and started.
   *
   * @param options The runtime's name and policies.
   * @throws {WorkerkitError} `invalid_name`, `invalid_argument`.
   */
  constructor(options: RuntimeOptions) {
    super();
    if (options === null || typeof options !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "new Runtime() takes an options object with a name",
      );
    }
    refuseUnknownKeys("new Runtime()", options, RUNTIME_OPTION_KEYS);
    validateRuntimeName(options.name);
    this.name = options.name;
    this.#parts = wireParts(options, {
      listening: (type) => this.#listeners.has(type),
      dispatch: (event) => this.dispatchEvent(event),
    });
    // An observer with `attach` gets the runtime once, now it is whole.
    this.#parts.reporter.emitter.attach(this);
  }

  /**
   * Adds a listener, as `EventTarget` does, but contained: one that throws
   * or rejects never reaches the runtime's callers or the host's
   * uncaught-exception path. Types are the keys of {@linkcode RuntimeEventMap}.
   *
   * @param type An event type, e.g. `"transition"`.
   * @param listener The listener; `null` is ignored.
   * @param options The standard `EventTarget` options.
   *
   * @example Following transitions
   * ```ts
   * import { Runtime, type TransitionEvent } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.addEventListener("transition", (event) => {
   *   const { worker, from, to } = (event as CustomEvent<TransitionEvent>).detail;
   *   console.log(worker ?? "runtime", from, "→", to);
   * });
   * ```
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    this.#listeners.add(type, listener, options);
  }

  /**
   * Removes a listener added with {@linkcode Runtime.addEventListener}.
   *
   * @param type The event type it was added for.
   * @param listener The same listener.
   * @param options The same `capture` option.
   *
   * @example Listening once, by hand
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * const listener = () => runtime.removeEventListener("readiness", listener);
   * runtime.addEventListener("readiness", listener);
   * ```
   */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    this.#listeners.remove(type, listener, options);
  }

  /**
   * Adds an {@linkcode Observer} to a runtime already made — the cheap way
   * to follow its events from a library (the dashboard's event hub does):
   * the observer gets the same plain event objects `RuntimeOptions.observer`
   * gets, with no `Event` built for it, and it is contained like that one
   * (a throw or a rejection changes nothing). Its `attach`, if any, is
   * called at once with the runtime. Observers are called in the order they
   * were added, after the one given to `new Runtime()` and before
   * `EventTarget` listeners; command and check `wrap`s nest in that order.
   * A dispatch or check run that began before the removal still ends on it.
   *
   * @param observer The observer; only the methods it has are called.
   * @returns A function that removes it (later calls do nothing).
   * @throws {WorkerkitError} `invalid_argument` if `observer` is not an object.
   *
   * @example Counting dispatches while a view is open
   * ```ts
   * import { Runtime } from "@workerkit/core";
   *
   * const runtime = new Runtime({ name: "svc" });
   * let ended = 0;
   * const stop = runtime.observe({
   *   commandStart: () => ({ end: () => void ended++ }),
   * });
   * stop();
   * console.log(ended); // 0
   * ```
   */
  observe(observer: Observer): () => void {
    if (observer === null || typeof observer !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "observe() takes an observer object",
      );
    }
    const emitter = this.#parts.reporter.emitter;
    const remove = emitter.observe(observer);
    emitter.attach(this, observer);
    return remove;
  }

  /**
   * The clock everything here is timed by: `RuntimeOptions.clock`, else the
   * system clock.
   *
   * @example Timing by the runtime's clock
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * console.log(typeof runtime.clock.now()); // "number"
   * ```
   */
  get clock(): Clock {
    return this.#parts.clock;
  }

  /**
   * Whether a `fail-runtime` worker is `failed`; a service runner shuts down
   * when it turns true.
   *
   * @example Watching for a runtime-wide failure
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.addEventListener("transition", () => {
   *   if (runtime.failing) console.log("shutting down");
   * });
   * ```
   */
  get failing(): boolean {
    return this.#parts.reporter.failing;
  }

  /**
   * Aborts at {@linkcode Runtime.beginStopping} or when shutdown begins:
   * long-lived responses (event streams) end on it.
   *
   * @example Ending a stream when the service stops
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.stopping.addEventListener("abort", () => console.log("closing streams"));
   * runtime.beginStopping(); // logs "closing streams"
   * ```
   */
  get stopping(): AbortSignal {
    return this.#parts.reporter.stopping;
  }

  /**
   * Announces the service is about to stop: readiness turns false at once
   * while liveness, admission and workers stay as they are, and
   * {@linkcode Runtime.stopping} aborts. Service runners call it, wait their
   * shutdown delay, then {@linkcode Runtime.shutdown}. Idempotent.
   *
   * @example Taking a service out of rotation before shutdown
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * runtime.beginStopping();
   * console.log(runtime.status().ready, runtime.live()); // false true
   * ```
   */
  beginStopping(): void {
    this.#parts.reporter.beginStopping();
  }

  /**
   * Registers a worker, `registered` until started; allowed until shutdown
   * begins. Atomic: on error nothing changes.
   *
   * @param registration The worker, its name, commands and settings.
   * @throws {WorkerkitError} `invalid_name`, `invalid_argument`, `worker_already_registered`, `command_already_registered`, `runtime_shut_down`.
   *
   * @example Registering a worker
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * console.log(runtime.worker("w")?.status.state); // "registered"
   * ```
   */
  register(registration: WorkerRegistration): void {
    const { reporter, table } = this.#parts;
    if (reporter.shuttingDown) throw new WorkerkitError("runtime_shut_down");
    reporter.count(table.add(registration), 1);
  }

  /**
   * Removes a worker that is `registered`, `stopped` or `failed` with
   * nothing in flight and no start or stop still running (one whose caller
   * gave up at its deadline counts until it settles, so a new registration
   * of the same name never runs alongside it). A lifecycle operation: it
   * waits for its turn.
   *
   * @param worker The local or qualified name.
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once the worker is gone.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_worker_state`, `runtime_shut_down`.
   *
   * @example Removing a worker
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.unregister("w");
   * console.log(runtime.workers().length); // 0
   * ```
   */
  unregister(worker: string, options?: SignalOptions): Promise<void> {
    const { lifecycle, table, reporter } = this.#parts;
    return lifecycle.run(options, () => {
      const w = table.require(worker);
      if (!REMOVABLE.includes(w.state) || w.inFlight > 0) {
        throw stateError(w, "unregister");
      }
      if (w.unsettled > 0) {
        // Its abandoned start or stop still runs: a new registration of the
        // same name could otherwise start a generation alongside it.
        throw new WorkerkitError(
          "invalid_worker_state",
          `cannot unregister ${w.qualifiedName} while a start or stop it gave up on still runs`,
        );
      }
      table.remove(w);
      w.generation?.end();
      reporter.count(w, -1);
      return Promise.resolve();
    });
  }

  /**
   * Starts a `registered`, `stopped` or `failed` worker, retrying failed
   * attempts per its `startRetry` and the retry budget. Each attempt has its
   * own `startTimeout`, kept even if the worker ignores its signal.
   *
   * @param worker The local or qualified name.
   * @param options `signal` cancels the start (the worker ends `failed`).
   * @returns Resolves once the worker is `running`.
   * @throws The last attempt's error; {@linkcode WorkerkitError} `worker_not_found`, `invalid_worker_state`, `retry_budget_exhausted`, `runtime_shut_down`.
   *
   * @example Starting one worker
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * console.log(runtime.worker("w")?.status.state); // "running"
   * ```
   */
  start(worker: string, options?: SignalOptions): Promise<void> {
    const { lifecycle, table } = this.#parts;
    return lifecycle.run(
      options,
      (preempt) =>
        lifecycle.start(table.require(worker), options?.signal, preempt),
    );
  }

  /**
   * Starts every startable worker in registration order; stops at the first
   * failure without rolling back.
   *
   * @param options `signal` cancels the remaining starts.
   * @returns Resolves once every startable worker is `running`.
   * @throws The first failed start's error.
   *
   * @example Starting everything
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll({ signal: AbortSignal.timeout(5_000) });
   * console.log(runtime.status().state); // "running"
   * ```
   */
  startAll(options?: SignalOptions): Promise<void> {
    const { lifecycle } = this.#parts;
    return lifecycle.run(
      options,
      (preempt) => lifecycle.startAll(options?.signal, preempt),
    );
  }

  /**
   * Drains a `running` worker: unready, admitting no commands, its
   * `drainSignal` aborted; in-flight commands go on.
   *
   * @param worker The local or qualified name.
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once the worker is `draining`.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_worker_state`, `runtime_shut_down`.
   *
   * @example Draining a worker
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * await runtime.drain("w");
   * ```
   */
  drain(worker: string, options?: SignalOptions): Promise<void> {
    const { lifecycle, table } = this.#parts;
    return lifecycle.run(options, () => {
      lifecycle.drain(table.require(worker));
      return Promise.resolve();
    });
  }

  /**
   * Drains every `running` worker; stops at the first failure.
   *
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once every running worker is `draining`.
   * @throws {WorkerkitError} `runtime_shut_down`.
   *
   * @example Draining everything
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * await runtime.drainAll();
   * ```
   */
  drainAll(options?: SignalOptions): Promise<void> {
    const { lifecycle, table } = this.#parts;
    return lifecycle.run(options, () => {
      for (const w of table.all) if (w.state === "running") lifecycle.drain(w);
      return Promise.resolve();
    });
  }

  /**
   * Drains every `running` worker, trying all of them.
   *
   * @param options `signal` cancels the wait for the turn.
   * @returns Resolves once every running worker is `draining`.
   * @throws {AggregateError} Of the drains that failed.
   *
   * @example Draining everything, best effort
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * await runtime.drainAllBestEffort();
   * ```
   */
  drainAllBestEffort(options?: SignalOptions): Promise<void> {
    const { lifecycle } = this.#parts;
    return lifecycle.run(options, () => {
      lifecycle.drainAll();
      return Promise.resolve();
    });
  }

  /**
   * Resolves when the worker has no command in flight; never waits for a
   * lifecycle turn.
   *
   * @param worker The local or qualified name.
   * @param options `signal` gives up waiting (rejects with its reason).
   * @returns Resolves when the worker is idle.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_name`.
   *
   * @example Waiting for a worker's commands
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.waitIdle("w", { signal: AbortSignal.timeout(5_000) });
   * ```
   */
  waitIdle(worker: string, options?: SignalOptions): Promise<void> {
    const { dispatcher, table } = this.#parts;
    try {
      return dispatcher.waitIdle(table.require(worker), signalOf(options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Resolves when no command is in flight anywhere in the runtime.
   *
   * @param options `signal` gives up waiting (rejects with its reason).
   * @returns Resolves when the runtime is idle.
   *
   * @example Waiting until every command has settled
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * await runtime.waitAllIdle({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  waitAllIdle(options?: SignalOptions): Promise<void> {
    try {
      return this.#parts.dispatcher.waitIdle(undefined, signalOf(options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stops a `running`, `draining` or `failed` worker within its
   * `stopTimeout`. Closes that worker's admission only; it neither waits for
   * nor cancels in-flight commands (compose drain → waitIdle → stop).
   *
   * @param worker The local or qualified name.
   * @param options `signal` stops waiting; the stop goes on and the worker stays `stopping` until it settles.
   * @returns Resolves once the worker is `stopped`.
   * @throws The stop's error (the worker ends `failed`); {@linkcode WorkerkitError} `worker_not_found`, `invalid_worker_state`, `deadline_exceeded`, `runtime_shut_down`.
   *
   * @example Stopping one worker
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * await runtime.stop("w");
   * ```
   */
  stop(worker: string, options?: SignalOptions): Promise<void> {
    const { lifecycle, table } = this.#parts;
    return lifecycle.run(
      options,
      (preempt) =>
        lifecycle.stop(table.require(worker), options?.signal, preempt),
    );
  }

  /**
   * Closes runtime-wide admission, then stops every `running`, `draining` or
   * `failed` worker in reverse registration order, past failures. A later
   * start reopens admission.
   *
   * @param options `signal` cancels the remaining stops.
   * @returns Resolves once every stoppable worker is `stopped`.
   * @throws {AggregateError} Of the stops that failed.
   *
   * @example Stopping everything
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * await runtime.stopAll();
   * ```
   */
  stopAll(options?: SignalOptions): Promise<void> {
    const { lifecycle } = this.#parts;
    return lifecycle.run(
      options,
      (preempt) => lifecycle.stopAll(options?.signal, preempt),
    );
  }

  /**
   * Shuts down for good: closes admission, preempts the running lifecycle
   * operation, drains, waits for in-flight commands and stops every worker,
   * all under `signal`; when it aborts, every worker not yet stopped gets
   * `stop` with an aborted signal. Pass a signal: a command that never
   * settles holds shutdown forever otherwise. A second call waits for the same.
   *
   * @param options `signal` is the deadline.
   * @returns Resolves once every worker is stopped.
   * @throws {WorkerkitError} `deadline_exceeded` naming the phase, `invalid_argument`.
   * @throws {AggregateError} Of the stops that failed.
   *
   * @example Shutting down under a deadline
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  shutdown(options?: SignalOptions): Promise<void> {
    try {
      return this.#parts.shutdown.run(signalOf(options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The aggregate status, O(1).
   *
   * @returns A fresh, JSON-safe copy.
   *
   * @example Reading the aggregate
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const { state, ready } = new Runtime({ name: "svc" }).status();
   * console.log(state, ready); // "registered" false
   * ```
   */
  status(): RuntimeStatus {
    const { reporter, dispatcher } = this.#parts;
    return reporter.status(dispatcher.inFlight);
  }

  /**
   * Liveness for `/livez`: false while a `livenessOnStall` worker is
   * stalled, so Kubernetes restarts a pod whose worker is wedged.
   *
   * @returns Whether the process is live.
   *
   * @example Answering a liveness probe
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * console.log(new Runtime({ name: "svc" }).live() ? 200 : 503); // 200
   * ```
   */
  live(): boolean {
    return this.#parts.table.live();
  }

  /**
   * The runtime as an ops component (kind `workerkit.runtime`): its
   * lifecycle as a component state, one readiness item per worker.
   *
   * @returns The readiness.
   *
   * @example Adding the runtime to an ops registry
   * ```ts
   * import { OpsRegistry, Runtime } from "@workerkit/core";
   * const registry = new OpsRegistry();
   * registry.register(new Runtime({ name: "svc" }));
   * console.log(registry.readiness().ready); // false: nothing runs yet
   * ```
   */
  readiness(): Readiness {
    const { table, reporter } = this.#parts;
    return runtimeReadiness(
      this.status(),
      table.all,
      reporter.policy,
      reporter.winding,
    );
  }

  /**
   * Inspection for ops: the status, every worker's snapshot and commands.
   *
   * @returns A fresh, JSON-safe copy.
   *
   * @example Inspecting the runtime
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * console.log(Object.keys(runtime.inspect().commands)); // ["w"]
   * ```
   */
  inspect(): RuntimeInspection {
    const commands: Record<string, CommandInfo[]> = {};
    for (const w of this.#parts.table.all) {
      commands[w.name] = this.commands(w.name)!;
    }
    return { status: this.status(), workers: this.workers(), commands };
  }

  /**
   * Every worker, in registration order.
   *
   * @returns Fresh snapshots.
   *
   * @example Listing workers
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * console.log(runtime.workers().map((w) => w.qualifiedName)); // ["svc/w"]
   * ```
   */
  workers(): WorkerSnapshot[] {
    return this.#parts.table.all.map(snapshot);
  }

  /**
   * One worker by local or qualified name.
   *
   * @param worker The local or qualified name.
   * @returns A fresh snapshot, or `undefined` for an unknown worker.
   *
   * @example Looking a worker up
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * console.log(runtime.worker("svc/w")?.name); // "w"
   * ```
   */
  worker(worker: string): WorkerSnapshot | undefined {
    const w = this.#parts.table.get(worker);
    return w ? snapshot(w) : undefined;
  }

  /**
   * A worker's commands, sorted by name.
   *
   * @param worker The local or qualified name.
   * @returns Their public metadata, or `undefined` for an unknown worker.
   *
   * @example Listing a worker's commands
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * const flush = { name: "flush", handler: () => ({}) };
   * runtime.register({ name: "w", worker: { start() {}, stop() {} }, commands: [flush] });
   * console.log(runtime.commands("w")?.map((c) => c.name)); // ["flush"]
   * ```
   */
  commands(worker: string): CommandInfo[] | undefined {
    const w = this.#parts.table.get(worker);
    if (!w) return undefined;
    return [...w.commands.values()].map(commandInfo).sort(byName);
  }

  /**
   * Runs a worker's command. Admission, in order: names valid, worker and
   * command exist, runtime admitting, worker `running` and admitting,
   * runtime cap, worker cap; a refusal rejects at once (no queue). Each
   * attempt has its own `commandTimeout`, kept even if the handler ignores
   * its signal; failures retry per `commandRetry` and the retry budget.
   *
   * @param request The worker, command name and payload.
   * @param options `signal` cancels the dispatch, as with `fetch`.
   * @returns The handler's result (`{}` when it returned nothing).
   * @throws The last attempt's error or the signal's reason; {@linkcode WorkerkitError} `invalid_argument`, `invalid_name`, `invalid_payload`, `worker_not_found`, `command_not_found`, `runtime_not_accepting_work`, `invalid_worker_state`, `worker_not_accepting_work`, `runtime_saturated`, `worker_saturated`, `deadline_exceeded`, `retry_budget_exhausted`.
   *
   * @example Running a command
   * ```ts
   * import { Runtime } from "@workerkit/core";
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
