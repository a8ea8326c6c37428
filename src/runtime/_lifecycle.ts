import { Attempt, invoke } from "../base/_attempt.ts";
import { noop } from "../base/_promise.ts";
import type { Clock } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import { type AttemptLoop, runAttempts } from "../retry/_attempts.ts";
import type { RetryPolicy } from "../retry/policy.ts";
import { anySignal, signalOf, type SignalOptions } from "../signal_options.ts";
import type { WorkerContext } from "../worker.ts";
import type { WorkerRegistration } from "../options.ts";
import type { Dispatcher } from "./_dispatcher.ts";
import { LifecycleGate } from "./_lifecycle_gate.ts";
import type {
  Generation,
  ManagedWorker,
  WorkerHost,
} from "./_managed_worker.ts";
import type { RetryBudget } from "./_retry_budget.ts";
import type { StateReporter } from "./_state_reporter.ts";
import type { WorkerTable } from "./_worker_table.ts";
import { canMove, REMOVABLE, stateError } from "./_worker_state.ts";

/** What the lifecycle asks of supervision. */
export interface StartOutcome {
  /** A failure was reported while start ran: fail, or restart if allowed. */
  failedDuringStart(w: ManagedWorker, error: unknown): void;
  /** Cancels the restart supervision waits to make; false if there is none. */
  cancelRestart(w: ManagedWorker): boolean;
}

/**
 * Lifecycle sequencing: the gate that runs operations one at a time in call
 * order (the facade's `run*` entry points take their turns there),
 * registration and removal, start attempts (each its own generation and
 * deadline, retried per `startRetry` and the retry budget), drain, stop
 * (including a stop whose caller gave up, which settles later), bulk stop,
 * and the chaining that keeps two generations of one worker from ever
 * overlapping.
 */
export class Lifecycle {
  /** Runs lifecycle operations one at a time; shutdown closes it. */
  readonly gate: LifecycleGate = new LifecycleGate();
  readonly #clock: Clock;
  readonly #table: WorkerTable;
  readonly #reporter: StateReporter;
  readonly #dispatcher: Dispatcher;
  readonly #budget: RetryBudget | undefined;
  readonly #host: WorkerHost;
  readonly #outcome: StartOutcome;
  /** Workers shutdown's forced stop has already called `stop` on. */
  readonly #forced = new WeakSet<ManagedWorker>();

  constructor(parts: {
    clock: Clock;
    table: WorkerTable;
    reporter: StateReporter;
    dispatcher: Dispatcher;
    budget: RetryBudget | undefined;
    host: WorkerHost;
    outcome: StartOutcome;
  }) {
    this.#clock = parts.clock;
    this.#table = parts.table;
    this.#reporter = parts.reporter;
    this.#dispatcher = parts.dispatcher;
    this.#budget = parts.budget;
    this.#host = parts.host;
    this.#outcome = parts.outcome;
  }

  /** Runs `op` in its turn of the gate, under the caller's signal. */
  run(
    options: SignalOptions | undefined,
    op: (preempt: AbortSignal) => void | Promise<void>,
  ): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.gate.run((preempt) => invoke(() => op(preempt)), signal);
  }

  // The facade's entry points: each runs one `Runtime` operation in its
  // turn of the gate, resolving the worker's name there.

  /** `Runtime.start`. */
  runStart(ref: string, options: SignalOptions | undefined): Promise<void> {
    return this.run(options, (preempt) => {
      return this.start(this.#table.require(ref), options?.signal, preempt);
    });
  }

  /** `Runtime.startAll`. */
  runStartAll(options: SignalOptions | undefined): Promise<void> {
    return this.run(
      options,
      (preempt) => this.startAll(options?.signal, preempt),
    );
  }

  /** `Runtime.drain`. */
  runDrain(ref: string, options: SignalOptions | undefined): Promise<void> {
    return this.run(options, () => this.drain(this.#table.require(ref)));
  }

  /** `Runtime.drainAll`: stops at the first failure. */
  runDrainAll(options: SignalOptions | undefined): Promise<void> {
    return this.run(options, () => {
      for (const w of this.#table.all) if (w.state === "running") this.drain(w);
    });
  }

  /** `Runtime.drainAllBestEffort`. */
  runDrainAllBestEffort(options: SignalOptions | undefined): Promise<void> {
    return this.run(options, () => this.drainAll());
  }

  /** `Runtime.stop`. */
  runStop(ref: string, options: SignalOptions | undefined): Promise<void> {
    return this.run(options, (preempt) => {
      return this.stop(this.#table.require(ref), options?.signal, preempt);
    });
  }

  /** `Runtime.stopAll`. */
  runStopAll(options: SignalOptions | undefined): Promise<void> {
    return this.run(
      options,
      (preempt) => this.stopAll(options?.signal, preempt),
    );
  }

  /** `Runtime.unregister`. */
  runUnregister(
    ref: string,
    options: SignalOptions | undefined,
  ): Promise<void> {
    return this.run(options, () => this.unregister(this.#table.require(ref)));
  }

  /** Adds a registered worker, unless shutdown has begun. */
  register(registration: WorkerRegistration): void {
    if (this.#reporter.shuttingDown) {
      throw new WorkerkitError("runtime_shut_down");
    }
    this.#reporter.count(this.#table.add(registration), 1);
  }

  /**
   * Removes a worker that is removable, with nothing in flight and no start
   * or stop still running: an abandoned one could otherwise run alongside a
   * new registration of the same name.
   */
  unregister(w: ManagedWorker): void {
    if (!REMOVABLE.includes(w.state) || w.inFlight > 0) {
      throw stateError(w, "unregister");
    }
    if (w.unsettled > 0) {
      throw new WorkerkitError(
        "invalid_worker_state",
        `cannot unregister ${w.qualifiedName} while a start or stop it gave up on still runs`,
      );
    }
    this.#table.remove(w);
    w.generation?.end();
    this.#reporter.count(w, -1);
  }

  /** Starts a startable worker; on failure it ends `failed`. */
  async start(
    w: ManagedWorker,
    signal: AbortSignal | undefined,
    preempt: AbortSignal,
  ): Promise<void> {
    if (!canMove(w.state, "start")) throw stateError(w, "start");
    this.#dispatcher.open();
    this.#reporter.move(w, "start");
    try {
      await this.startAttempts(w, signal, preempt);
    } catch (error) {
      // The failed attempt's work may go on; its handle must not act later.
      w.generation?.end();
      this.fail(w);
      throw error;
    }
  }

  /** Starts every startable worker in registration order. */
  async startAll(
    signal: AbortSignal | undefined,
    preempt: AbortSignal,
  ): Promise<void> {
    for (const w of [...this.#table.all]) {
      if (canMove(w.state, "start")) await this.start(w, signal, preempt);
    }
  }

  /**
   * Runs start attempts, each its own generation with its own deadline,
   * retrying per `startRetry` (and the retry budget). On success the worker
   * is running; on failure it stays `starting` for the caller to settle.
   */
  startAttempts(
    w: ManagedWorker,
    signal: AbortSignal | undefined,
    preempt: AbortSignal,
  ): Promise<void> {
    return runAttempts(new StartAttempts(this, w, signal, preempt));
  }

  /** One start attempt: a new generation under its own deadline. */
  async attemptStart(
    w: ManagedWorker,
    attempt: Attempt,
  ): Promise<Generation> {
    const generation = this.newGeneration(w);
    const ctx = this.#context(generation, attempt.signal);
    const work = this.#afterPending(
      w,
      attempt.signal,
      () => w.worker.start(ctx),
    );
    try {
      await attempt.race(work, `start of ${w.qualifiedName}`);
    } finally {
      attempt.settle();
    }
    this.#started(w, generation);
    return generation;
  }

  /** Records a failed start attempt. */
  startFailed(w: ManagedWorker, error: unknown, failures: number): void {
    this.#reporter.recordFailure(w, error, "lifecycle", failures);
  }

  /** The runtime's clock and retry budget, for the start attempt loop. */
  get clock(): Clock {
    return this.#clock;
  }

  get budget(): RetryBudget | undefined {
    return this.#budget;
  }

  /** Moves a failed start, stall or report to `failed`. */
  fail(w: ManagedWorker): void {
    this.#reporter.move(w, "fail");
  }

  /** Drains a running worker. */
  drain(w: ManagedWorker): void {
    if (!canMove(w.state, "drain")) throw stateError(w, "drain");
    if (w.generation) abortDrain(w.generation);
    this.#reporter.move(w, "drain");
  }

  /** Drains every running worker, trying all of them. */
  drainAll(): void {
    const errors: unknown[] = [];
    for (const w of this.#table.all) {
      if (w.state !== "running") continue;
      try {
        this.drain(w);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      throw new AggregateError(errors, `${errors.length} drain(s) failed`);
    }
  }

  /**
   * Stops a stoppable worker within its `stopTimeout`, or cancels the
   * restart supervision is waiting to make. `byShutdown`: the signal is
   * shutdown's own, whose deadline ends with the forced stop instead.
   */
  async stop(
    w: ManagedWorker,
    signal: AbortSignal | undefined,
    preempt: AbortSignal | undefined,
    byShutdown = false,
  ): Promise<void> {
    if (w.restart && w.state === "starting") {
      return this.abandonRestart(w, anySignal(signal, preempt));
    }
    if (!canMove(w.state, "stop")) throw stateError(w, "stop");
    const attempt = new Attempt(
      this.#clock,
      w.settings.stopTimeout,
      signal,
      preempt,
    );
    const deadline = this.#clock.now() + w.settings.stopTimeout;
    const { generation, work } = this.beginStop(w, attempt.signal);
    try {
      await attempt.race(work, `stop of ${w.qualifiedName}`);
    } catch (error) {
      if (attempt.signal.aborted && !attempt.timedOut) {
        // Canceled, not failed: the stop goes on, and the worker stays
        // `stopping` until it settles, so nothing stops it twice — but no
        // longer than its own deadline, which the caller's giving up does
        // not lift.
        this.settleStopLater(w, generation, work);
        if (!byShutdown) this.#keepDeadline(w, generation, work, deadline);
        throw error;
      }
      this.#reporter.recordFailure(w, error, "lifecycle");
      this.#stopped(w, generation, false);
      throw error;
    } finally {
      attempt.settle();
    }
    this.#stopped(w, generation, true);
  }

  /**
   * Closes runtime-wide admission, then stops every stoppable worker in
   * reverse registration order, continuing past failures. A worker whose
   * restart is pending has it canceled, so once this resolves no worker is
   * running or starting. Preempted by shutdown, it rejects with shutdown's
   * error, not with the stops it cut short.
   */
  async stopAll(
    signal: AbortSignal | undefined,
    preempt: AbortSignal | undefined,
    byShutdown = false,
  ): Promise<void> {
    this.#dispatcher.close();
    const errors: unknown[] = [];
    for (const w of [...this.#table.all].reverse()) {
      if (signal?.aborted) throw signal.reason;
      if (preempt?.aborted) throw preempt.reason;
      if (!canMove(w.state, "stop") && !w.restart) continue;
      try {
        await this.stop(w, signal, preempt, byShutdown);
      } catch (error) {
        errors.push(error);
      }
    }
    if (signal?.aborted) throw signal.reason;
    if (preempt?.aborted) throw preempt.reason;
    if (errors.length > 0) {
      throw new AggregateError(errors, `${errors.length} stop(s) failed`);
    }
  }

  /**
   * Calls `stop` with an aborted signal on every worker not yet stopped, so
   * their cleanup begins at once; tracked, not awaited. Each worker gets it
   * once: a forced stop that fails leaves the worker `failed`, and a later
   * forced stop must not call `stop` on it again. Pending restarts are
   * canceled the same way.
   */
  forceStopAll(): void {
    const aborted = AbortSignal.abort(
      new DOMException("shutdown deadline exceeded", "TimeoutError"),
    );
    for (const w of [...this.#table.all].reverse()) {
      if (this.#forced.has(w)) continue;
      if (w.restart && w.state === "starting") {
        this.#forced.add(w);
        this.abandonRestart(w, aborted).catch(noop);
        continue;
      }
      if (!canMove(w.state, "stop")) continue;
      this.#forced.add(w);
      const { generation, work } = this.beginStop(w, aborted);
      this.settleStopLater(w, generation, work);
    }
  }

  /**
   * Cancels the restart supervision is waiting to make (in its backoff, or
   * waiting for a turn) and settles the worker `stopped`. The failed
   * generation is stopped first (within `stopTimeout`, under `signal`) if
   * supervision had not stopped it yet.
   */
  async abandonRestart(
    w: ManagedWorker,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (!this.#outcome.cancelRestart(w)) return;
    if (w.generation?.alive) await this.stopFailedGeneration(w, signal);
    this.#reporter.move(w, "abandon");
  }

  /** Moves the worker to `stopping` and calls its `stop` with `signal`. */
  beginStop(
    w: ManagedWorker,
    signal: AbortSignal,
  ): { generation: Generation; work: Promise<void> } {
    const generation = w.generation?.alive
      ? w.generation
      : this.newGeneration(w);
    abortDrain(generation);
    this.#reporter.move(w, "stop");
    const ctx = this.#context(generation, signal);
    const work = this.alongsidePending(w, () => w.worker.stop(ctx));
    return { generation, work };
  }

  /** Settles the worker as `stopped` or `failed` whenever `work` does. */
  settleStopLater(
    w: ManagedWorker,
    generation: Generation,
    work: Promise<void>,
  ): void {
    work.then(
      () => this.#stopped(w, generation, true),
      (error: unknown) => {
        if (generation === w.generation && generation.alive) {
          this.#reporter.recordFailure(w, error, "lifecycle");
        }
        this.#stopped(w, generation, false);
      },
    );
  }

  /**
   * Stops a failed generation before supervision starts a new one, within
   * the worker's `stopTimeout`; a failure is recorded, never thrown.
   */
  async stopFailedGeneration(
    w: ManagedWorker,
    preempt: AbortSignal | undefined,
  ): Promise<void> {
    const generation = w.generation;
    if (!generation) return;
    abortDrain(generation);
    const attempt = new Attempt(this.#clock, w.settings.stopTimeout, preempt);
    const ctx = this.#context(generation, attempt.signal);
    try {
      await attempt.race(
        this.alongsidePending(w, () => w.worker.stop(ctx)),
        `stop of ${w.qualifiedName}`,
      );
    } catch (stopError) {
      this.#reporter.recordFailure(w, stopError, "lifecycle");
    } finally {
      attempt.settle();
      generation.end();
    }
  }

  /**
   * Runs a stop at once: it is how an abandoned start of the same
   * generation gets cleaned up, so it must not wait for it. The next start
   * waits for both.
   */
  alongsidePending(
    w: ManagedWorker,
    fn: () => void | Promise<void>,
  ): Promise<void> {
    const previous = w.pending;
    const work = invoke(fn);
    w.trackWork(work, previous);
    return work;
  }

  /** Ends the worker's current generation and begins a new one. */
  newGeneration(w: ManagedWorker): Generation {
    return w.beginGeneration(this.#host);
  }

  /**
   * A stop whose caller gave up still ends at the worker's own deadline: if
   * `work` has not settled by `deadline`, the worker goes `failed` with
   * `deadline_exceeded`, as it would have with the caller waiting.
   */
  #keepDeadline(
    w: ManagedWorker,
    generation: Generation,
    work: Promise<void>,
    deadline: number,
  ): void {
    if (!Number.isFinite(deadline)) return;
    const timer = this.#clock.setTimeout(() => {
      if (w.generation !== generation || w.state !== "stopping") return;
      this.#reporter.recordFailure(
        w,
        new WorkerkitError(
          "deadline_exceeded",
          `stop of ${w.qualifiedName} exceeded its deadline`,
        ),
        "lifecycle",
      );
      this.#stopped(w, generation, false);
    }, Math.max(0, deadline - this.#clock.now()));
    const clear = (): void => this.#clock.clearTimeout(timer);
    work.then(clear, clear);
  }

  #started(w: ManagedWorker, generation: Generation): void {
    const reported = generation.startFailure;
    if (reported) {
      this.#outcome.failedDuringStart(w, reported.error);
      return;
    }
    this.#reporter.move(w, "started", generation);
  }

  #stopped(w: ManagedWorker, generation: Generation, clean: boolean): void {
    generation.end();
    if (w.generation !== generation || w.state !== "stopping") return;
    this.#reporter.move(w, clean ? "stopped" : "fail");
  }

  #context(generation: Generation, signal: AbortSignal): WorkerContext {
    return {
      signal,
      drainSignal: generation.drain.signal,
      worker: generation.handle,
      clock: this.#clock,
    };
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
    w.trackWork(work);
    return work;
  }
}

/**
 * One reason shared by every drain: `abort()` without a reason builds a
 * fresh `DOMException` with a stack on each call, even on an already
 * aborted controller, which at ten thousand workers dominates shutdown.
 */
const DRAINING = new DOMException("the worker is draining", "AbortError");

function abortDrain(generation: Generation): void {
  if (!generation.drain.signal.aborted) generation.drain.abort(DRAINING);
}

/**
 * The attempt loop of one start: each attempt is a new generation with its
 * own `startTimeout`; a canceled attempt (not a timeout) is not retried.
 */
class StartAttempts implements AttemptLoop<void> {
  readonly #lifecycle: Lifecycle;
  readonly #w: ManagedWorker;
  readonly #signal: AbortSignal | undefined;
  readonly #preempt: AbortSignal;
  #attempt: Attempt | undefined;

  constructor(
    lifecycle: Lifecycle,
    w: ManagedWorker,
    signal: AbortSignal | undefined,
    preempt: AbortSignal,
  ) {
    this.#lifecycle = lifecycle;
    this.#w = w;
    this.#signal = signal;
    this.#preempt = preempt;
  }

  get policy(): RetryPolicy {
    return this.#w.settings.startRetry;
  }

  get clock(): Clock {
    return this.#lifecycle.clock;
  }

  /** An aborted wait rejects with the signal's reason, as retry() does. */
  get signal(): AbortSignal | undefined {
    return anySignal(this.#signal, this.#preempt);
  }

  get budget(): RetryBudget | undefined {
    return this.#lifecycle.budget;
  }

  get what(): string {
    return `start of ${this.#w.qualifiedName}`;
  }

  async run(): Promise<void> {
    const w = this.#w;
    this.#attempt = new Attempt(
      this.#lifecycle.clock,
      w.settings.startTimeout,
      this.#signal,
      this.#preempt,
    );
    await this.#lifecycle.attemptStart(w, this.#attempt);
  }

  failed(error: unknown, failures: number): { stop: unknown } | undefined {
    this.#lifecycle.startFailed(this.#w, error, failures);
    const attempt = this.#attempt!;
    return attempt.signal.aborted && !attempt.timedOut
      ? { stop: error }
      : undefined;
  }

  beforeWait(): void {
    this.#w.generation?.end();
  }
}
