import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  type FailureContext,
  OpsCommandError,
  publicFailure,
  WorkerkitError,
  type WorkerkitErrorCode,
} from "../../mod.ts";
import { CommandRejection, type PayloadIssue } from "../../mod.ts";

/**
 * An HTTP error answer: a status and the public code and message of the
 * body `{ error: { code, message } }`. Never holds request input or an
 * arbitrary error's text.
 */
export interface HttpFailure {
  /** The HTTP status. */
  status: ContentfulStatusCode;
  /** A stable, machine-readable code. */
  code: string;
  /** A fixed or explicitly public message. */
  message: string;
  /** For `invalid_payload` (422): what was wrong, already made safe by the runtime. */
  issues?: readonly PayloadIssue[];
}

/**
 * The HTTP status of each {@linkcode WorkerkitError} code. A `Record` over
 * the code union, so a new code cannot be added without a status.
 */
const STATUS: Readonly<Record<WorkerkitErrorCode, ContentfulStatusCode>> = {
  invalid_name: 400,
  invalid_argument: 400,
  invalid_payload: 422,
  worker_not_found: 404,
  command_not_found: 404,
  worker_already_registered: 409,
  command_already_registered: 409,
  invalid_worker_state: 409,
  worker_not_accepting_work: 409,
  loop_worker_active: 409,
  runtime_saturated: 429,
  worker_saturated: 429,
  runtime_not_accepting_work: 503,
  canceled: 503,
  runtime_shut_down: 503,
  retry_budget_exhausted: 503,
  deadline_exceeded: 504,
  loop_exited: 500,
};

/**
 * Maps anything a runtime call threw to its HTTP answer, with public text
 * only. First match wins:
 *
 * 1. a `WorkerkitError` → the status of its code (400, 404, 409, 429, 503,
 *    504) and the code's fixed public message;
 * 2. an `OpsCommandError` of kind `rejected` (the first operational failure
 *    of the `cause` chain) → 409 with its public code and message;
 * 3. a deadline (`TimeoutError`) → 504 `deadline_exceeded`; a cancellation
 *    (`AbortError`) → 503 `canceled`;
 * 4. anything else → 500 with the public projection: an
 *    `OperationalFailure`'s (or ops `failed` result's) code and message, or
 *    the generic `command_failed` / "command failed" (`worker_failed` /
 *    "worker operation failed" for lifecycle calls).
 *
 * Never throws, even on hostile values.
 */
export function failureFor(
  error: unknown,
  context: FailureContext,
): HttpFailure {
  try {
    const own = WorkerkitError.codeOf(error);
    if (own !== undefined) {
      const answer: HttpFailure = {
        status: STATUS[own],
        code: own,
        message: WorkerkitError.publicMessage(own),
      };
      const issues = own === "invalid_payload" ? issuesOf(error) : undefined;
      if (issues) answer.issues = issues;
      return answer;
    }
    const failure = publicFailure(error, context);
    if (isOpsRejection(error, failure.code)) return { status: 409, ...failure };
    if (failure.code === "deadline_exceeded") {
      return { status: 504, ...failure };
    }
    if (failure.code === "canceled") return { status: 503, ...failure };
    return { status: 500, ...failure };
  } catch {
    // Unreachable in practice: every read above is guarded.
    return { status: 500, ...publicFailure(new Error(), context) };
  }
}

function generic(): { code: string; message: string } {
  return { code: "internal_error", message: "internal error" };
}

/**
 * The issues of an `invalid_payload` error, copied field by field (the
 * runtime made them safe; the copy keeps anything else off the wire).
 */
function issuesOf(error: unknown): PayloadIssue[] | undefined {
  try {
    const raw: unknown = (error as WorkerkitError).issues;
    if (!Array.isArray(raw)) return undefined;
    return raw.slice(0, 20).map((issue: PayloadIssue) => ({
      path: Array.isArray(issue.path)
        ? issue.path.filter((p) =>
          typeof p === "string" || typeof p === "number"
        )
        : [],
      message: typeof issue.message === "string"
        ? issue.message
        : "invalid value",
    }));
  } catch {
    // A hostile error object: the 422 goes out without issues.
    return undefined;
  }
}

/**
 * Whether the operational failure the public projection came from is the
 * caller's fault — a `CommandRejection`, or an `OpsCommandError` of kind
 * `rejected` — with the projected code.
 */
function isOpsRejection(error: unknown, code: string): boolean {
  return OpsCommandError.rejectionIn(error)?.code === code ||
    CommandRejection.rejectionIn(error)?.code === code;
}

const HTTP_CODES: Readonly<Record<number, [string, string]>> = {
  400: ["bad_request", "bad request"],
  401: ["unauthorized", "unauthorized"],
  403: ["forbidden", "forbidden"],
  404: ["not_found", "not found"],
  408: ["request_timeout", "request timeout"],
  413: ["payload_too_large", "payload too large"],
  415: ["unsupported_media_type", "unsupported media type"],
  429: ["too_many_requests", "too many requests"],
  503: ["service_unavailable", "service unavailable"],
  504: ["deadline_exceeded", "deadline exceeded"],
};

/**
 * The answer for an HTTP status that Hono middleware chose (an
 * `HTTPException` from `bearerAuth`, `timeout`, `bodyLimit`): a fixed code
 * and message per status (500 for one that is not an error status); the
 * exception's own text is never used.
 */
export function failureForStatus(status: unknown): HttpFailure {
  if (
    typeof status !== "number" || !Number.isInteger(status) || status < 400 ||
    status > 599
  ) {
    return internalFailure();
  }
  const known = HTTP_CODES[status];
  if (known) {
    return {
      status: status as ContentfulStatusCode,
      code: known[0],
      message: known[1],
    };
  }
  return status >= 500
    ? { status: status as ContentfulStatusCode, ...generic() }
    : {
      status: status as ContentfulStatusCode,
      code: "request_refused",
      message: "request refused",
    };
}

/**
 * The answer for an exception nobody expected (a bug, a hostile value): a
 * generic 500.
 */
export function internalFailure(): HttpFailure {
  return { status: 500, ...generic() };
}

/**
 * The answer for a refused or failed request the router itself detected;
 * `message` is fixed text, never request input.
 */
export function requestFailure(
  status: ContentfulStatusCode,
  code: string,
  message: string,
): HttpFailure {
  return { status, code, message };
}
