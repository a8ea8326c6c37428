import type { Clock } from "../base/clock.ts";

/** A registered deadline; {@linkcode DeadlineScheduler.cancel} it once settled. */
export interface Deadline {
  /** When it expires, in clock ms. */
  readonly at: number;
  /** Called once at expiry, unless cancelled first. */
  onExpire: (() => void) | undefined;
  /** The queue it waits in. */
  readonly queue: Queue;
  /** `this` of `onExpire`: lets callers share one function, no closure per deadline. */
  readonly target: unknown;
}

/**
 * Many deadlines on one timer. A per-call timer costs about as much as the
 * whole rest of a dispatch, so command attempts register here instead:
 * deadlines of one duration expire in the order they were added, so each
 * duration keeps a FIFO queue, and a single clock timer is armed for the
 * earliest head. Settled entries are only marked; they leave the queue when
 * they reach its head, which in the common in-order case is at once.
 */
export class DeadlineScheduler {
  readonly #clock: Clock;
  readonly #queues = new Map<number, Queue>();
  #timer: unknown;
  #armedAt = Infinity;
  #idleCheck: unknown;
  #size = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Registers `onExpire` to run `ms` from `now` (the clock's, unless the
   * caller just read it), called on `target` if one is given.
   */
  add(
    ms: number,
    onExpire: () => void,
    now: number = this.#clock.now(),
    target?: unknown,
  ): Deadline {
    let queue = this.#queues.get(ms);
    if (!queue) {
      queue = { items: [], head: 0 };
      this.#queues.set(ms, queue);
    }
    const deadline: Deadline = { at: now + ms, onExpire, queue, target };
    queue.items.push(deadline);
    this.#size++;
    if (deadline.at < this.#armedAt) this.#arm(deadline.at);
    return deadline;
  }

  /** Forgets a deadline; it will never fire. */
  cancel(deadline: Deadline): void {
    if (deadline.onExpire === undefined) return;
    deadline.onExpire = undefined;
    this.#size--;
    dropSettledHeads(deadline.queue);
    if (this.#size === 0) this.#whenIdle();
  }

  /** Clears every timer; pending deadlines never fire. */
  dispose(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#clock.clearTimeout(this.#idleCheck);
    this.#timer = this.#idleCheck = undefined;
    this.#armedAt = Infinity;
    for (const queue of this.#queues.values()) {
      for (const deadline of queue.items) deadline.onExpire = undefined;
    }
    this.#queues.clear();
    this.#size = 0;
  }

  #arm(at: number): void {
    this.#clock.clearTimeout(this.#timer);
    this.#armedAt = at;
    const wait = Math.max(0, at - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#fire(), wait);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    let next = Infinity;
    // Expiring a burst takes time, and deadlines fall due meanwhile: expire
    // those in the same pass rather than behind a new timer, which would run
    // only after every microtask the burst queued (each caller's answer).
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const now = this.#clock.now();
      next = Infinity;
      for (const [ms, queue] of this.#queues) {
        const head = this.#expire(queue, now);
        if (head === undefined) this.#queues.delete(ms);
        else if (head.at < next) next = head.at;
      }
      if (next > this.#clock.now()) break;
    }
    if (next < Infinity) this.#arm(next);
  }

  /** Runs the queue's expired entries and returns its first live one. */
  #expire(queue: Queue, now: number): Deadline | undefined {
    const { items } = queue;
    while (queue.head < items.length) {
      const deadline = items[queue.head]!;
      if (deadline.onExpire !== undefined && deadline.at > now) {
        compact(queue);
        return deadline;
      }
      queue.head++;
      const onExpire = deadline.onExpire;
      if (onExpire === undefined) continue;
      deadline.onExpire = undefined;
      this.#size--;
      try {
        onExpire.call(deadline.target);
      } catch {
        // Expiry handlers are ours and do not throw; never let one stop the rest.
      }
    }
    return undefined;
  }

  /**
   * With nothing pending, drops the armed timer a moment later rather than
   * at once: a burst of back-to-back calls then shares one timer instead of
   * setting and clearing one each.
   */
  #whenIdle(): void {
    if (this.#timer === undefined || this.#idleCheck !== undefined) return;
    this.#idleCheck = this.#clock.setTimeout(() => {
      this.#idleCheck = undefined;
      if (this.#size > 0) return;
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedAt = Infinity;
      this.#queues.clear();
    }, 0);
  }
}

/** How many times one timer's callback looks again for deadlines that fell due while it ran. */
const MAX_PASSES = 16;

/** Deadlines of one duration, in expiry order, from `head` on. */
export interface Queue {
  items: Deadline[];
  head: number;
}

/** Drops settled entries from the front, so in-order settling keeps the queue empty. */
function dropSettledHeads(queue: Queue): void {
  const { items } = queue;
  while (
    queue.head < items.length && items[queue.head]!.onExpire === undefined
  ) {
    queue.head++;
  }
  if (queue.head === items.length) {
    items.length = 0;
    queue.head = 0;
    return;
  }
  compact(queue);
}

function compact(queue: Queue): void {
  if (queue.head < 1024 || queue.head * 2 < queue.items.length) return;
  queue.items.splice(0, queue.head);
  queue.head = 0;
}
