import { Attempt } from "../base/_attempt.ts";
import type { Clock } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import type { Dispatcher } from "./_dispatcher.ts";
import type { Lifecycle } from "./_lifecycle.ts";
import type { StateReporter } from "./_state_reporter.ts";

/** The phases of shutdown, in order; a deadline error names the one it hit. */
export type ShutdownPhase = "preempt" | "drain" | "idle" | "stop";

/**
 * Shutdown, terminal and once: close admission, preempt the running
 * lifecycle operation and close the gate, drain, wait for in-flight
 * commands, stop every worker, all under one signal. When the signal aborts
 * first, every worker not yet stopped gets `stop` with an aborted signal
 * (the forced stop) and the caller gets `deadline_exceeded` naming the
 * phase. A later caller waits for the same shutdown under its own signal.
 */
export class Shutdown {
  readonly #name: string;
  readonly #clock: Clock;
  readonly #reporter: StateReporter;
  readonly #lifecycle: Lifecycle;
  readonly #dispatcher: Dispatcher;
  #done: Promise<void> | undefined;

  constructor(
    name: string,
    clock: Clock,
    parts: {
      reporter: StateReporter;
      lifecycle: Lifecycle;
      dispatcher: Dispatcher;
    },
  ) {
    this.#name = name;
    this.#clock = clock;
    this.#reporter = parts.reporter;
    this.#lifecycle = parts.lifecycle;
    this.#dispatcher = parts.dispatcher;
  }

  /** Begins shutdown, or waits for the one under way within `signal`. */
  run(signal: AbortSignal | undefined): Promise<void> {
    if (!this.#done) {
      this.#done = this.#shutdown(signal);
      return this.#done;
    }
    if (!signal) return this.#done;
    // A later caller waits for the shutdown under way, bounded by its own signal.
    const bound = new Attempt(this.#clock, Infinity, signal);
    return bound.race(this.#done, "shutdown").catch((error) => {
      if (!bound.signal.aborted) throw error;
      throw new WorkerkitError(
        "deadline_exceeded",
        `shutdown of runtime ${this.#name} exceeded the caller's deadline`,
        { cause: bound.signal.reason },
      );
    }).finally(() => bound.settle());
  }

  async #shutdown(signal: AbortSignal | undefined): Promise<void> {
    this.#dispatcher.close();
    this.#reporter.beginShutdown();
    const lifecycle = this.#lifecycle;
    const bound = new Attempt(this.#clock, Infinity, signal);
    const preempted = lifecycle.gate.close(() =>
      new WorkerkitError("runtime_shut_down")
    );
    let phase: ShutdownPhase = "preempt";
    try {
      await bound.race(preempted, "shutdown");
      phase = "drain";
      try {
        lifecycle.drainAll();
      } catch {
        // A drain that fails does not stop shutdown; stop follows anyway.
      }
      phase = "idle";
      await bound.race(
        this.#dispatcher.waitIdle(undefined, undefined),
        "shutdown",
      );
      phase = "stop";
      await lifecycle.stopAll(bound.signal, undefined);
    } catch (error) {
      if (!bound.signal.aborted) throw error;
      lifecycle.forceStopAll();
      preempted.then(() => lifecycle.forceStopAll());
      throw new WorkerkitError(
        "deadline_exceeded",
        `shutdown of runtime ${this.#name} exceeded its deadline in the ${phase} phase`,
        { cause: bound.signal.reason },
      );
    } finally {
      bound.settle();
    }
  }
}
