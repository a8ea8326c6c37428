import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HttpFailure } from "./_error_mapping.ts";

/**
 * The body of every error answer of the ops router.
 *
 * @example Reading an error answer
 * ```ts
 * import { Runtime } from "@workerkit/core";
 * import { type OpsErrorBody, opsRouter } from "@workerkit/core/hono";
 *
 * const app = opsRouter({ runtime: new Runtime({ name: "billing" }), auth: () => false });
 * const response = await app.request("/admin/components");
 * const body = await response.json() as OpsErrorBody;
 * console.log(response.status, body.error.code); // 401 "unauthorized"
 * ```
 */
export interface OpsErrorBody {
  /** What went wrong, in public words only. */
  error: {
    /** A stable, machine-readable code, e.g. `worker_not_found`. */
    code: string;
    /** A fixed or explicitly public message; never request input. */
    message: string;
    /** For 422 `invalid_payload`: each issue's path and safe message. */
    issues?: readonly { path: readonly (string | number)[]; message: string }[];
  };
}

/** Ops answers describe live state: never cache them. */
const HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
} as const;

/**
 * Answers with `value` as JSON (not cacheable). A value that cannot be
 * serialised (a cycle, a `bigint`, a throwing `toJSON`) is answered with
 * `fallback` instead.
 */
export function jsonResponse(
  c: Context,
  status: ContentfulStatusCode,
  value: unknown,
  fallback?: HttpFailure,
): Response {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    return errorResponse(
      c,
      fallback ?? {
        status: 500,
        code: "internal_error",
        message: "internal error",
      },
    );
  }
  return c.body(text, status, HEADERS);
}

/** Answers with `{ error: { code, message } }` and the failure's status. */
export function errorResponse(
  c: Context,
  failure: HttpFailure,
  headers?: Record<string, string>,
): Response {
  return textResponse(c, failure.status, errorBody(failure), headers);
}

/**
 * The JSON text of an error answer, `{ error: { code, message, issues? } }`.
 */
export function errorBody(failure: HttpFailure): string {
  const body: OpsErrorBody = {
    error: { code: failure.code, message: failure.message },
  };
  if (failure.issues) body.error.issues = failure.issues;
  return JSON.stringify(body);
}

/**
 * An answer whose JSON text is already made (a stored idempotent answer),
 * with the ops headers.
 */
export function textResponse(
  c: Context,
  status: ContentfulStatusCode,
  text: string,
  headers?: Record<string, string>,
): Response {
  return c.body(text, status, headers ? { ...HEADERS, ...headers } : HEADERS);
}
