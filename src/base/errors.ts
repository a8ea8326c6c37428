import { safeGet, safeInstanceOf } from "./_safe_access.ts";

/**
 * The stable codes a {@linkcode WorkerkitError} carries. Match on `code`,
 * never on the message.
 */
export type WorkerkitErrorCode =
  | "invalid_name"
  | "invalid_argument"
  | "worker_already_registered"
  | "worker_not_found"
  | "command_already_registered"
  | "command_not_found"
  | "invalid_worker_state"
  | "runtime_not_accepting_work"
  | "worker_not_accepting_work"
  | "runtime_saturated"
  | "worker_saturated"
  | "deadline_exceeded"
  | "canceled"
  | "loop_exited"
  | "loop_worker_active"
  | "runtime_shut_down"
  | "retry_budget_exhausted"
  | "invalid_payload";

/**
 * The fixed, public message for each code. These are what status, events,
 * logs and HTTP bodies show; the error's own `message` may be more specific
 * (it names the worker or the phase) and stays with the direct caller.
 */
export const PUBLIC_MESSAGES: Readonly<Record<WorkerkitErrorCode, string>> = {
  invalid_name: "invalid name",
  invalid_argument: "invalid argument",
  worker_already_registered: "worker already registered",
  worker_not_found: "worker not found",
  command_already_registered: "command already registered",
  command_not_found: "command not found",
  invalid_worker_state: "invalid worker state",
  runtime_not_accepting_work: "runtime is not accepting work",
  worker_not_accepting_work: "worker is not accepting work",
  runtime_saturated: "runtime is saturated",
  worker_saturated: "worker is saturated",
  deadline_exceeded: "deadline exceeded",
  canceled: "canceled",
  loop_exited: "loop exited unexpectedly",
  loop_worker_active: "loop worker is still active",
  runtime_shut_down: "runtime is shut down",
  retry_budget_exhausted: "retry budget exhausted",
  invalid_payload: "invalid payload",
};

/**
 * One reason a command's payload was refused by its `payloadSchema`: where
 * (the keys from the payload's root) and why. Built by the runtime from the
 * schema's issues with the payload's own values taken out, so it is safe to
 * show to the caller.
 */
export interface PayloadIssue {
  /** The keys from the payload's root to the offending value; `[]` for the root. */
  readonly path: readonly (string | number)[];
  /** The schema's message, at most 200 characters, with payload values redacted. */
  readonly message: string;
}

/** Options of a {@linkcode WorkerkitError} beyond the standard `cause`. */
export interface WorkerkitErrorOptions extends ErrorOptions {
  /** For `invalid_payload`: what was wrong with the payload. */
  issues?: readonly PayloadIssue[];
}

/**
 * The one error class Workerkit throws for its own conditions, including
 * plain misuse of an argument (a wrong type, an out-of-range value, an
 * unknown option key), which is code `invalid_argument`. The one exception is
 * the standalone retry toolkit (`@workerkit/core/retry`), which throws
 * `TypeError` / `RangeError` as `@std/async` does (see docs/errors.md).
 *
 * @example Telling refusals apart by code
 * ```ts
 * import { Runtime, WorkerkitError } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "billing" });
 * try {
 *   await runtime.start("missing");
 * } catch (error) {
 *   if (error instanceof WorkerkitError && error.code === "worker_not_found") {
 *     console.log("no such worker");
 *   }
 * }
 * ```
 */
export class WorkerkitError extends Error {
  /** The stable, machine-readable reason. */
  readonly code: WorkerkitErrorCode;
  /**
   * For `invalid_payload`: what was wrong, at most 20 issues, each safe to
   * show to the caller (the router sends them in the 422 body).
   */
  readonly issues?: readonly PayloadIssue[];

  /**
   * Makes an error with a stable code.
   *
   * @param code The stable code.
   * @param message A specific message for the direct caller; defaults to the code's public message.
   * @param options The standard `cause` option, and `issues` for `invalid_payload`.
   */
  constructor(
    code: WorkerkitErrorCode,
    message?: string,
    options?: WorkerkitErrorOptions,
  ) {
    super(message ?? PUBLIC_MESSAGES[code], options);
    this.name = "WorkerkitError";
    this.code = code;
    if (options?.issues !== undefined) {
      this.issues = Object.freeze([...options.issues]);
    }
  }

  /**
   * The code of `error` when it is a `WorkerkitError` with a known code,
   * else `undefined`. Never throws, even on hostile values (throwing
   * getters, revoked proxies); the `cause` chain is not followed.
   *
   * @param error Any thrown value.
   * @returns The stable code, or `undefined`.
   *
   * @example Mapping a refusal without `instanceof`
   * ```ts
   * import { WorkerkitError } from "@workerkit/core";
   *
   * console.log(WorkerkitError.codeOf(new WorkerkitError("worker_not_found"))); // "worker_not_found"
   * console.log(WorkerkitError.codeOf(new Error("boom"))); // undefined
   * ```
   */
  static codeOf(error: unknown): WorkerkitErrorCode | undefined {
    if (!safeInstanceOf(error, WorkerkitError)) return undefined;
    const code = safeGet(error as object, "code");
    return typeof code === "string" && Object.hasOwn(PUBLIC_MESSAGES, code)
      ? code as WorkerkitErrorCode
      : undefined;
  }

  /**
   * The fixed public message of a code: what status, events, logs and HTTP
   * bodies show for it.
   *
   * @param code A stable code.
   * @returns The code's public message.
   *
   * @example Reading the public text of a code
   * ```ts
   * import { WorkerkitError } from "@workerkit/core";
   *
   * console.log(WorkerkitError.publicMessage("runtime_saturated")); // "runtime is saturated"
   * ```
   */
  static publicMessage(code: WorkerkitErrorCode): string {
    return PUBLIC_MESSAGES[code];
  }
}
