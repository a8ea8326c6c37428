import { validateCommandName, validateWorkerName } from "../../mod.ts";

/**
 * Whether `name` can name a worker or a component: 1–128 characters of
 * `a-z 0-9 - _`.
 *
 * @internal
 * @param name The candidate.
 * @returns `true` when it is well formed.
 * @throws Never.
 */
export function isName(name: string): boolean {
  return passes(validateWorkerName, name);
}

/**
 * Whether `name` can name a command: `/`-separated segments that are each
 * a valid name.
 *
 * @internal
 * @param name The candidate.
 * @returns `true` when it is well formed.
 * @throws Never.
 */
export function isCommandName(name: string): boolean {
  return passes(validateCommandName, name);
}

/**
 * Whether `ref` can name a worker: a local name, or a qualified
 * `runtime/worker` name, each part a valid name.
 *
 * @internal
 * @param ref The candidate.
 * @returns `true` when it is well formed.
 * @throws Never.
 */
export function isWorkerRef(ref: string): boolean {
  const slash = ref.indexOf("/");
  if (slash < 0) return isName(ref);
  return isName(ref.slice(0, slash)) && isName(ref.slice(slash + 1));
}

function passes(validate: (name: unknown) => void, name: string): boolean {
  try {
    validate(name);
    return true;
  } catch {
    return false;
  }
}
