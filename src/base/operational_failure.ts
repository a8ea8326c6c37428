import { WorkerkitError } from "./errors.ts";

/** The longest {@linkcode OperationalFailure} code. */
const MAX_CODE_LENGTH = 64;

/** The longest {@linkcode OperationalFailure} public message. */
const MAX_MESSAGE_LENGTH = 1024;

/**
 * Whether `code` is acceptable as an {@linkcode OperationalFailure} code: a
 * non-empty string of at most 64 characters from `a-z 0-9 _ . -`. Never
 * throws; a non-string is simply invalid.
 *
 * @internal
 * @param code The candidate code.
 * @returns `true` when `code` is a valid public failure code.
 *
 * @example Checking a code before building a failure
 * ```ts
 * import { isValidFailureCode } from "./operational_failure.ts";
 *
 * console.log(isValidFailureCode("payment.declined"), isValidFailureCode("Bad Code"));
 * ```
 */
export function isValidFailureCode(code: unknown): code is string {
  if (typeof code !== "string") return false;
  const n = code.length;
  if (n === 0 || n > MAX_CODE_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = code.charCodeAt(i);
    if (
      !((c >= 0x61 && c <= 0x7a) || // a-z
        (c >= 0x30 && c <= 0x39) || // 0-9
        c === 0x5f || // _
        c === 0x2e || // .
        c === 0x2d) // -
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Whether `message` is acceptable as an {@linkcode OperationalFailure}
 * public message: a string of at most 1024 characters. Never throws.
 *
 * @internal
 * @param message The candidate message.
 * @returns `true` when `message` is a valid public failure message.
 *
 * @example Checking a message before building a failure
 * ```ts
 * import { isValidFailureMessage } from "./operational_failure.ts";
 *
 * console.log(isValidFailureMessage("card declined"), isValidFailureMessage(42));
 * ```
 */
export function isValidFailureMessage(message: unknown): message is string {
  return typeof message === "string" && message.length <= MAX_MESSAGE_LENGTH;
}

/**
 * The public code and message of every {@linkcode OperationalFailure}, as
 * checked when it was constructed. Kept outside the error so that
 * `error.message += " (" + url + ")"` or a reassigned `code` changes what
 * the direct caller sees, never what is published.
 */
const PUBLIC = new WeakMap<object, { code: string; message: string }>();

/**
 * The public code and message `error` was constructed with, when it is an
 * {@linkcode OperationalFailure}; `undefined` for anything else. Never
 * throws and never runs user code (no property reads, no proxy traps).
 *
 * @internal
 * @param error Any value.
 * @returns A fresh `{ code, message }`, or `undefined`.
 * @throws Never.
 *
 * @example Reading the fixed public text
 * ```ts
 * import { OperationalFailure, publicTextOf } from "./operational_failure.ts";
 *
 * const failure = new OperationalFailure({ code: "quota", message: "quota exceeded" });
 * failure.message += " for key sk_live_x";
 * console.log(publicTextOf(failure)); // { code: "quota", message: "quota exceeded" }
 * ```
 */
export function publicTextOf(
  error: unknown,
): { code: string; message: string } | undefined {
  if (
    (typeof error !== "object" || error === null) && typeof error !== "function"
  ) return undefined;
  const text = PUBLIC.get(error);
  return text === undefined ? undefined : { ...text };
}

/**
 * An error that marks an explicitly safe public code and message. Workerkit
 * never publishes an arbitrary error's text (it may hold secrets); when a
 * worker or command handler throws an `OperationalFailure` — or any error
 * whose `cause` chain holds one — status, events, logs and HTTP bodies show
 * this code and message instead of a generic one. The private original goes
 * in `cause`, which only the direct caller and observers see. The public
 * code and message are fixed when the failure is constructed: appending to
 * `message` later (a common `catch` idiom) or reassigning `code` changes the
 * error the caller holds, never what is published.
 *
 * @example Wrapping a private error with a public reason
 * ```ts
 * import { OperationalFailure, publicFailure } from "@workerkit/core";
 *
 * const original = new Error("POST https://api.example/charge?key=sk_live_x: 503");
 * const failure = new OperationalFailure(
 *   { code: "upstream_unavailable", message: "payment provider unavailable" },
 *   { cause: original },
 * );
 * console.log(publicFailure(failure, "command"));
 * // { code: "upstream_unavailable", message: "payment provider unavailable" }
 * ```
 */
export class OperationalFailure extends Error {
  /** The stable, public, machine-readable code. */
  readonly code: string;

  /**
   * Creates a failure with an explicitly public code and message.
   *
   * @param init The public `code` (a stable, machine-readable code: 1 to 64
   * characters from `a-z 0-9 _ . -`) and `message` (shown in status, events,
   * logs, spans and HTTP bodies: a string of at most 1024 characters; write
   * nothing secret here).
   * @param options The standard `cause` option: the private original error.
   * @throws {WorkerkitError} With code `invalid_argument` when `init` is not
   * an object, `code` is not 1 to 64 characters from `a-z 0-9 _ . -`, or
   * `message` is not a string of at most 1024 characters.
   */
  constructor(
    init: { code: string; message: string },
    options?: ErrorOptions,
  ) {
    if (typeof init !== "object" || init === null) {
      throw new WorkerkitError(
        "invalid_argument",
        "OperationalFailure needs an object { code, message }",
      );
    }
    const code: unknown = init.code;
    const message: unknown = init.message;
    if (!isValidFailureCode(code)) {
      throw new WorkerkitError(
        "invalid_argument",
        typeof code === "string"
          ? `OperationalFailure code must be 1 to ${MAX_CODE_LENGTH} characters from a-z, 0-9, "_", "." and "-"`
          : "OperationalFailure code must be a string",
      );
    }
    if (!isValidFailureMessage(message)) {
      throw new WorkerkitError(
        "invalid_argument",
        typeof message === "string"
          ? `OperationalFailure message is ${message.length} characters long, the maximum is ${MAX_MESSAGE_LENGTH}`
          : "OperationalFailure message must be a string",
      );
    }
    super(message, options);
    this.name = "OperationalFailure";
    this.code = code;
    PUBLIC.set(this, { code, message });
  }
}
