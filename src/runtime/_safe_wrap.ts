import { ignoreRejection } from "../base/_promise.ts";

/**
 * Runs `fn` inside an observer's `wrap`, trusting the wrap only as far as it
 * behaves: a wrap that throws without calling `fn`, or never calls it, is
 * bypassed and `fn` runs plainly; `fn`'s own result or throw is what the
 * caller gets, whatever the wrap returns. `fn` runs exactly once.
 */
export function safeWrap<T>(
  wrap: (<R>(fn: () => R) => R) | undefined,
  thisArg: unknown,
  fn: () => T,
): T {
  if (typeof wrap !== "function") return fn();
  let outcome: { value: T } | { error: unknown } | undefined;
  const once = (): T => {
    if (outcome) return replay(outcome);
    try {
      const value = fn();
      outcome = { value };
      return value;
    } catch (error) {
      outcome = { error };
      throw error;
    }
  };
  try {
    // An async wrap that rejects must not become an unhandled rejection.
    ignoreRejection(wrap.call(thisArg, once));
  } catch {
    // Only the wrap's own failure is swallowed; fn's throw is re-raised below.
  }
  return outcome ? replay(outcome) : fn();
}

function replay<T>(outcome: { value: T } | { error: unknown }): T {
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}
