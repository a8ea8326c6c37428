// Property access that survives hostile values (throwing getters, revoked
// proxies): the failure projection and the HTTP error mapping read errors
// they do not trust.

/** Whether `value` can have properties (objects and functions). */
export function isObjectLike(value: unknown): value is object {
  return (typeof value === "object" && value !== null) ||
    typeof value === "function";
}

/** `value instanceof ctor`, or `false` when the check throws (revoked or hostile proxies). */
export function safeInstanceOf(value: unknown, ctor: unknown): boolean {
  if (!isObjectLike(value) || typeof ctor !== "function") return false;
  try {
    return value instanceof ctor;
  } catch {
    return false;
  }
}

/** Reads `value[key]`, or `undefined` when reading throws. */
export function safeGet(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}
