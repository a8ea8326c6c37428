import { type PayloadIssue, WorkerkitError } from "../base/errors.ts";
import { isThenable } from "../base/_promise.ts";
import type {
  StandardSchemaIssue,
  StandardSchemaResult,
  StandardSchemaV1,
} from "../standard_schema.ts";

/** The most issues an `invalid_payload` error carries. */
export const MAX_ISSUES = 20;
/** The longest issue message kept. */
export const MAX_ISSUE_MESSAGE = 200;
const MAX_PATH_SEGMENTS = 32;
const MAX_SEGMENT_LENGTH = 64;
/** Payload values shorter than this are not worth redacting (and would eat messages). */
const MIN_REDACTED_LENGTH = 4;
const MAX_VISITED = 10_000;
const MAX_DEPTH = 16;
const REDACTED = "…";

/** Whether `value` has the shape of a Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if (
    value === null || (typeof value !== "object" && typeof value !== "function")
  ) {
    return false;
  }
  try {
    const props = (value as StandardSchemaV1)["~standard"];
    return props !== null && typeof props === "object" && props.version === 1 &&
      typeof props.validate === "function";
  } catch {
    return false;
  }
}

/**
 * Validates a payload: the schema's output, or a promise of it for an async
 * schema. Refuses with `invalid_payload` and safe issues; a schema that
 * throws is a bug of the worker, so its error propagates as it is.
 */
export function validatePayload(
  schema: StandardSchemaV1,
  payload: unknown,
  where: string,
): { value: unknown } | Promise<{ value: unknown }> {
  const result = schema["~standard"].validate(payload);
  if (isThenable(result)) {
    // Any thenable, not only a native promise: adopted so it cannot be
    // mistaken for a result without issues.
    return Promise.resolve(result).then((settled) =>
      outcome(settled, payload, where)
    );
  }
  return outcome(result, payload, where);
}

function outcome(
  result: StandardSchemaResult<unknown>,
  payload: unknown,
  where: string,
): { value: unknown } {
  if (result === null || typeof result !== "object") {
    throw new TypeError(`the payload schema of ${where} returned no result`);
  }
  if (result.issues === undefined) return { value: result.value };
  throw invalidPayload(result.issues, payload, where);
}

/** The `invalid_payload` error for a schema's issues, with the payload's values taken out. */
export function invalidPayload(
  issues: ReadonlyArray<StandardSchemaIssue>,
  payload: unknown,
  where: string,
): WorkerkitError {
  const secrets = valuesOf(payload);
  // A payload too large to scan whole may hide a value in any message: then
  // every message is the generic one (the paths stay: they are keys).
  const safe: PayloadIssue[] = [];
  const list = Array.isArray(issues) ? issues : [];
  for (const issue of list.slice(0, MAX_ISSUES)) {
    safe.push(safeIssue(issue, secrets));
  }
  if (safe.length === 0) safe.push({ path: [], message: "invalid value" });
  return new WorkerkitError(
    "invalid_payload",
    `the payload of ${where} is invalid (${list.length || 1} issue(s))`,
    { issues: safe },
  );
}

function safeIssue(
  issue: StandardSchemaIssue,
  secrets: string[] | undefined,
): PayloadIssue {
  let message = "invalid value";
  let path: (string | number)[] = [];
  try {
    if (
      secrets !== undefined && typeof issue.message === "string" &&
      issue.message !== ""
    ) {
      message = redact(issue.message, secrets).slice(0, MAX_ISSUE_MESSAGE);
    }
    path = safePath(issue.path, secrets ?? []);
  } catch {
    // A hostile issue object: keep the generic text.
  }
  return { path, message };
}

function safePath(
  raw: StandardSchemaIssue["path"],
  secrets: string[],
): (string | number)[] {
  if (!Array.isArray(raw)) return [];
  const path: (string | number)[] = [];
  for (const entry of raw.slice(0, MAX_PATH_SEGMENTS)) {
    const key: unknown = entry !== null && typeof entry === "object"
      ? (entry as { key: unknown }).key
      : entry;
    path.push(segment(key, secrets));
  }
  return path;
}

function segment(key: unknown, secrets: string[]): string | number {
  if (typeof key === "number") return key;
  const text = typeof key === "symbol" ? key.description ?? "" : String(key);
  // A record's keys come from the payload: a key that is also a payload
  // value, or too long to be a field name, is not shown.
  if (text.length > MAX_SEGMENT_LENGTH || secrets.includes(text)) {
    return REDACTED;
  }
  return text;
}

/** Replaces every payload value found in `message`. */
function redact(message: string, secrets: string[]): string {
  let out = message;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * The payload's string and number values, longest first so a value that
 * contains another is taken out whole; bounded so a huge payload costs
 * little. A string of any length is also taken out in its quoted form
 * (`"pin"`), as schema messages quote what they received. `undefined` when
 * the payload was too large to scan whole.
 */
function valuesOf(payload: unknown): string[] | undefined {
  const found = new Set<string>();
  const stack: Array<[unknown, number]> = [[payload, 0]];
  let visited = 0;
  while (stack.length > 0 && visited < MAX_VISITED) {
    const [value, depth] = stack.pop()!;
    visited++;
    if (
      typeof value === "string" || typeof value === "number" ||
      typeof value === "bigint"
    ) {
      const text = String(value);
      if (text.length >= MIN_REDACTED_LENGTH) found.add(text);
      if (typeof value === "string") {
        const quoted = JSON.stringify(value);
        found.add(quoted);
        if (quoted.length - 2 >= MIN_REDACTED_LENGTH) {
          found.add(quoted.slice(1, -1));
        }
      }
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_DEPTH) return undefined;
    try {
      for (const child of Object.values(value)) stack.push([child, depth + 1]);
    } catch {
      // A hostile payload object: its values are unknown.
      return undefined;
    }
  }
  if (stack.length > 0) return undefined;
  return [...found].sort((a, b) => b.length - a.length);
}
