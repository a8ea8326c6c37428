/**
 * Waits until `wake(waiters)` is called, or rejects with the signal's
 * reason; an aborted waiter removes itself from the list.
 */
export function waitFor(
  waiters: Array<() => void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      const index = waiters.indexOf(done);
      if (index >= 0) waiters.splice(index, 1);
      reject(signal?.reason);
    };
    const done = (): void => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    waiters.push(done);
  });
}

/** Resolves every waiter. */
export function wake(waiters: Array<() => void>): void {
  for (const resolve of waiters) resolve();
}
