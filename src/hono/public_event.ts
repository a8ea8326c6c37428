import type { RuntimeEventMap } from "../../mod.ts";

/** The runtime event types the dashboard's stream forwards (section 10). */
export const STREAMED_EVENT_TYPES: readonly (keyof RuntimeEventMap)[] = [
  "transition",
  "readiness",
  "failure",
  "commandstart",
  "commandend",
  "checkstart",
  "checkend",
];

type Kind = "string" | "number" | "boolean";

/**
 * The public fields of each event type and their JSON types. Everything
 * else — `cause` above all, and any field a future version adds — is left
 * out, because a payload is built by picking from this list, never by
 * deleting from the event.
 */
const PUBLIC_FIELDS: Record<
  keyof RuntimeEventMap,
  ReadonlyArray<readonly [string, Kind]>
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
  kind: Kind,
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
 * Builds the public payload of a runtime event for the event stream: only
 * the fields listed for its type, and only when they hold a value of the
 * expected JSON type (strings, finite numbers, booleans). Never `cause`,
 * never a command payload, never an error's own text — the `code` and
 * `message` of events are already the public projection (section 7).
 *
 * @internal
 * @param type The event type, one of {@linkcode STREAMED_EVENT_TYPES}.
 * @param detail The event's `detail`.
 * @returns A fresh plain object with the public fields.
 * @throws Never.
 */
export function publicEvent(
  type: keyof RuntimeEventMap,
  detail: unknown,
): Record<string, string | number | boolean> {
  const picked: Record<string, string | number | boolean> = {};
  if (detail === null || typeof detail !== "object") return picked;
  for (const [field, kind] of PUBLIC_FIELDS[type]) {
    let value: unknown;
    try {
      value = (detail as Record<string, unknown>)[field];
    } catch {
      continue;
    }
    if (!isKind(value, kind)) continue;
    picked[field] = value;
  }
  return picked;
}
