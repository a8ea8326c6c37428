import {
  type CheckEndEvent,
  type CommandEndEvent,
  type FailureEvent,
  publicEvent,
  type ReadinessEvent,
  type RuntimeEventMap,
  type TransitionEvent,
} from "../../mod.ts";

/** The levels a record is written at. */
export type Level = "debug" | "info" | "warn" | "error";

/** The constant message of each record type (no `{}`: safe as a LogTape template). */
export const MESSAGES = {
  transition: "workerkit transition",
  readiness: "workerkit readiness",
  failure: "workerkit failure",
  command: "workerkit command",
  check: "workerkit check",
} as const;

/**
 * The properties of one record: the caller's static fields, the record's
 * `event` name, then the event's public fields as `publicEvent` picks them
 * from the one shared list (so the private `cause` is never read), with
 * `message` written as `failureMessage` so that it cannot clash with a
 * logger's own message field.
 */
function recordFields(
  type: keyof RuntimeEventMap,
  e: unknown,
  event: string,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields, event };
  const shown = publicEvent(type, e);
  for (const field in shown) {
    out[field === "message" ? "failureMessage" : field] = shown[field];
  }
  return out;
}

export function transitionFields(
  e: TransitionEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return recordFields("transition", e, "workerkit.transition", fields);
}

export function readinessFields(
  e: ReadinessEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return recordFields("readiness", e, "workerkit.readiness", fields);
}

export function failureFields(
  e: FailureEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return recordFields("failure", e, "workerkit.failure", fields);
}

/** `"rejected"` for an admission refusal (no attempt made). */
export function commandOutcome(
  e: CommandEndEvent,
): "ok" | "error" | "rejected" {
  if (e.ok) return "ok";
  return e.attempts === 0 ? "rejected" : "error";
}

export function commandFields(
  e: CommandEndEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out = recordFields("commandend", e, "workerkit.command", fields);
  out.outcome = commandOutcome(e);
  return out;
}

export function checkFields(
  e: CheckEndEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return recordFields("checkend", e, "workerkit.check", fields);
}
