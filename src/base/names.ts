/**
 * Name rules for runtimes, workers and commands.
 *
 * - Runtime names and worker local names are non-empty, at most
 *   {@linkcode MAX_NAME_LENGTH} characters, and use only `a-z`, `0-9`, `-`
 *   and `_`.
 * - Command names are one or more `/`-separated segments, each following the
 *   worker-name rule (so each segment is at most
 *   {@linkcode MAX_NAME_LENGTH} characters), with the whole name at most
 *   {@linkcode MAX_COMMAND_NAME_LENGTH} characters: no empty segment and no
 *   leading or trailing `/`.
 *
 * The validators throw a {@linkcode WorkerkitError} with code `invalid_name`
 * and a message saying what is wrong. The message echoes at most a short,
 * escaped prefix of the offending value, so a huge or hostile string cannot
 * blow it up.
 *
 * @module
 */

import { WorkerkitError } from "./errors.ts";

/**
 * The longest runtime name, worker local name or command segment, in UTF-16
 * code units (all allowed characters are ASCII, so also in characters).
 *
 * @internal
 * @example Checking a generated name against the limit
 * ```ts
 * import { MAX_NAME_LENGTH } from "./names.ts";
 *
 * const name = `shard-${"0".repeat(4)}`;
 * console.log(name.length <= MAX_NAME_LENGTH);
 * ```
 */
export const MAX_NAME_LENGTH = 128;

/**
 * The longest command name, `/` separators included.
 *
 * @internal
 * @example Checking a generated command name against the limit
 * ```ts
 * import { MAX_COMMAND_NAME_LENGTH } from "./names.ts";
 *
 * const command = ["cache", "refresh"].join("/");
 * console.log(command.length <= MAX_COMMAND_NAME_LENGTH);
 * ```
 */
export const MAX_COMMAND_NAME_LENGTH = 256;

/** How many characters of an invalid value a message echoes. */
const PREVIEW_LENGTH = 32;

const SLASH = 0x2f;

/** Whether a UTF-16 code unit is one of `a-z 0-9 - _`. */
function isNameCode(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x5f; // _
}

/**
 * Fast check of a runtime name or worker local name: non-empty, at most
 * {@linkcode MAX_NAME_LENGTH} characters, only `a-z 0-9 - _`. A plain
 * char-code loop with no allocation, for the dispatch hot path; use
 * {@linkcode validateWorkerName} or {@linkcode validateRuntimeName} to get a
 * reason.
 *
 * @param s The candidate name.
 * @returns `true` when `s` is a valid name; `false` otherwise, including when
 * `s` is not a string at all.
 *
 * @example Checking a name without building an error
 * ```ts
 * import { isValidName } from "@workerkit/core";
 *
 * console.log(isValidName("mailer"), isValidName("Mailer"));
 * ```
 */
export function isValidName(s: string): boolean {
  if (typeof s !== "string") return false;
  const n = s.length;
  if (n === 0 || n > MAX_NAME_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    if (!isNameCode(s.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * Whether `ref` can name a worker: a local name (`mailer`) or a qualified
 * `runtime/worker` name (`billing/mailer`), each part a valid name (see
 * {@linkcode isValidName}). The one parser of worker references: the
 * runtime and the HTTP router both use it.
 *
 * @param ref The candidate reference.
 * @returns `true` when `ref` is a well-formed worker reference; `false`
 * otherwise, including when `ref` is not a string at all.
 *
 * @example Checking worker references
 * ```ts
 * import { isWorkerRef } from "@workerkit/core";
 *
 * console.log(isWorkerRef("mailer"), isWorkerRef("billing/mailer")); // true true
 * console.log(isWorkerRef("billing/"), isWorkerRef("a/b/c")); // false false
 * ```
 */
export function isWorkerRef(ref: string): boolean {
  if (typeof ref !== "string") return false;
  const slash = ref.indexOf("/");
  if (slash < 0) return isValidName(ref);
  return isValidName(ref.slice(0, slash)) && isValidName(ref.slice(slash + 1));
}

/**
 * Fast check of a command name: one or more `/`-separated segments, each a
 * valid name (see {@linkcode isValidName}), the whole at most
 * {@linkcode MAX_COMMAND_NAME_LENGTH} characters. A plain char-code loop
 * with no allocation, for the dispatch hot path; use
 * {@linkcode validateCommandName} to get a reason.
 *
 * @param s The candidate command name.
 * @returns `true` when `s` is a valid command name; `false` otherwise,
 * including when `s` is not a string at all.
 *
 * @example Checking a command name without building an error
 * ```ts
 * import { isValidCommandName } from "@workerkit/core";
 *
 * console.log(isValidCommandName("cache/refresh"), isValidCommandName("cache/"));
 * ```
 */
export function isValidCommandName(s: string): boolean {
  if (typeof s !== "string") return false;
  const n = s.length;
  if (n === 0 || n > MAX_COMMAND_NAME_LENGTH) return false;
  let segmentStart = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === SLASH) {
      const length = i - segmentStart;
      if (length === 0 || length > MAX_NAME_LENGTH) return false;
      segmentStart = i + 1;
    } else if (!isNameCode(c)) {
      return false;
    }
  }
  const last = n - segmentStart;
  return last !== 0 && last <= MAX_NAME_LENGTH;
}

/**
 * Checks a runtime name: non-empty, at most {@linkcode MAX_NAME_LENGTH}
 * characters, only `a-z`, `0-9`, `-` and `_`.
 *
 * @param name The candidate runtime name; any value is accepted and checked.
 * @throws {WorkerkitError} With code `invalid_name` when `name` is not a
 * string, is empty, is too long or holds a character outside `a-z 0-9 - _`.
 * The message says which rule failed.
 *
 * @example Refusing a bad runtime name
 * ```ts
 * import { validateRuntimeName, WorkerkitError } from "@workerkit/core";
 *
 * validateRuntimeName("billing");
 * try {
 *   validateRuntimeName("Billing");
 * } catch (error) {
 *   if (error instanceof WorkerkitError) console.log(error.code, error.message);
 * }
 * ```
 */
export function validateRuntimeName(name: unknown): void {
  if (typeof name === "string" && isValidName(name)) return;
  throw new WorkerkitError("invalid_name", nameProblem(name, "runtime name"));
}

/**
 * Checks a worker's local name (the part after `runtime/` in a qualified
 * name): non-empty, at most {@linkcode MAX_NAME_LENGTH} characters, only
 * `a-z`, `0-9`, `-` and `_`.
 *
 * @param name The candidate worker local name; any value is accepted and
 * checked.
 * @throws {WorkerkitError} With code `invalid_name` when `name` is not a
 * string, is empty, is too long or holds a character outside `a-z 0-9 - _`
 * (a qualified `runtime/worker` name is refused here too). The message says
 * which rule failed.
 *
 * @example Refusing a bad worker name
 * ```ts
 * import { validateWorkerName, WorkerkitError } from "@workerkit/core";
 *
 * validateWorkerName("invoice-mailer");
 * try {
 *   validateWorkerName("invoice mailer");
 * } catch (error) {
 *   if (error instanceof WorkerkitError && error.code === "invalid_name") {
 *     console.log(error.message);
 *   }
 * }
 * ```
 */
export function validateWorkerName(name: unknown): void {
  if (typeof name === "string" && isValidName(name)) return;
  throw new WorkerkitError("invalid_name", nameProblem(name, "worker name"));
}

/**
 * Checks a command name: one or more `/`-separated segments (`cache/refresh`,
 * `index/re-build`), each non-empty, at most {@linkcode MAX_NAME_LENGTH}
 * characters and made of `a-z`, `0-9`, `-` and `_`; the whole name at most
 * {@linkcode MAX_COMMAND_NAME_LENGTH} characters, with no leading or trailing
 * `/`.
 *
 * @param name The candidate command name; any value is accepted and checked.
 * @throws {WorkerkitError} With code `invalid_name` when `name` is not a
 * string, is empty, is too long, starts or ends with `/`, has an empty or
 * too long segment, or holds a character outside `a-z 0-9 - _ /`. The
 * message says which rule failed.
 *
 * @example Refusing a bad command name
 * ```ts
 * import { validateCommandName, WorkerkitError } from "@workerkit/core";
 *
 * validateCommandName("cache/refresh");
 * try {
 *   validateCommandName("cache//refresh");
 * } catch (error) {
 *   if (error instanceof WorkerkitError) console.log(error.message);
 * }
 * ```
 */
export function validateCommandName(name: unknown): void {
  if (typeof name === "string" && isValidCommandName(name)) return;
  throw new WorkerkitError("invalid_name", commandProblem(name));
}

// ---------------------------------------------------------------------------
// Messages. Only reached on the failure path, so clarity beats speed here.

type NameKind = "runtime name" | "worker name";

const ALLOWED = 'only a-z, 0-9, "-" and "_" are allowed';

/** `Array.isArray`, which throws on a revoked proxy; such a value is no array. */
function isArray(value: unknown): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** The type of a non-string value, without touching the value itself. */
function describeType(value: unknown): string {
  if (value === null) return "null";
  if (isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined" ? type : `a ${type}`;
}

/** A short, escaped, quoted prefix of `s`, safe to put in a message. */
function preview(s: string): string {
  if (s.length <= PREVIEW_LENGTH) return JSON.stringify(s);
  // JSON.stringify escapes control characters and a lone surrogate left by
  // cutting a pair in half.
  return `${JSON.stringify(s.slice(0, PREVIEW_LENGTH))}…`;
}

/** Describes the character at `index`, e.g. `"A" (U+0041)` or `space (U+0020)`. */
function describeChar(s: string, index: number): string {
  const cp = s.codePointAt(index) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  if (cp === 0x20) return `space (${hex})`;
  return `${JSON.stringify(String.fromCodePoint(cp))} (${hex})`;
}

/** The hint appended to a bad-character message, if any. */
function charHint(c: number, kind: string): string {
  if (c >= 0x41 && c <= 0x5a) return "; names are lower-case";
  if (c === SLASH && kind === "worker name") {
    return '; use the local name, not the qualified "runtime/worker" name';
  }
  return "";
}

function badCharMessage(kind: string, s: string, index: number): string {
  const c = s.charCodeAt(index);
  return `invalid ${kind} ${preview(s)}: character ${
    describeChar(s, index)
  } at index ${index} is not allowed; ${ALLOWED}${charHint(c, kind)}`;
}

function nameProblem(name: unknown, kind: NameKind): string {
  if (typeof name !== "string") {
    return `invalid ${kind}: must be a string, got ${describeType(name)}`;
  }
  if (name.length === 0) return `invalid ${kind}: must not be empty`;
  if (name.length > MAX_NAME_LENGTH) {
    return `invalid ${kind} ${
      preview(name)
    }: ${name.length} characters long, the maximum is ${MAX_NAME_LENGTH}`;
  }
  for (let i = 0; i < name.length; i++) {
    if (!isNameCode(name.charCodeAt(i))) return badCharMessage(kind, name, i);
  }
  // Unreachable when called after isValidName() failed; kept total.
  return `invalid ${kind} ${preview(name)}`;
}

function commandProblem(name: unknown): string {
  const kind = "command name";
  if (typeof name !== "string") {
    return `invalid ${kind}: must be a string, got ${describeType(name)}`;
  }
  const n = name.length;
  if (n === 0) return `invalid ${kind}: must not be empty`;
  if (n > MAX_COMMAND_NAME_LENGTH) {
    return `invalid ${kind} ${
      preview(name)
    }: ${n} characters long, the maximum is ${MAX_COMMAND_NAME_LENGTH}`;
  }
  if (name.charCodeAt(0) === SLASH) {
    return `invalid ${kind} ${preview(name)}: must not start with "/"`;
  }
  if (name.charCodeAt(n - 1) === SLASH) {
    return `invalid ${kind} ${preview(name)}: must not end with "/"`;
  }
  let segmentStart = 0;
  let segment = 1;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? SLASH : name.charCodeAt(i);
    if (c === SLASH) {
      const length = i - segmentStart;
      if (length === 0) {
        return `invalid ${kind} ${
          preview(name)
        }: segment ${segment} is empty (consecutive "/" at index ${i})`;
      }
      if (length > MAX_NAME_LENGTH) {
        return `invalid ${kind} ${
          preview(name)
        }: segment ${segment} is ${length} characters long, the maximum is ${MAX_NAME_LENGTH}`;
      }
      segmentStart = i + 1;
      segment++;
    } else if (!isNameCode(c)) {
      return badCharMessage(kind, name, i);
    }
  }
  // Unreachable when called after isValidCommandName() failed; kept total.
  return `invalid ${kind} ${preview(name)}`;
}
