import { OperationalFailure } from "../base/operational_failure.ts";
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
 * A restart takes one turn of the lifecycle gate for its stop and start.
 * The backoff wait ({@linkcode Supervisor.backoff}) needs no turn: it only
 * waits on a signal, so it can move out of the turn without touching the
 * rest.
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
      w.generation!.startFailure ??= { error };
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
   * does not apply while supervision works. The restart itself runs through
   * the lifecycle gate.
   */
  #failAndRestart(w: ManagedWorker, error: unknown): void {
    this.#reporter.move(w, ["fail", "restart"]);
    this.#lifecycle.gate.run((preempt) => this.#restart(w, error, preempt))
      .catch(() => {
        if (w.state === "starting") this.#lifecycle.fail(w);
      });
  }

  /** Stops the failed generation, waits the backoff, starts a new one. */
  async #restart(
    w: ManagedWorker,
    error: unknown,
    preempt: AbortSignal,
  ): Promise<void> {
    if (w.state !== "starting") return;
    const lifecycle = this.#lifecycle;
    await lifecycle.stopFailedGeneration(w, preempt);
    let cause = error;
    for (;;) {
      w.restarts++;
      const n = w.intensity!.record(this.#clock.now());
      if (!await this.backoff(w, n, cause, preempt)) return lifecycle.fail(w);
      try {
        await lifecycle.startAttempts(w, undefined, preempt);
        return;
      } catch (startError) {
        cause = startError;
        if (preempt.aborted || !this.#mayRestart(w)) {
          w.generation?.end();
          return lifecycle.fail(w);
        }
      }
    }
  }
}

function stallFailure(): OperationalFailure {
  return new OperationalFailure({
    code: "stalled",
    message: "worker stalled: no heartbeat within its stallTimeout",
  });
}
