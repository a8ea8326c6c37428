import type { RuntimeEventMap } from "./events.ts";

/** The JSON type of a public event field. */
export type PublicFieldKind = "string" | "number" | "boolean";

/**
 * The public fields of each event type and their JSON types: the one list
 * of what may leave the process: the dashboard's event stream is built by
 * picking from it ({@linkcode publicEvent}), never by deleting from the
 * event, so `cause` (and any field a future version adds) stays private; the
 * records of `logObserver` and the span attributes of `otelObserver` carry
 * only fields it lists (written as literals on their hot paths, and checked
 * against this list by the test suite).
 *
 * @example Listing what a failure event shows
 * ```ts
 * import { PUBLIC_EVENT_FIELDS } from "@workerkit/core";
 *
 * console.log(PUBLIC_EVENT_FIELDS.failure.map(([field]) => field).includes("cause")); // false
 * ```
 */
export const PUBLIC_EVENT_FIELDS: Readonly<
  Record<
    keyof RuntimeEventMap,
    ReadonlyArray<readonly [string, PublicFieldKind]>
  >
> = {
  transition: [
    ["runtime", "string"],
    ["worker", "string"],
    ["from", "string"],
    ["to", "string"],
    ["reason", "string"],
    ["at", "string"],
  ],
  readiness: [
    ["runtime", "string"],
    ["worker", "string"],
    ["ready", "boolean"],
    ["at", "string"],
  ],
  failure: [
    ["runtime", "string"],
    ["worker", "string"],
    ["kind", "string"],
    ["code", "string"],
    ["message", "string"],
    ["command", "string"],
    ["attempt", "number"],
    ["dispatchId", "string"],
    ["at", "string"],
  ],
  commandstart: [
    ["runtime", "string"],
    ["worker", "string"],
    ["command", "string"],
    ["dispatchId", "string"],
    ["at", "string"],
  ],
  commandend: [
    ["runtime", "string"],
    ["worker", "string"],
    ["command", "string"],
    ["dispatchId", "string"],
    ["ok", "boolean"],
    ["attempts", "number"],
    ["durationMs", "number"],
    ["code", "string"],
    ["message", "string"],
    ["rejected", "boolean"],
    ["canceled", "boolean"],
    ["at", "string"],
  ],
  checkstart: [
    ["runtime", "string"],
    ["worker", "string"],
    ["check", "string"],
    ["at", "string"],
  ],
  checkend: [
    ["runtime", "string"],
    ["worker", "string"],
    ["check", "string"],
    ["outcome", "string"],
    ["durationMs", "number"],
    ["code", "string"],
    ["message", "string"],
    ["at", "string"],
  ],
};

function isKind(
  value: unknown,
  kind: PublicFieldKind,
): value is string | number | boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
  }
}

/**
 * The public payload of a runtime event: only the fields
 * {@linkcode PUBLIC_EVENT_FIELDS} lists for its type, and only when they
 * hold a value of the expected JSON type (strings, finite numbers,
 * booleans), in the list's order. Never `cause`, never a command payload,
 * never an error's own text: the `code` and `message` of events are already
 * the public projection. Hostile values (throwing getters) are skipped.
 *
 * @param type The event type.
 * @param detail The event (an observer's argument, or a `RuntimeEvent`'s `detail`).
 * @returns A fresh plain object with the public fields.
 *
 * @example Publishing a failure without its cause
 * ```ts
 * import { publicEvent } from "@workerkit/core";
 *
 * const shown = publicEvent("failure", {
 *   runtime: "svc",
 *   worker: "svc/w",
 *   kind: "background",
 *   code: "worker_failed",
 *   message: "worker operation failed",
 *   cause: new Error("password=hunter2"),
 *   at: "2026-01-01T00:00:00.000Z",
 * });
 * console.log("cause" in shown, shown.code); // false worker_failed
 * ```
 */
export function publicEvent(
  type: keyof RuntimeEventMap,
  detail: unknown,
): Record<string, string | number | boolean> {
  const picked: Record<string, string | number | boolean> = {};
  if (detail === null || typeof detail !== "object") return picked;
  const fields = PUBLIC_EVENT_FIELDS[type];
  const record = detail as Record<string, unknown>;
  try {
    // The common case, our own event objects: one guarded pass.
    for (let i = 0; i < fields.length; i++) {
      const [field, kind] = fields[i]!;
      const value = record[field];
      if (isKind(value, kind)) picked[field] = value;
    }
    return picked;
  } catch {
    // A hostile getter: start over, skipping each field that throws.
  }
  const careful: Record<string, string | number | boolean> = {};
  for (const [field, kind] of fields) {
    let value: unknown;
    try {
      value = record[field];
    } catch {
      continue;
    }
    if (isKind(value, kind)) careful[field] = value;
  }
  return careful;
}
