import type { Clock } from "./base/clock.ts";
import { WorkerkitError } from "./base/errors.ts";
import { validateRuntimeName } from "./base/names.ts";
import type { CommandRequest, CommandResult } from "./command.ts";
import type { RuntimeEventMap } from "./events.ts";
import type { Component, Readiness } from "./ops/mod.ts";
import type { RuntimeOptions, WorkerRegistration } from "./options.ts";
import { signalOf, type SignalOptions } from "./signal_options.ts";
import type { CommandInfo, RuntimeStatus, WorkerSnapshot } from "./status.ts";
import { ContainedListeners } from "./runtime/_contained_listeners.ts";
import { type Parts, wireParts } from "./runtime/_parts.ts";
import { runtimeReadiness } from "./runtime/_runtime_component.ts";
import { byName, commandInfo, snapshot } from "./runtime/_snapshots.ts";
import { REMOVABLE, stateError } from "./runtime/_worker_state.ts";

export type { SignalOptions } from "./signal_options.ts";

/** What {@linkcode Runtime.inspect} returns. */
export interface RuntimeInspection {
  /** The aggregate status. */
  status: RuntimeStatus;
  /** Every worker, in registration order. */
  workers: WorkerSnapshot[];
  /** Each worker's commands, by local worker name. */
  commands: Record<string, CommandInfo[]>;
}

/** The names a `Runtime` dispatches as `EventTarget` event types. */
export type RuntimeEventType = keyof RuntimeEventMap;

/**
 * The runtime for a service's long-running workers: registration, lifecycle
 * with deadlines, readiness, status, commands and events, for one service
 * boundary. Lifecycle operations (`start*`, `drain*`, `stop*`, `shutdown`,
 * `unregister`) run one at a time in call order; status reads, handle calls,
 * idle waits and `dispatch` never wait for them. Every method delegates to
 * one part (see docs/architecture.md); the worker state machine is in
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
 * runtime.register({
 *   name: "ingest",
 *   worker: { start: () => console.log("up"), stop: () => console.log("down") },
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
    this.#parts = wireParts(options, {
      listening: (type) => this.#listeners.has(type),
      dispatch: (event) => this.dispatchEvent(event),
    });
  }

  /**
   * Adds an event listener, as `EventTarget` does, except that a listener
   * that throws or rejects is contained: it never reaches the runtime's
   * callers or the host's uncaught-exception path. Event types are the keys
   * of {@linkcode RuntimeEventMap}; the payload is the event's `detail`.
   *
   * @param type An event type, e.g. `"transition"`.
   * @param listener The listener; `null` is ignored.
   * @param options The standard `EventTarget` options.
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    this.#listeners.add(type, listener, options);
  }

  /**
   * Removes an event listener added with {@linkcode Runtime.addEventListener}.
   *
   * @param type The event type it was added for.
   * @param listener The same listener.
   * @param options The same `capture` option.
   */
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
    return this.#parts.clock;
  }

  /**
   * Whether a worker with failure policy `fail-runtime` is `failed`: the
   * runtime is failed as a whole and refuses commands. A service runner
   * shuts down when this turns true.
   */
  get failing(): boolean {
    return this.#parts.reporter.failing;
  }

  /**
   * Aborts once the runtime begins stopping: at
   * {@linkcode Runtime.beginStopping} or when shutdown begins. Long-lived
   * responses (event streams) end on it, so they never hold an HTTP
   * server's graceful shutdown open.
   */
  get stopping(): AbortSignal {
    return this.#parts.reporter.stopping;
  }

  /**
   * Announces that the service is about to stop: readiness turns false at
   * once (so a load balancer stops routing) while liveness, admission and
   * every worker stay as they are, and {@linkcode Runtime.stopping} aborts.
   * For service runners: call it, wait the shutdown delay, then
   * {@linkcode Runtime.shutdown}. Idempotent.
   *
   * @example Taking a service out of rotation before shutdown
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * runtime.beginStopping();
   * console.log(runtime.status().ready, runtime.live(), runtime.stopping.aborted); // false true true
   * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  beginStopping(): void {
    this.#parts.reporter.beginStopping();
  }

  /**
   * Registers a worker; it starts `registered`. Works at any time until
   * shutdown begins. Atomic: on error nothing changes.
   *
   * @param registration The worker, its name, commands and settings.
   * @throws {WorkerkitError} `invalid_name`, `invalid_argument`,
   * `worker_already_registered`, `command_already_registered`, `runtime_shut_down`.
   *
   * @example Registering a worker with a command
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({
   *   name: "cache",
   *   worker: { start() {}, stop() {} },
   *   commands: [{ name: "flush", handler: () => ({ message: "flushed" }) }],
   * });
   * console.log(runtime.worker("cache")?.status.state); // "registered"
   * ```
   */
  register(registration: WorkerRegistration): void {
    if (this.#parts.reporter.shuttingDown) {
      throw new WorkerkitError("runtime_shut_down");
    }
    this.#parts.reporter.count(this.#parts.table.add(registration), 1);
  }

  /**
   * Removes a worker that is `registered`, `stopped` or `failed` with
   * nothing in flight. A lifecycle operation: it waits for its turn.
   *
   * @param worker The local or qualified name.
   * @param options `signal` cancels the wait for its turn.
   * @returns Resolves once the worker is gone.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_worker_state`, `runtime_shut_down`.
   *
   * @example Removing a stopped worker
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.unregister("w");
   * console.log(runtime.workers().length); // 0
   * ```
   */
  unregister(worker: string, options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.run(options, () => {
      const w = this.#parts.table.require(worker);
      if (!REMOVABLE.includes(w.state) || w.inFlight > 0) {
        throw stateError(w, "unregister");
      }
      this.#parts.table.remove(w);
      w.generation?.end();
      this.#parts.reporter.count(w, -1);
      return Promise.resolve();
    });
  }

  /**
   * Starts one worker from `registered`, `stopped` or `failed`, retrying
   * failed attempts per its `startRetry` (and the retry budget). Each
   * attempt has its own `startTimeout`; the call returns by then even if the
   * worker ignores its signal.
   *
   * @param worker The local or qualified name.
   * @param options `signal` cancels the start (the worker ends `failed`).
   * @returns Resolves once the worker is `running`.
   * @throws The final attempt's error; {@linkcode WorkerkitError}
   * `worker_not_found`, `invalid_worker_state`, `retry_budget_exhausted`,
   * `runtime_shut_down`.
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
    return this.#parts.lifecycle.run(options, (preempt) => {
      const w = this.#parts.table.require(worker);
      return this.#parts.lifecycle.start(w, options?.signal, preempt);
    });
  }

  /**
   * Starts every `registered`, `stopped` or `failed` worker in registration
   * order; stops at the first failure without rolling back.
   *
   * @param options `signal` cancels the remaining starts.
   * @returns Resolves once every startable worker is `running`.
   * @throws The first failed start's error.
   *
   * @example Starting everything
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "a", worker: { start() {}, stop() {} } });
   * runtime.register({ name: "b", worker: { start() {}, stop() {} } });
   * await runtime.startAll({ signal: AbortSignal.timeout(5_000) });
   * console.log(runtime.status().state); // "running"
   * ```
   */
  startAll(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.run(
      options,
      (preempt) => this.#parts.lifecycle.startAll(options?.signal, preempt),
    );
  }

  /**
   * Drains a `running` worker: it stops being ready and admitting commands,
   * and its `drainSignal` aborts. In-flight commands go on.
   *
   * @param worker The local or qualified name.
   * @param options `signal` cancels the wait for its turn.
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
   * console.log(runtime.worker("w")?.status.state); // "draining"
   * ```
   */
  drain(worker: string, options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.run(options, () => {
      this.#parts.lifecycle.drain(this.#parts.table.require(worker));
      return Promise.resolve();
    });
  }

  /**
   * Drains every `running` worker; stops at the first failure.
   *
   * @param options `signal` cancels the wait for its turn.
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
   * console.log(runtime.status().state); // "draining"
   * ```
   */
  drainAll(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.run(options, () => {
      for (const w of this.#parts.table.all) {
        if (w.state === "running") this.#parts.lifecycle.drain(w);
      }
      return Promise.resolve();
    });
  }

  /**
   * Drains every `running` worker, trying all of them.
   *
   * @param options `signal` cancels the wait for its turn.
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
   * console.log(runtime.worker("w")?.status.state); // "draining"
   * ```
   */
  drainAllBestEffort(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.run(options, () => {
      this.#parts.lifecycle.drainAll();
      return Promise.resolve();
    });
  }

  /**
   * Resolves when the worker has no command in flight. Not a lifecycle
   * operation: it never waits for a turn.
   *
   * @param worker The local or qualified name.
   * @param options `signal` gives up waiting (rejects with its reason).
   * @returns Resolves when the worker is idle.
   * @throws {WorkerkitError} `worker_not_found`, `invalid_name`.
   *
   * @example Waiting for a drained worker to finish its commands
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * await runtime.drain("w");
   * await runtime.waitIdle("w", { signal: AbortSignal.timeout(5_000) });
   * await runtime.stop("w");
   * ```
   */
  waitIdle(worker: string, options?: SignalOptions): Promise<void> {
    try {
      return this.#parts.dispatcher.waitIdle(
        this.#parts.table.require(worker),
        options?.signal,
      );
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
   * console.log(runtime.status().inFlight); // 0
   * ```
   */
  waitAllIdle(options?: SignalOptions): Promise<void> {
    return this.#parts.dispatcher.waitIdle(undefined, options?.signal);
  }

  /**
   * Stops a `running`, `draining` or `failed` worker within its
   * `stopTimeout`. Closes admission for that worker only; it neither waits
   * for nor cancels in-flight commands (compose drain → waitIdle → stop).
   *
   * @param worker The local or qualified name.
   * @param options `signal` cancels the wait (the stop goes on; the worker
   * stays `stopping` until it settles).
   * @returns Resolves once the worker is `stopped`.
   * @throws The worker's stop error (it ends `failed`);
   * {@linkcode WorkerkitError} `worker_not_found`, `invalid_worker_state`,
   * `deadline_exceeded`, `runtime_shut_down`.
   *
   * @example Stopping one worker
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.start("w");
   * await runtime.stop("w");
   * console.log(runtime.worker("w")?.status.state); // "stopped"
   * ```
   */
  stop(worker: string, options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.run(options, (preempt) => {
      const w = this.#parts.table.require(worker);
      return this.#parts.lifecycle.stop(w, options?.signal, preempt);
    });
  }

  /**
   * Closes runtime-wide admission, then stops every `running`, `draining`
   * or `failed` worker in reverse registration order, continuing past
   * failures. A later start reopens admission.
   *
   * @param options `signal` cancels the remaining stops.
   * @returns Resolves once every stoppable worker is `stopped`.
   * @throws {AggregateError} Of the stops that failed.
   *
   * @example Stopping everything, then starting again
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * await runtime.stopAll();
   * await runtime.startAll();
   * console.log(runtime.status().state); // "running"
   * ```
   */
  stopAll(options?: SignalOptions): Promise<void> {
    return this.#parts.lifecycle.run(
      options,
      (preempt) => this.#parts.lifecycle.stopAll(options?.signal, preempt),
    );
  }

  /**
   * Shuts the runtime down for good: closes admission, preempts the running
   * lifecycle operation, drains, waits for in-flight commands, and stops
   * every worker, all under `signal`. When `signal` aborts, it calls `stop`
   * on every worker not yet stopped with an aborted signal (not awaited).
   * Pass a signal: without one a command that never settles holds shutdown
   * forever. A second call waits for the same shutdown.
   *
   * @param options `signal` is the shutdown's deadline.
   * @returns Resolves once every worker is stopped.
   * @throws {WorkerkitError} `deadline_exceeded` (naming the phase) when
   * `signal` aborts first; `invalid_argument` for bad options.
   * @throws {AggregateError} Of the stops that failed.
   *
   * @example Shutting down under a deadline
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({ name: "w", worker: { start() {}, stop() {} } });
   * await runtime.startAll();
   * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
   * console.log(runtime.status().state); // "stopped"
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
   * The aggregate status. O(1).
   *
   * @returns A fresh, JSON-safe copy.
   *
   * @example Reading the aggregate
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const { state, ready, workers } = new Runtime({ name: "svc" }).status();
   * console.log(state, ready, workers); // "registered" false 0
   * ```
   */
  status(): RuntimeStatus {
    return this.#parts.reporter.status(this.#parts.dispatcher.inFlight);
  }

  /**
   * Liveness for a `/livez` probe: false while a worker registered with
   * `livenessOnStall: true` is stalled, so Kubernetes restarts a pod whose
   * worker is wedged. O(number of such workers).
   *
   * @returns Whether the process is live.
   *
   * @example Answering a liveness probe
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * console.log(runtime.live() ? 200 : 503); // 200
   * ```
   */
  live(): boolean {
    return this.#parts.table.live();
  }

  /**
   * The runtime as an ops component (kind `workerkit.runtime`): its
   * lifecycle as a component state, and one readiness item per worker.
   * Register it in an `OpsRegistry` so `/readyz` includes it.
   *
   * @returns The readiness, with one item per worker.
   *
   * @example Adding the runtime to an ops registry
   * ```ts
   * import { OpsRegistry, Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * const registry = new OpsRegistry();
   * registry.register(runtime);
   * console.log(runtime.readiness().state, registry.readiness().ready); // "not_ready" false
   * ```
   */
  readiness(): Readiness {
    return runtimeReadiness(
      this.status(),
      this.#parts.table.all,
      this.#parts.reporter.policy,
      this.#parts.reporter.winding,
    );
  }

  /**
   * Inspection for ops: the status, every worker's snapshot and its commands.
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
   * console.log(runtime.worker("svc/w")?.name, runtime.worker("x")); // "w" undefined
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
   * @returns The commands' public metadata, or `undefined` for an unknown worker.
   *
   * @example Listing a worker's commands
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({
   *   name: "w",
   *   worker: { start() {}, stop() {} },
   *   commands: [{ name: "b", handler: () => ({}) }, { name: "a", handler: () => ({}) }],
   * });
   * console.log(runtime.commands("w")?.map((c) => c.name)); // ["a", "b"]
   * ```
   */
  commands(worker: string): CommandInfo[] | undefined {
    const w = this.#parts.table.get(worker);
    if (!w) return undefined;
    return [...w.commands.values()].map(commandInfo).sort(byName);
  }

  /**
   * Runs a worker's command. Admission, in order: names valid, worker
   * exists, command exists, runtime admitting, worker `running`, worker
   * admitting, runtime cap, worker cap; a refusal rejects at once with its
   * code (there is no queue). Each attempt has its own `commandTimeout`;
   * the caller gets `deadline_exceeded` on time even if the handler ignores
   * its signal. Failed attempts are retried per `commandRetry` and the
   * retry budget.
   *
   * @param request The worker, command name and payload.
   * @param options `signal` cancels the dispatch (like `fetch`).
   * @returns The handler's result (`{}` when it returned nothing).
   * @throws The last attempt's error, or the signal's reason;
   * {@linkcode WorkerkitError} `invalid_argument`, `invalid_name`,
   * `worker_not_found`, `command_not_found`, `runtime_not_accepting_work`,
   * `invalid_worker_state`, `worker_not_accepting_work`,
   * `runtime_saturated`, `worker_saturated`, `deadline_exceeded`,
   * `retry_budget_exhausted`.
   *
   * @example Running a command
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.register({
   *   name: "cache",
   *   worker: { start() {}, stop() {} },
   *   commands: [{ name: "flush", handler: () => ({ message: "flushed" }) }],
   * });
   * await runtime.start("cache");
   * const result = await runtime.dispatch({ worker: "cache", name: "flush" });
   * console.log(result.message); // "flushed"
   * ```
   */
  dispatch(
    request: CommandRequest,
    options?: SignalOptions,
  ): Promise<CommandResult> {
    return this.#parts.dispatcher.dispatch(request, options);
  }
}
