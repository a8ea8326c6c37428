import type { Context } from "hono";
import { type HttpFailure, requestFailure } from "./_error_mapping.ts";

/** What reading a request body gave: the object, or the answer to refuse with. */
export type BodyResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; failure: HttpFailure };

/** How to read a body. */
export interface StrictJsonOptions {
  /** The only fields the object may have. */
  fields: readonly string[];
  /**
   * Whether an empty body counts as `{}` (routes that need no input); it
   * must still be declared `application/json`.
   */
  allowEmpty?: boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a request body as strict JSON: `Content-Type: application/json`
 * (parameters allowed; a `charset` must be UTF-8) else 415, for an empty
 * body too; valid UTF-8 and
 * valid JSON else 400 `invalid_json`; a JSON object else 400
 * `invalid_argument`; no field outside `fields` else 400 `invalid_argument`.
 * The size is capped before this runs (Hono's `bodyLimit`). Refusals carry
 * fixed text only, never the input. Resolves to the object or the failure
 * to answer with; never rejects.
 */
export async function readJsonObject(
  c: Context,
  options: StrictJsonOptions,
): Promise<BodyResult> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch {
    return refuse(400, "invalid_json", "request body could not be read");
  }
  // Declared JSON even when empty: a cross-site HTML form can send an empty
  // body, but never as application/json.
  if (!isJsonContentType(c.req.header("content-type"))) {
    return refuse(
      415,
      "unsupported_media_type",
      "content type must be application/json",
    );
  }
  if (bytes.length === 0 && options.allowEmpty) return { ok: true, value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return refuse(400, "invalid_json", "request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return refuse(
      400,
      "invalid_argument",
      "request body must be a JSON object",
    );
  }
  const value = parsed as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!options.fields.includes(key)) {
      return refuse(
        400,
        "invalid_argument",
        options.fields.length === 0
          ? "request body must be empty or {}"
          : `request body may only have the fields ${
            options.fields.join(", ")
          }`,
      );
    }
  }
  return { ok: true, value };
}

/**
 * Whether a `Content-Type` header names JSON: the media type
 * `application/json` (any case), with an optional `charset` that must be
 * UTF-8.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type = "", ...params] = header.split(";");
  if (type.trim().toLowerCase() !== "application/json") return false;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    const charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    if (charset !== "utf-8" && charset !== "utf8") return false;
  }
  return true;
}

function refuse(
  status: 400 | 415,
  code: string,
  message: string,
): BodyResult {
  return { ok: false, failure: requestFailure(status, code, message) };
}
