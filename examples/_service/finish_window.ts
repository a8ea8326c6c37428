// The time work in hand may still take once a worker drains.

/** A signal that aborts a while after drain, and its release. */
export interface FinishWindow {
  /** Aborts `ms` after drain began: give up on the work in hand then. */
  signal: AbortSignal;
  /** Clears the timer once the work is done. */
  close(): void;
}

/**
 * Opens a window of `ms` from the moment `drain` aborts. A loop's own signal
 * aborts as soon as stop begins — right after drain during a shutdown — so
 * work that should finish cannot use it; it uses this window, and what does
 * not finish within it is abandoned unacknowledged (and so redelivered).
 * Keep `ms` inside the shutdown budget.
 */
export function finishWindow(drain: AbortSignal, ms: number): FinishWindow {
  const window = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onDrain = (): void => {
    timer = setTimeout(() => {
      window.abort(new DOMException("finish window over", "TimeoutError"));
    }, ms);
  };
  if (drain.aborted) onDrain();
  else drain.addEventListener("abort", onDrain, { once: true });
  return {
    signal: window.signal,
    close() {
      drain.removeEventListener("abort", onDrain);
      clearTimeout(timer);
    },
  };
}
