import type { Clock } from "../base/clock.ts";

/**
 * Notices a running worker that stopped making progress. A heartbeat only
 * records the time; the single timer checks lazily when it fires and
 * re-arms for the rest of the interval, so frequent heartbeats cost one
 * clock read each instead of a timer each.
 */
export class StallWatchdog {
  readonly #clock: Clock;
  readonly #timeout: number;
  readonly #onStall: () => void;
  #lastBeat = 0;
  #timer: unknown;
  #armed = false;

  /**
   * @param clock Time and timers.
   * @param timeoutMs How long without a heartbeat counts as stalled.
   * @param onStall Called once per stall.
   */
  constructor(clock: Clock, timeoutMs: number, onStall: () => void) {
    this.#clock = clock;
    this.#timeout = timeoutMs;
    this.#onStall = onStall;
  }

  /** Starts watching, counting from now. */
  arm(): void {
    this.disarm();
    this.#armed = true;
    this.#lastBeat = this.#clock.now();
    this.#schedule(this.#timeout);
  }

  /** Records progress; returns true if this ended a stall. */
  beat(): boolean {
    this.#lastBeat = this.#clock.now();
    if (!this.#armed || this.#timer !== undefined) return false;
    this.#schedule(this.#timeout);
    return true;
  }

  /** Stops watching. */
  disarm(): void {
    this.#armed = false;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#armed) return;
    const quiet = this.#clock.now() - this.#lastBeat;
    if (quiet < this.#timeout) {
      this.#schedule(this.#timeout - quiet);
      return;
    }
    this.#onStall();
  }
}
