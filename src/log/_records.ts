import type {
  CheckEndEvent,
  CommandEndEvent,
  FailureEvent,
  ReadinessEvent,
  TransitionEvent,
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
 * The properties of each record. Built field by field from the public
 * fields of the event: the private `cause` is never read, and `message`
 * becomes `failureMessage` so that it cannot clash with a logger's own
 * message field.
 */
export function transitionFields(
  e: TransitionEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...fields,
    event: "workerkit.transition",
    runtime: e.runtime,
  };
  if (e.worker !== undefined) out.worker = e.worker;
  out.from = e.from;
  out.to = e.to;
  if (e.reason !== undefined) out.reason = e.reason;
  out.at = e.at;
  return out;
}

export function readinessFields(
  e: ReadinessEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...fields,
    event: "workerkit.readiness",
    runtime: e.runtime,
  };
  if (e.worker !== undefined) out.worker = e.worker;
  out.ready = e.ready;
  out.at = e.at;
  return out;
}

export function failureFields(
  e: FailureEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...fields,
    event: "workerkit.failure",
    runtime: e.runtime,
    worker: e.worker,
    kind: e.kind,
    code: e.code,
    failureMessage: e.message,
  };
  if (e.command !== undefined) out.command = e.command;
  if (e.attempt !== undefined) out.attempt = e.attempt;
  out.at = e.at;
  return out;
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
  const out: Record<string, unknown> = {
    ...fields,
    event: "workerkit.command",
    runtime: e.runtime,
    worker: e.worker,
    command: e.command,
    dispatchId: e.dispatchId,
    outcome: commandOutcome(e),
    ok: e.ok,
    attempts: e.attempts,
    durationMs: e.durationMs,
  };
  if (e.code !== undefined) out.code = e.code;
  if (e.message !== undefined) out.failureMessage = e.message;
  out.at = e.at;
  return out;
}

export function checkFields(
  e: CheckEndEvent,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...fields,
    event: "workerkit.check",
    runtime: e.runtime,
    worker: e.worker,
    check: e.check,
    outcome: e.outcome,
    durationMs: e.durationMs,
  };
  if (e.code !== undefined) out.code = e.code;
  if (e.message !== undefined) out.failureMessage = e.message;
  out.at = e.at;
  return out;
}
