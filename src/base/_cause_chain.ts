import { isObjectLike, safeGet } from "./_safe_access.ts";

/** How many links of a `cause` chain are followed before giving up. */
export const MAX_CAUSE_DEPTH = 32;

/**
 * The first link of the `cause` chain starting at `error` (itself included)
 * for which `match` holds, or `undefined`. The one walker of cause chains:
 * bounded by {@linkcode MAX_CAUSE_DEPTH} and a visited set, so cyclic chains
 * end, and every read is guarded, so hostile values never make it throw
 * (unless `match` does).
 */
export function firstCause(
  error: unknown,
  match: (link: object) => boolean,
): object | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (!isObjectLike(current) || seen.has(current)) return undefined;
    seen.add(current);
    if (match(current)) return current;
    current = safeGet(current, "cause");
  }
  return undefined;
}
