import {
  isValidFailureCode,
  isValidFailureMessage,
  OperationalFailure,
} from "../operational_failure.ts";

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
