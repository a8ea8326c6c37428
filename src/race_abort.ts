/**
 * Settles with `work`, or rejects with `onAbort()` as soon as `signal`
 * aborts, even if `work` never settles. The listener is removed once either
 * happens, and a later rejection of `work` is handled, never unhandled.
 */
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
  onAbort: () => unknown,
): Promise<T> {
  if (signal.aborted) {
    work.then(undefined, () => {});
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener("abort", abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}
