import type { Clock } from "../base/clock.ts";
import type { RetryBudgetOptions } from "../options.ts";
import { WorkerkitError } from "../base/errors.ts";

/** The window over which first attempts and retries are counted, ms. */
const WINDOW_MS = 10_000;
/** The window is kept as this many one-second buckets. */
const BUCKETS = 10;

/**
 * A runtime-wide retry budget: retries may add at most `ratio` of the
 * recent first attempts, plus a floor of `minPerSecond`. Past it a failed
 * attempt is not retried, so a struggling dependency sees at most
 * `(1 + ratio)` times its normal load instead of a storm of retries — what a
 * per-call retry policy cannot know. Counts live in one-second buckets over
 * a ten-second window, so each call is O(1).
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #floor: number;
  readonly #clock: Clock;
  readonly #firsts = new Array<number>(BUCKETS).fill(0);
  readonly #retries = new Array<number>(BUCKETS).fill(0);
  #second = 0;

  /**
   * @param options The ratio and floor.
   * @param clock Time source.
   * @throws {WorkerkitError} `invalid_argument` for a ratio outside [0, 1e6] or a negative floor.
   */
  constructor(options: RetryBudgetOptions, clock: Clock) {
    const ratio = options.ratio ?? 0.2;
    const minPerSecond = options.minPerSecond ?? 10;
    if (typeof ratio !== "number" || !(ratio >= 0) || ratio > 1e6) {
      throw new WorkerkitError(
        "invalid_argument",
        "retryBudget.ratio must be a number >= 0",
      );
    }
    if (typeof minPerSecond !== "number" || !(minPerSecond >= 0)) {
      throw new WorkerkitError(
        "invalid_argument",
        "retryBudget.minPerSecond must be a number >= 0",
      );
    }
    this.#ratio = ratio;
    this.#floor = minPerSecond * (WINDOW_MS / 1_000);
    this.#clock = clock;
    this.#second = Math.floor(clock.now() / 1_000);
  }

  /** Counts a first attempt. */
  first(): void {
    this.#firsts[this.#bucket()]!++;
  }

  /** Spends one retry if the budget allows it; false when exhausted. */
  tryRetry(): boolean {
    const bucket = this.#bucket();
    const allowed = this.#ratio * sum(this.#firsts) + this.#floor;
    if (sum(this.#retries) + 1 > allowed) return false;
    this.#retries[bucket]!++;
    return true;
  }

  /** Moves the window to now, clearing the buckets that fell out of it. */
  #bucket(): number {
    const second = Math.floor(this.#clock.now() / 1_000);
    const elapsed = Math.min(second - this.#second, BUCKETS);
    for (let i = 1; i <= elapsed; i++) {
      const stale = (this.#second + i) % BUCKETS;
      this.#firsts[stale] = 0;
      this.#retries[stale] = 0;
    }
    if (second > this.#second) this.#second = second;
    return ((this.#second % BUCKETS) + BUCKETS) % BUCKETS;
  }
}

function sum(values: number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
