// A Clock whose time only moves when a test calls advance(). Timers fire in
// time order (ties in scheduling order), with the event loop drained between
// timers so that promise chains started by one timer settle before the next.
import type { Clock } from "../../src/base/clock.ts";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Lets every pending microtask and already-due macrotask run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();
  /** Every delay passed to setTimeout, in call order. */
  readonly scheduled: number[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    this.scheduled.push(ms);
    const wait = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { id, at: this.#now + wait, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  /** How many timers are scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way
   * (including timers scheduled by earlier timers), in time order.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.at > target) continue;
        if (
          next === undefined || timer.at < next.at ||
          (timer.at === next.at && timer.id < next.id)
        ) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}
