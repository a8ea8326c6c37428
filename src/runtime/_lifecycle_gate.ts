/**
 * Runs lifecycle operations one at a time, in call order. Waiting for a turn
 * counts against the caller's signal. {@linkcode LifecycleGate.close}
 * preempts: the running operation's preemption signal aborts and queued
 * operations reject, as do all later ones.
 */
export class LifecycleGate {
  readonly #queue: Turn[] = [];
  #running: Promise<void> | undefined;
  #preempt: AbortController | undefined;
  #closedWith: (() => unknown) | undefined;

  /** Whether {@linkcode LifecycleGate.close} was called. */
  get closed(): boolean {
    return this.#closedWith !== undefined;
  }

  /**
   * Runs `op` when its turn comes. `op` receives a signal that aborts if the
   * gate is closed while it runs.
   */
  run<T>(
    op: (preempt: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (this.#closedWith) return Promise.reject(this.#closedWith());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const turn: Turn = {
        go: (preempt) => op(preempt).then(resolve, reject),
        reject,
      };
      if (signal) {
        const onAbort = (): void => {
          const index = this.#queue.indexOf(turn);
          if (index < 0) return;
          this.#queue.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        turn.unlink = () => signal.removeEventListener("abort", onAbort);
      }
      this.#queue.push(turn);
      this.#next();
    });
  }

  /**
   * Closes the gate for good: queued and later operations reject with
   * `reason()`, and the running one's preemption signal aborts. Resolves when
   * the running operation, if any, has settled.
   */
  close(reason: () => unknown): Promise<void> {
    if (!this.#closedWith) {
      this.#closedWith = reason;
      for (const turn of this.#queue.splice(0)) {
        turn.unlink?.();
        turn.reject(reason());
      }
      this.#preempt?.abort(
        new DOMException("preempted by shutdown", "AbortError"),
      );
    }
    return this.#running ?? Promise.resolve();
  }

  #next(): void {
    if (this.#running) return;
    const turn = this.#queue.shift();
    if (!turn) return;
    turn.unlink?.();
    const preempt = new AbortController();
    this.#preempt = preempt;
    this.#running = turn.go(preempt.signal).then(() => {
      this.#running = undefined;
      this.#preempt = undefined;
      this.#next();
    });
  }
}

interface Turn {
  go(preempt: AbortSignal): Promise<void>;
  reject(reason: unknown): void;
  unlink?: () => void;
}
