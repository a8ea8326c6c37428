import { isValidName } from "../names.ts";

/**
 * Whether `ref` can name a worker: a local name, or a qualified
 * `runtime/worker` name, each part non-empty and only `a-z 0-9 - _`.
 *
 * @internal
 * @param ref The candidate.
 * @returns `true` when it is a well-formed worker name.
 * @throws Never.
 */
export function isWorkerRef(ref: string): boolean {
  const slash = ref.indexOf("/");
  if (slash < 0) return isValidName(ref);
  return isValidName(ref.slice(0, slash)) && isValidName(ref.slice(slash + 1));
}
