/** Longer than any shutdown; below the 2³¹ − 1 ms timer limit. */
const PERIOD_MS = 2 ** 30;

/**
 * Holds the event loop open until the returned release is called. Node
 * exits as soon as nothing is pending — an idle, worker-only service would
 * end at once with "unsettled top-level await" (exit code 13) — and its
 * signal listeners do not count; one ordinary interval does, on every
 * runtime, and costs nothing while it waits.
 */
export function holdEventLoop(): () => void {
  const timer = setInterval(() => {}, PERIOD_MS);
  return () => clearInterval(timer);
}
