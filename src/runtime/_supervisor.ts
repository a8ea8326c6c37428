import { OperationalFailure } from "../base/operational_failure.ts";
import { publicFailure } from "../failure.ts";
import type { Clock } from "../base/clock.ts";
import { delay } from "../retry/delay.ts";
import { nextDelay } from "../retry/_next_delay.ts";
import type { Lifecycle, StartOutcome } from "./_lifecycle.ts";
import type { ManagedWorker } from "./_managed_worker.ts";
import type { StateReporter } from "./_state_reporter.ts";

/**
 * Supervision, in OTP's sense: what happens when a worker fails on its own.
 * It routes reported failures and stalls, decides whether the worker's
 * restart intensity allows a restart, and runs the restart: stop the failed
 * generation, wait the backoff, start again. Without a restart policy a
 * failure simply moves the worker to `failed`.
 *
 * A restart takes one turn of the lifecycle gate for its stop and one for
 * its start; the backoff wait ({@linkcode Supervisor.backoff}) between them
 * holds no turn, so a crash-looping worker never starves other lifecycle
 * calls. A pending restart lives in `w.restart`, which only this part
 * writes; stop, stopAll and shutdown cancel it through
 * {@linkcode Supervisor.cancelRestart}.
 */
export class Supervisor implements StartOutcome {
  readonly #clock: Clock;
  readonly #reporter: StateReporter;
  #lifecycle!: Lifecycle;

  constructor(clock: Clock, reporter: StateReporter) {
    this.#clock = clock;
    this.#reporter = reporter;
  }

  /** Completes the wiring: the lifecycle whose gate and starts it uses. */
  attach(lifecycle: Lifecycle): void {
    this.#lifecycle = lifecycle;
  }

  /** A worker's handle reported a failure (`reportFailure`). */
  reportFailure(w: ManagedWorker, error: unknown): void {
    this.#reporter.recordFailure(w, error, "background");
    if (w.state === "starting") {
      w.generation!.noteStartFailure(error);
      return;
    }
    if (w.state === "running" && this.#mayRestart(w)) {
      this.#failAndRestart(w, error);
      return;
    }
    if (w.state === "running" || w.state === "draining") {
      this.#lifecycle.fail(w);
    }
  }

  /** A start succeeded, but a failure was reported while it ran. */
  failedDuringStart(w: ManagedWorker, error: unknown): void {
    this.#failOrRestart(w, error);
  }

  /** Cancels the restart this worker waits for; false if there is none. */
  cancelRestart(w: ManagedWorker): boolean {
    const restart = w.restart;
    if (!restart) return false;
    w.planRestart(undefined);
    restart.abort();
    return true;
  }

  /** A worker's heartbeat: re-arms the watchdog, ends a stall. */
  heartbeat(w: ManagedWorker): void {
    if (w.watchdog?.beat() && w.stalled) this.#reporter.setStalled(w, false);
  }

  /** A running worker went without a heartbeat for its `stallTimeout`. */
  stalled(w: ManagedWorker): void {
    if (w.state !== "running") return;
    const failure = stallFailure();
    this.#reporter.recordFailure(w, failure, "stall");
    if (w.intensity) {
      // Supervised: a stall is a failure, restarted until the intensity is spent.
      this.#failOrRestart(w, failure);
      return;
    }
    this.#reporter.setStalled(w, true);
  }

  /**
   * Waits the restart backoff after the `n`th restart in the window, under
   * `signal`; false when the policy gives up or the wait was aborted.
   */
  backoff(
    w: ManagedWorker,
    n: number,
    cause: unknown,
    signal: AbortSignal,
  ): Promise<boolean> {
    const wait = nextDelay(w.settings.restart!.backoff, n, cause);
    if (wait === undefined) return Promise.resolve(false);
    return delay(wait, { signal, clock: this.#clock })
      .then(() => true, () => false);
  }

  #failOrRestart(w: ManagedWorker, error: unknown): void {
    if (this.#mayRestart(w)) this.#failAndRestart(w, error);
    else this.#lifecycle.fail(w);
  }

  /** Whether supervision restarts this worker now. */
  #mayRestart(w: ManagedWorker): boolean {
    return w.intensity !== undefined && !this.#reporter.shuttingDown &&
      w.intensity.allows(this.#clock.now());
  }

  /**
   * The current generation failed: the worker goes `failed` (observed) and
   * at once `starting` again with reason `restart`, so its failure policy
   * does not apply while supervision works. The restart runs as two turns
   * of the lifecycle gate — stop the failed generation, later start a new
   * one — with the backoff between them holding no turn, so other lifecycle
   * calls run meanwhile. `stop`, `stopAll` and shutdown cancel it through
   * `w.restart`.
   */
  #failAndRestart(w: ManagedWorker, error: unknown): void {
    const n = this.#beginRestart(w, error);
    const restart = new AbortController();
    w.planRestart(restart);
    this.#restart(w, error, n, restart).catch(() => {
      // Shutdown closed the gate: its stop phase (or forced stop) cancels
      // the restart and settles the worker.
      if (this.#lifecycle.gate.closed) return;
      if (w.restart === restart && w.state === "starting") {
        w.planRestart(undefined);
        this.#lifecycle.fail(w);
      }
    });
  }

  /**
   * One restart begins: its `reason: "restart"` transition, the count, the
   * cause kept in `lastRestart`, and its place in the intensity window. The
   * three always move together, so `restarts` equals the restart
   * transitions.
   */
  #beginRestart(w: ManagedWorker, cause: unknown): number {
    this.#reporter.move(w, ["fail", "restart"]);
    const at = this.#reporter.at();
    const { code, message } = publicFailure(cause, "lifecycle");
    w.countRestart(at, { code, message, at });
    return w.intensity!.record(this.#clock.now());
  }

  /** Stops the failed generation, waits the backoff, starts a new one. */
  async #restart(
    w: ManagedWorker,
    error: unknown,
    first: number,
    restart: AbortController,
  ): Promise<void> {
    const lifecycle = this.#lifecycle;
    const live = (): boolean => w.restart === restart && w.state === "starting";
    await lifecycle.gate.run(async (preempt) => {
      if (live()) await lifecycle.stopFailedGeneration(w, preempt);
    });
    let n = first;
    let cause = error;
    for (;;) {
      if (!live()) return;
      if (!await this.backoff(w, n, cause, restart.signal)) {
        if (!live()) return;
        w.planRestart(undefined);
        return lifecycle.fail(w);
      }
      const outcome = await lifecycle.gate.run(async (preempt) => {
        if (!live()) return undefined;
        try {
          await lifecycle.startAttempts(w, undefined, preempt);
          return undefined;
        } catch (startError) {
          return { startError, preempted: preempt.aborted };
        }
      });
      if (w.restart !== restart) return;
      if (outcome === undefined) {
        // Running again (or a new restart, if it failed while starting).
        if (w.restart === restart) w.planRestart(undefined);
        return;
      }
      cause = outcome.startError;
      // The failed attempt's work may go on; its handle must not act later.
      w.generation?.end();
      if (outcome.preempted || !this.#mayRestart(w)) {
        w.planRestart(undefined);
        return lifecycle.fail(w);
      }
      // A restarted start that timed out may still run: the next one can
      // only call `start` once it has settled, so it begins (and counts)
      // only then.
      await settledOrAborted(w.pending, restart.signal);
      if (!live()) return;
      n = this.#beginRestart(w, cause);
    }
  }
}

/** Resolves when `work` settles or `signal` aborts, whichever comes first. */
function settledOrAborted(
  work: Promise<void> | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (work === undefined || signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    work.then(done, done);
  });
}

function stallFailure(): OperationalFailure {
  return new OperationalFailure({
    code: "stalled",
    message: "worker stalled: no heartbeat within its stallTimeout",
  });
}
