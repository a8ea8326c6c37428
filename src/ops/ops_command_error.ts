import {
  isValidFailureCode,
  isValidFailureMessage,
  OperationalFailure,
} from "../base/operational_failure.ts";
import { firstCause } from "../base/_cause_chain.ts";
import { safeGet, safeInstanceOf } from "../base/_safe_access.ts";

/** How an ops command handler ended when it did not succeed. */
export type OpsFailureKind = "rejected" | "failed";

/** The public failure an ops handler returns. */
export interface OpsFailure {
  /** A stable code: 1 to 64 characters from `a-z 0-9 _ . -`. */
  code: string;
  /** A public message; nothing secret. */
  message: string;
}

const FALLBACK: Record<OpsFailureKind, OpsFailure> = {
  rejected: { code: "command_rejected", message: "command rejected" },
  failed: { code: "command_failed", message: "command failed" },
};

/**
 * Thrown by a command made with `commandFromOps` when its ops handler
 * answers `rejected` or `failed`. It is an `OperationalFailure`, so its
 * public code and message are what status, events and HTTP bodies show; it
 * flows through the command's retry policy and failure recording like any
 * other handler error. A failure whose code or message is not safe to
 * publish is replaced by a generic one for its kind.
 *
 * @example Telling a refusal from a failure
 * ```ts
 * import { OpsCommandError } from "@workerkit/core";
 *
 * const error = new OpsCommandError("rejected", { code: "busy", message: "a rebuild is running" });
 * console.log(error.kind, error.code, error.message); // rejected busy a rebuild is running
 * ```
 */
export class OpsCommandError extends OperationalFailure {
  /** `rejected`: the command refused to run (HTTP 409); `failed`: it ran and failed (HTTP 500). */
  readonly kind: OpsFailureKind;
  /** The public failure. */
  readonly failure: OpsFailure;

  /**
   * Makes the error for an ops outcome.
   *
   * @param kind `rejected` or `failed`.
   * @param failure The handler's public failure; a generic one when missing or unsafe.
   * @param options The standard `cause` option.
   */
  constructor(
    kind: OpsFailureKind,
    failure?: OpsFailure,
    options?: ErrorOptions,
  ) {
    const safe = safeFailure(kind, failure);
    super(safe, options);
    this.name = "OpsCommandError";
    this.kind = kind;
    this.failure = safe;
  }

  /**
   * The rejection that decides how `error` is shown: the first
   * `OperationalFailure` of its `cause` chain (itself included), when that is
   * an `OpsCommandError` of kind `rejected`. The HTTP router answers such a
   * failure with 409 instead of 500. Hostile values (throwing getters,
   * revoked proxies, cyclic chains) give `undefined`, never a throw.
   *
   * @param error Any thrown value.
   * @returns The deciding rejection, or `undefined` when there is none.
   *
   * @example Finding a rejection behind a wrapper
   * ```ts
   * import { OpsCommandError } from "@workerkit/core/ops";
   *
   * const busy = new OpsCommandError("rejected", { code: "busy", message: "busy" });
   * const wrapped = new Error("handler failed", { cause: busy });
   * console.log(OpsCommandError.rejectionIn(wrapped)?.code); // "busy"
   * console.log(OpsCommandError.rejectionIn(new Error("boom"))); // undefined
   * ```
   */
  static rejectionIn(error: unknown): OpsCommandError | undefined {
    const first = firstCause(
      error,
      (link) => safeInstanceOf(link, OperationalFailure),
    );
    if (first === undefined || !safeInstanceOf(first, OpsCommandError)) {
      return undefined;
    }
    return safeGet(first, "kind") === "rejected"
      ? first as OpsCommandError
      : undefined;
  }
}

function safeFailure(
  kind: OpsFailureKind,
  failure: OpsFailure | undefined,
): OpsFailure {
  try {
    if (
      failure && isValidFailureCode(failure.code) &&
      isValidFailureMessage(failure.message)
    ) {
      return { code: failure.code, message: failure.message };
    }
  } catch {
    // A hostile failure object gets the generic text.
  }
  return { ...FALLBACK[kind] };
}
