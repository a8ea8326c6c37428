import { firstCause } from "./base/_cause_chain.ts";
import { isObjectLike, safeGet, safeInstanceOf } from "./base/_safe_access.ts";
import { PUBLIC_MESSAGES, WorkerkitError } from "./base/errors.ts";
import {
  isValidFailureCode,
  isValidFailureMessage,
  OperationalFailure,
  publicTextOf,
} from "./base/operational_failure.ts";

/**
 * The public face of a failure: what status, events' public fields, logs,
 * spans, metrics and HTTP bodies show. It never holds an arbitrary error's
 * text.
 *
 * @example Reading a projected failure
 * ```ts
 * import { type PublicFailure, publicFailure } from "@workerkit/core";
 *
 * const failure: PublicFailure = publicFailure(new Error("boom"), "command");
 * console.log(`${failure.code}: ${failure.message}`); // command_failed: command failed
 * ```
 */
export interface PublicFailure {
  /** A stable, machine-readable code. */
  code: string;
  /** A fixed or explicitly public message. */
  message: string;
}

/**
 * Where a failure happened, which picks the generic code for errors that say
 * nothing public about themselves: `"lifecycle"` (start, stop, reported
 * failures) → `worker_failed`, `"command"` → `command_failed`,
 * `"loop_cleanup"` → `loop_cleanup_failed`.
 *
 * @example Projecting the same error in two contexts
 * ```ts
 * import { type FailureContext, publicFailure } from "@workerkit/core";
 *
 * const contexts: FailureContext[] = ["lifecycle", "command"];
 * for (const context of contexts) {
 *   console.log(publicFailure(new Error("boom"), context).code);
 * }
 * ```
 */
export type FailureContext = "lifecycle" | "command" | "loop_cleanup";

const DEADLINE_MESSAGE = "deadline exceeded";
const CANCELED_MESSAGE = "canceled";
const PANIC_MESSAGE = "worker threw a non-error value";

/** `Error.isError` where the platform has it (not Node 22); feature-detected. */
const errorIsError: ((value: unknown) => boolean) | undefined = (() => {
  try {
    const fn = (Error as { isError?: unknown }).isError;
    return typeof fn === "function"
      ? (fn as (value: unknown) => boolean)
      : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * Whether `value` is an `Error`: `Error.isError` (which sees through realms
 * and never runs proxy traps), else `instanceof Error`, else `instanceof
 * DOMException` (Bun's `Error.isError` says `false` for a `DOMException`).
 */
function isErrorLike(value: unknown): boolean {
  if (!isObjectLike(value)) return false;
  if (errorIsError !== undefined) {
    try {
      if (errorIsError(value)) return true;
    } catch {
      // Fall through to the prototype checks.
    }
  }
  if (safeInstanceOf(value, Error)) return true;
  return typeof DOMException === "function" &&
    safeInstanceOf(value, DOMException);
}

/** `"deadline"` for a `TimeoutError`, `"cancel"` for an `AbortError`, else `undefined`. */
function abortKind(error: unknown): "deadline" | "cancel" | undefined {
  if (!isErrorLike(error)) return undefined;
  const name = safeGet(error as object, "name");
  if (name === "TimeoutError") return "deadline";
  if (name === "AbortError") return "cancel";
  return undefined;
}

/**
 * Whether `error` is an abort: an `Error` or `DOMException` named
 * `"TimeoutError"` (a deadline, as `AbortSignal.timeout()` raises) or
 * `"AbortError"` (a cancellation, as `AbortSignal.abort()` raises). Never
 * throws, even on hostile values.
 *
 * @internal
 * @param error Any thrown value.
 * @returns `true` for a `TimeoutError` or `AbortError`, `false` otherwise.
 *
 * @example Telling an abort from a failure
 * ```ts
 * import { isAbortLike } from "./failure.ts";
 *
 * console.log(isAbortLike(AbortSignal.abort().reason), isAbortLike(new Error("boom")));
 * ```
 */
export function isAbortLike(error: unknown): boolean {
  try {
    return abortKind(error) !== undefined;
  } catch {
    return false;
  }
}

function generic(context: FailureContext): PublicFailure {
  switch (context) {
    case "command":
      return { code: "command_failed", message: "command failed" };
    case "loop_cleanup":
      return { code: "loop_cleanup_failed", message: "loop cleanup failed" };
    default:
      return { code: "worker_failed", message: "worker operation failed" };
  }
}

/**
 * The first `OperationalFailure` in the cause chain starting at `error`, or
 * `undefined`: its code and message as fixed at construction, whatever was
 * done to the error since. Bounded by depth and a visited set, so cyclic
 * chains end.
 */
function findOperational(error: unknown): PublicFailure | undefined {
  let found: PublicFailure | undefined;
  firstCause(error, (link) => {
    found = publicTextOf(link) ?? proxiedText(link);
    return found !== undefined;
  });
  return found;
}

/**
 * The text of something that passes for an `OperationalFailure` without
 * being one that was constructed (a proxy around one): read now, and used
 * only while it is still a valid code and message.
 */
function proxiedText(value: object): PublicFailure | undefined {
  if (!safeInstanceOf(value, OperationalFailure)) return undefined;
  const code = safeGet(value, "code");
  const message = safeGet(value, "message");
  if (isValidFailureCode(code) && isValidFailureMessage(message)) {
    return { code, message };
  }
  return undefined;
}

/** The projection proper; may only throw on something truly unforeseen. */
function project(error: unknown, context: FailureContext): PublicFailure {
  const operational = findOperational(error);
  if (operational !== undefined) return operational;

  if (safeInstanceOf(error, WorkerkitError)) {
    const code = safeGet(error as object, "code");
    if (typeof code === "string" && Object.hasOwn(PUBLIC_MESSAGES, code)) {
      return {
        code,
        message: PUBLIC_MESSAGES[code as keyof typeof PUBLIC_MESSAGES],
      };
    }
    return generic(context);
  }

  if (!isErrorLike(error)) {
    return { code: "panic", message: PANIC_MESSAGE };
  }

  const kind = abortKind(error);
  if (kind === "deadline") {
    return { code: "deadline_exceeded", message: DEADLINE_MESSAGE };
  }
  if (kind === "cancel") return { code: "canceled", message: CANCELED_MESSAGE };

  return generic(context);
}

/**
 * Projects any thrown value to its public code and message. Arbitrary error
 * text may hold secrets, so only explicitly public text comes through. First
 * match wins:
 *
 * 1. an {@linkcode OperationalFailure} anywhere in the `cause` chain
 *    (starting with `error` itself, at most 32 links) → the code and message
 *    it was constructed with (later changes to the error are ignored);
 * 2. a {@linkcode WorkerkitError} → its code with the fixed public message
 *    for that code (never the error's own, more specific message);
 * 3. an `Error` or `DOMException` named `"TimeoutError"` (a deadline) →
 *    `deadline_exceeded` / "deadline exceeded";
 * 4. one named `"AbortError"` → `canceled` / "canceled";
 * 5. a thrown non-`Error` value (string, number, `undefined`, `null`, plain
 *    or null-prototype object, function, a proxy that hides what it wraps) →
 *    `panic` / "worker threw a non-error value";
 * 6. anything else → by `context`: `worker_failed` / "worker operation
 *    failed", `command_failed` / "command failed", or `loop_cleanup_failed` /
 *    "loop cleanup failed".
 *
 * Every property read and `instanceof` check is guarded, so throwing
 * getters, proxies whose traps throw, revoked proxies, cyclic `cause` chains
 * and frozen or null-prototype objects are all projected without throwing.
 * The result is a fresh object each call.
 *
 * @param error Any thrown value.
 * @param context Where it was thrown; picks the generic code (rule 6).
 * @returns The public code and message.
 * @throws Never: projection is total, even on hostile values.
 *
 * @example Hiding a private message
 * ```ts
 * import { publicFailure } from "@workerkit/core";
 *
 * const failure = publicFailure(new Error("password=hunter2"), "command");
 * console.log(failure); // { code: "command_failed", message: "command failed" }
 * ```
 *
 * @example Passing an explicitly public reason through
 * ```ts
 * import { OperationalFailure, publicFailure } from "@workerkit/core";
 *
 * const reason = new OperationalFailure({ code: "quota_exceeded", message: "quota exceeded" });
 * const wrapped = new Error("handler failed", { cause: reason });
 * console.log(publicFailure(wrapped, "lifecycle").code); // "quota_exceeded"
 * ```
 */
export function publicFailure(
  error: unknown,
  context: FailureContext,
): PublicFailure {
  try {
    return project(error, context);
  } catch {
    return generic(context);
  }
}
