import { isoTime } from "../base/_iso_time.ts";
import type { Clock } from "../base/clock.ts";
import type { FailureKind } from "../events.ts";
import { type FailureContext, publicFailure } from "../failure.ts";
import type { ReadinessPolicy } from "../options.ts";
import type { LifecycleState, RuntimeStatus } from "../status.ts";
import { Aggregate } from "./_aggregate.ts";
import type { Emitter } from "./_emitter.ts";
import {
  type ManagedWorker,
  transitionOf,
  type TransitionRecord,
} from "./_managed_worker.ts";
import { COMPILED, type CompiledMove, type MoveName } from "./_worker_state.ts";

/**
 * Owns what the runtime reports about itself: the O(1) aggregate of every
 * worker's contribution, the runtime's own state, readiness and last
 * transition, the "stopping" phase ahead of shutdown, failure records, and
 * the transition, readiness and failure events. It is the only writer of a
 * worker's lifecycle state ({@linkcode StateReporter.move}), of its flags
 * (`ready`, `stalled`, which the aggregate counts, and `accepting`) and of
 * its transition and failure records, so the counters cannot drift.
 */
export class StateReporter {
  readonly #name: string;
  readonly #clock: Clock;
  readonly #policy: ReadinessPolicy;
  readonly emitter: Emitter;
  readonly #aggregate = new Aggregate();
  readonly #stopping = new AbortController();
  #state: LifecycleState = "registered";
  #ready = false;
  #lastTransition: TransitionRecord | undefined;
  #stoppingBegun = false;
  #shuttingDown = false;

  constructor(
    name: string,
    clock: Clock,
    policy: ReadinessPolicy,
    emitter: Emitter,
  ) {
    this.#name = name;
    this.#clock = clock;
    this.#policy = policy;
    this.emitter = emitter;
  }

  /** The readiness policy the aggregate applies. */
  get policy(): ReadinessPolicy {
    return this.#policy;
  }

  /** Whether a `fail-runtime` worker is failed. */
  get failing(): boolean {
    return this.#aggregate.failingRuntime;
  }

  /** Aborts at `beginStopping()` or when shutdown begins. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Whether shutdown has begun. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Whether readiness is held false for stopping or shutdown. */
  get winding(): boolean {
    return this.#shuttingDown || this.#stoppingBegun;
  }

  /** Readiness false ahead of shutdown; idempotent. */
  beginStopping(): void {
    if (this.#stoppingBegun) return;
    this.#stoppingBegun = true;
    this.#stopping.abort();
    this.refresh();
  }

  /** Shutdown has begun: readiness false for good. */
  beginShutdown(): void {
    this.#shuttingDown = true;
    this.#stopping.abort();
    this.refresh();
  }

  /** Adds a newly registered worker (`1`) or removes an unregistered one (`-1`). */
  count(w: ManagedWorker, sign: 1 | -1): void {
    this.#aggregate.count(w, sign);
    this.refresh();
  }

  /**
   * Applies moves of the worker state machine, in order, as one change:
   * each move's `from` is checked and its flags cleared or set, the
   * watchdog follows `running`, the aggregate is updated once, and the
   * transition, readiness and runtime events follow. A move the table
   * refuses changes nothing, and the rest are skipped.
   *
   * @returns Whether every move was allowed.
   */
  move(
    w: ManagedWorker,
    moves: MoveName | readonly MoveName[],
    startDefaults?: StartFlags,
  ): boolean {
    const names = typeof moves === "string" ? undefined : moves;
    const first = COMPILED[names ? names[0]! : moves as MoveName];
    if (!first.from.has(w.state)) return false;
    const wasReady = w.effectiveReady;
    const from = w.state;
    this.#aggregate.count(w, -1);
    land(w, first, startDefaults);
    // A sequence (only fail + restart) lands its later moves in the same change.
    let later: Array<[LifecycleState, CompiledMove]> | undefined;
    let allowed = true;
    for (let i = 1; names !== undefined && i < names.length; i++) {
      const move = COMPILED[names[i]!];
      if (!move.from.has(w.state)) {
        allowed = false;
        break;
      }
      (later ??= []).push([w.state, move]);
      land(w, move, startDefaults);
    }
    this.#aggregate.count(w, 1);
    this.#transitioned(w, from, first.to, first.reason);
    let reason = first.reason;
    for (const [step, move] of later ?? []) {
      this.#transitioned(w, step, move.to, move.reason);
      reason = move.reason;
    }
    if (w.effectiveReady !== wasReady) this.#workerReadiness(w);
    this.refresh(reason);
    if (w.state === "running") w.watchdog?.arm();
    return allowed;
  }

  /** Sets the worker's own readiness flag. */
  setReady(w: ManagedWorker, ready: boolean): void {
    if (w.ready === ready) return;
    const wasReady = w.effectiveReady;
    this.#aggregate.count(w, -1);
    w.flagReady(ready);
    this.#counted(w, wasReady);
  }

  /** Sets whether the worker admits commands (the aggregate does not count it). */
  setAccepting(w: ManagedWorker, accepting: boolean): void {
    w.flagAccepting(accepting);
  }

  /** Sets whether the worker shows stalled. */
  setStalled(w: ManagedWorker, stalled: boolean): void {
    if (w.stalled === stalled) return;
    const wasReady = w.effectiveReady;
    this.#aggregate.count(w, -1);
    w.flagStalled(stalled);
    this.#counted(w, wasReady);
  }

  /** Recomputes the runtime's state and readiness and reports changes. */
  refresh(reason?: string): void {
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
      if (this.emitter.wants("transition")) {
        this.emitter.transition({
          runtime: this.#name,
          ...transitionOf(record),
        });
      }
    }
    const ready = !this.#shuttingDown && !this.#stoppingBegun &&
      this.#aggregate.ready(this.#policy);
    if (ready !== this.#ready) {
      this.#ready = ready;
      if (this.emitter.wants("readiness")) {
        this.emitter.readiness({ runtime: this.#name, ready, at: this.at() });
      }
    }
  }

  /** The runtime's aggregate status. */
  status(inFlight: number): RuntimeStatus {
    const status: RuntimeStatus = {
      name: this.#name,
      state: this.#state,
      ready: this.#ready,
      inFlight,
      workers: this.#aggregate.total,
    };
    if (this.#lastTransition) {
      status.lastTransition = transitionOf(this.#lastTransition);
    }
    return status;
  }

  /** Records a failure as the worker's `lastFailure` and emits it. */
  recordFailure(
    w: ManagedWorker,
    error: unknown,
    kind: FailureKind,
    attempt?: number,
    context: FailureContext = "lifecycle",
    primary = true,
  ): void {
    const failure = publicFailure(error, context);
    const at = this.at();
    if (primary) {
      w.noteFailure({ code: failure.code, message: failure.message, at });
    }
    if (!this.emitter.wants("failure")) return;
    this.emitter.failure({
      runtime: this.#name,
      worker: w.qualifiedName,
      kind,
      code: failure.code,
      message: failure.message,
      ...(attempt === undefined ? {} : { attempt }),
      cause: error,
      at,
    });
  }

  /** Now, as an ISO-8601 string. */
  at(): string {
    return isoTime(this.#clock.now());
  }

  /** A flag changed: the worker back into the aggregate, then the events. */
  #counted(w: ManagedWorker, wasReady: boolean): void {
    this.#aggregate.count(w, 1);
    if (w.effectiveReady !== wasReady) this.#workerReadiness(w);
    this.refresh();
  }

  #transitioned(
    w: ManagedWorker,
    from: LifecycleState,
    to: LifecycleState,
    reason: string | undefined,
  ): void {
    const record = { from, to, atMs: this.#clock.now(), reason };
    w.noteTransition(record);
    if (!this.emitter.wants("transition")) return;
    this.emitter.transition({
      runtime: this.#name,
      worker: w.qualifiedName,
      ...transitionOf(record),
    });
  }

  #workerReadiness(w: ManagedWorker): void {
    if (!this.emitter.wants("readiness")) return;
    this.emitter.readiness({
      runtime: this.#name,
      worker: w.qualifiedName,
      ready: w.effectiveReady,
      at: this.at(),
    });
  }
}

/** The flags a start set through the handle, which win over the start defaults. */
interface StartFlags {
  readonly readySet: boolean;
  readonly acceptingSet: boolean;
}

/**
 * Lands one allowed move on the worker: its state, cleared and set flags,
 * and the rule for leaving `running` (watchdog disarmed, `stalled` cleared).
 */
function land(
  w: ManagedWorker,
  move: CompiledMove,
  startDefaults: StartFlags | undefined,
): void {
  if (w.state === "running") {
    w.watchdog?.disarm();
    w.flagStalled(false);
  }
  w.enterState(move.to);
  if (move.clearsReady) w.flagReady(false);
  if (move.clearsAccepting) w.flagAccepting(false);
  if (!move.startDefaults) return;
  if (!startDefaults?.readySet) w.flagReady(w.settings.readyOnStart);
  if (!startDefaults?.acceptingSet) {
    w.flagAccepting(w.settings.acceptingWorkOnStart);
  }
  w.noteFailure(undefined);
}
