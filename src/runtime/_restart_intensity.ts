/**
 * Erlang/OTP restart intensity: at most `maxRestarts` restarts within any
 * `withinMs` window. One more failure inside the window means the worker
 * is failing faster than restarting can help, and supervision gives up.
 */
export class RestartIntensity {
  readonly #max: number;
  readonly #within: number;
  readonly #times: number[] = [];

  /**
   * @param maxRestarts Restarts allowed in the window.
   * @param withinMs The window, ms.
   */
  constructor(maxRestarts: number, withinMs: number) {
    this.#max = maxRestarts;
    this.#within = withinMs;
  }

  /** Whether one more restart at `now` stays within the intensity. */
  allows(now: number): boolean {
    this.#prune(now);
    return this.#times.length < this.#max;
  }

  /** Records a restart at `now`; returns the restarts now in the window. */
  record(now: number): number {
    this.#prune(now);
    this.#times.push(now);
    return this.#times.length;
  }

  #prune(now: number): void {
    const oldest = now - this.#within;
    while (this.#times.length > 0 && this.#times[0]! <= oldest) {
      this.#times.shift();
    }
  }
}
