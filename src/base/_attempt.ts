import { raceAbort } from "./_promise.ts";
import type { Clock } from "./clock.ts";
import { WorkerkitError } from "./errors.ts";

/**
 * One lifecycle attempt's signal: it aborts at the attempt's own deadline or
 * when any linked signal (the caller's, shutdown's preemption) aborts, and
 * never after {@linkcode Attempt.settle}. The timer is a clearable one per
 * attempt — `AbortSignal.timeout` cannot be cleared and would leave a live
 * timer behind every call.
 */
export class Attempt {
  readonly #controller = new AbortController();
  readonly #clock: Clock;
  readonly #unlink: Array<() => void> = [];
  #timer: unknown;
  #timedOut = false;
  #settled = false;

  /**
   * @param clock Timers to use.
   * @param timeoutMs The deadline; `Infinity` means none.
   * @param links Signals whose abort aborts this attempt too.
   */
  constructor(
    clock: Clock,
    timeoutMs: number,
    ...links: Array<AbortSignal | undefined>
  ) {
    this.#clock = clock;
    for (const link of links) {
      if (!link) continue;
      if (link.aborted) {
        this.#abort(link.reason);
        return;
      }
      const onAbort = (): void => this.#abort(link.reason);
      link.addEventListener("abort", onAbort, { once: true });
      this.#unlink.push(() => link.removeEventListener("abort", onAbort));
    }
    if (Number.isFinite(timeoutMs)) {
      this.#timer = clock.setTimeout(() => {
        this.#timedOut = true;
        this.#abort(new DOMException("deadline exceeded", "TimeoutError"));
      }, timeoutMs);
    }
  }

  /** Aborts at the deadline or on a linked abort. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the abort, if any, came from this attempt's own deadline. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /**
   * The error a caller gets when the attempt's signal aborted: a
   * `deadline_exceeded` for the attempt's own deadline, otherwise the linked
   * signal's reason (as `fetch` does).
   */
  abortError(what: string): unknown {
    if (this.#timedOut) {
      return new WorkerkitError(
        "deadline_exceeded",
        `${what} exceeded its deadline`,
        {
          cause: this.#controller.signal.reason,
        },
      );
    }
    return this.#controller.signal.reason;
  }

  /**
   * Settles with `work`, or rejects as soon as the signal aborts even if
   * `work` never settles. A `work` that settles later is left to the caller
   * to track; its rejection is never unhandled.
   */
  race<T>(work: Promise<T>, what: string): Promise<T> {
    return raceAbort(
      work,
      this.#controller.signal,
      () => this.abortError(what),
    );
  }

  /** Ends the attempt: clears the timer and unlinks; the signal never aborts after. */
  settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clock.clearTimeout(this.#timer);
    for (const unlink of this.#unlink) unlink();
    this.#unlink.length = 0;
  }

  #abort(reason: unknown): void {
    if (this.#settled || this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    this.settle();
  }
}

/** Calls `fn` and always returns a promise, turning a synchronous throw into a rejection. */
export function invoke<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
