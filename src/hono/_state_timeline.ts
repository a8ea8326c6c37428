/** A change point of a timeline: from `at` (ms) on, the value holds. */
export type Point<T> = readonly [at: number, value: T];

/** Most change points one timeline keeps (a flapping worker stays bounded). */
const MAX_POINTS = 512;

/**
 * A value over time as change points, trimmed to a sliding window: the
 * last point before the window stays, so the window's start is known.
 */
export class Timeline<T> {
  readonly #points: Point<T>[] = [];

  /** The current value, if any. */
  get current(): T | undefined {
    return this.#points.at(-1)?.[1];
  }

  /**
   * Records `value` from `at` on; a repeat of the current value is no
   * change.
   */
  set(at: number, value: T): void {
    if (this.#points.length > 0 && this.current === value) return;
    this.#points.push([at, value]);
    if (this.#points.length > MAX_POINTS) this.#points.shift();
  }

  /**
   * The points that matter for a window starting at `start`: the last one
   * at or before it, and every later one.
   */
  read(start: number): Point<T>[] {
    let from = 0;
    for (let i = 0; i < this.#points.length; i++) {
      if (this.#points[i]![0] <= start) from = i;
      else break;
    }
    if (from > 0) this.#points.splice(0, from);
    return this.#points.slice();
  }
}

/** Times of discrete events (restarts) in a sliding window. */
export class Marks {
  readonly #times: number[] = [];

  add(at: number): void {
    this.#times.push(at);
    if (this.#times.length > MAX_POINTS) this.#times.shift();
  }

  /** The marks at or after `start`. */
  read(start: number): number[] {
    while (this.#times.length > 0 && this.#times[0]! < start) {
      this.#times.shift();
    }
    return this.#times.slice();
  }
}
