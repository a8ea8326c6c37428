// The one rule for options objects: a key the reader does not know is a
// mistake (`stallTimeOut`, `maxRestart`), refused with `invalid_argument`
// naming it, never silently ignored. A leaf: it imports only the errors.
import { WorkerkitError } from "./errors.ts";

/**
 * Throws unless every own enumerable string key of `options` is in `known`.
 * A hostile object whose keys cannot be listed is refused too.
 *
 * @param where The function and object, e.g. `"register()"`.
 * @param options A non-null object (check that first).
 * @param known The keys the reader accepts.
 * @throws {WorkerkitError} `invalid_argument` naming the first unknown key.
 */
export function refuseUnknownKeys(
  where: string,
  options: object,
  known: ReadonlySet<string>,
): void {
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch {
    throw new WorkerkitError(
      "invalid_argument",
      `${where}: the options object cannot be read`,
    );
  }
  for (const key of keys) {
    if (known.has(key)) continue;
    throw new WorkerkitError(
      "invalid_argument",
      `${where} has no option ${JSON.stringify(key)}`,
    );
  }
}
