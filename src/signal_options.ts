import { WorkerkitError } from "./base/errors.ts";

/** The optional last argument of every async operation, as with `fetch`. */
export interface SignalOptions {
  /** Cancels the operation; its deadline if it is an `AbortSignal.timeout`. */
  signal?: AbortSignal;
}

/** The caller's signal, after checking the options' shape. */
export function signalOf(
  options: SignalOptions | undefined,
): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") {
    throw new WorkerkitError("invalid_argument", "options must be an object");
  }
  const { signal } = options;
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new WorkerkitError("invalid_argument", "signal must be an AbortSignal");
}

/** One signal that aborts when any of the given ones does. */
export function anySignal(
  ...signals: Array<AbortSignal | undefined>
): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length < 2) return present[0];
  return AbortSignal.any(present);
}
