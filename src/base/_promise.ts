// Promise helpers shared by every layer: racing an abort, keeping a stray
// rejection handled, and telling a thenable apart.

/**
 * Whether `value` is an object with a callable `then`. May throw when
 * reading `then` throws (a hostile getter); callers guard that.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function";
}

/** Attaches a no-op rejection handler when `value` is a thenable. */
export function ignoreRejection(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  try {
    const then = (value as { then?: unknown }).then;
    if (typeof then === "function") {
      then.call(value, undefined, () => {});
    }
  } catch {
    // A hostile thenable cannot hurt us either.
  }
}

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

/** Does nothing: the handler of a rejection that is already accounted for. */
export function noop(): void {}
