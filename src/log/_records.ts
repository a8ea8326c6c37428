import type {
  CheckEndEvent,
  CommandEndEvent,
  FailureEvent,
  ReadinessEvent,
  TransitionEvent,
} from "../../mod.ts";
import type { CommandOutcome } from "./_outcome.ts";
import { type Template, TEMPLATES } from "./_templates.ts";

/** The levels a record is written at. */
export type Level = "debug" | "info" | "warn" | "error";

/** One record: its message template and properties. */
export interface LogRecordParts {
  template: Template;
  properties: Record<string, unknown>;
}

/**
 * The properties of each record are built field by field from the public
 * fields of the event: the private `cause` is never read for its text,
 * and `message` becomes `failureMessage` so that it cannot clash with a
 * logger's own message field.
 */
export function transitionRecord(
  e: TransitionEvent,
  fields: Readonly<Record<string, unknown>> | undefined,
): LogRecordParts {
  const properties: Record<string, unknown> = {
    ...fields,
    event: "workerkit.transition",
    runtime: e.runtime,
  };
  if (e.worker !== undefined) properties.worker = e.worker;
  properties.from = e.from;
  properties.to = e.to;
  if (e.reason !== undefined) properties.reason = e.reason;
  properties.at = e.at;
  const own = e.worker !== undefined;
  const template = e.reason === undefined
    ? (own ? TEMPLATES.transition : TEMPLATES.runtimeTransition)
    : (own
      ? TEMPLATES.transitionWithReason
      : TEMPLATES.runtimeTransitionWithReason);
  return { template, properties };
}

export function readinessRecord(
  e: ReadinessEvent,
  fields: Readonly<Record<string, unknown>> | undefined,
): LogRecordParts {
  const properties: Record<string, unknown> = {
    ...fields,
    event: "workerkit.readiness",
    runtime: e.runtime,
  };
  if (e.worker !== undefined) properties.worker = e.worker;
  properties.ready = e.ready;
  properties.at = e.at;
  const template = e.worker === undefined
    ? (e.ready ? TEMPLATES.runtimeReady : TEMPLATES.runtimeNotReady)
    : (e.ready ? TEMPLATES.ready : TEMPLATES.notReady);
  return { template, properties };
}

/** A failure; `retry` for a command attempt that is being retried. */
export function failureRecord(
  e: FailureEvent,
  fields: Readonly<Record<string, unknown>> | undefined,
  retry: boolean,
): LogRecordParts {
  const properties: Record<string, unknown> = {
    ...fields,
    event: "workerkit.failure",
    runtime: e.runtime,
    worker: e.worker,
    kind: e.kind,
    code: e.code,
    failureMessage: e.message,
  };
  if (e.command !== undefined) properties.command = e.command;
  if (e.attempt !== undefined) properties.attempt = e.attempt;
  if (e.dispatchId !== undefined) properties.dispatchId = e.dispatchId;
  if (retry) properties.retrying = true;
  properties.at = e.at;
  const template = retry
    ? TEMPLATES.retry
    : e.kind === "command" && e.command !== undefined &&
        e.attempt !== undefined
    ? TEMPLATES.commandFailure
    : TEMPLATES.failure;
  return { template, properties };
}

/** A dispatch's properties; the hot path, so no record wrapper. */
export function commandProperties(
  e: CommandEndEvent,
  fields: Readonly<Record<string, unknown>> | undefined,
  outcome: CommandOutcome,
): Record<string, unknown> {
  // One literal: the record of a successful dispatch is built on every
  // dispatch, so it must not grow key by key (a failure's may).
  const properties: Record<string, unknown> = {
    event: "workerkit.command",
    runtime: e.runtime,
    worker: e.worker,
    command: e.command,
    dispatchId: e.dispatchId,
    outcome,
    ok: e.ok,
    attempts: e.attempts,
    // As measured: rounding would allocate a number on every dispatch.
    durationMs: e.durationMs,
    at: e.at,
  };
  if (e.code !== undefined) properties.code = e.code;
  if (e.message !== undefined) properties.failureMessage = e.message;
  if (e.canceled === true) properties.canceled = true;
  return fields === undefined ? properties : { ...fields, ...properties };
}

/** The message template of a dispatch's record. */
export function commandTemplate(
  e: CommandEndEvent,
  outcome: CommandOutcome,
): Template {
  if (outcome === "ok") {
    return e.attempts > 1
      ? TEMPLATES.commandOkAfterRetries
      : TEMPLATES.commandOk;
  }
  // The caller's own signal, whatever its reason: said as such.
  if (e.canceled === true) return TEMPLATES.commandCanceledByCaller;
  if (outcome === "error") {
    return e.code === "canceled"
      ? TEMPLATES.commandCanceled
      : TEMPLATES.commandFailed;
  }
  return e.attempts === 0
    ? TEMPLATES.commandRefused
    : TEMPLATES.commandRejected;
}

export function checkRecord(
  e: CheckEndEvent,
  fields: Readonly<Record<string, unknown>> | undefined,
): LogRecordParts {
  const properties: Record<string, unknown> = {
    ...fields,
    event: "workerkit.check",
    runtime: e.runtime,
    worker: e.worker,
    check: e.check,
    outcome: e.outcome,
    durationMs: roundMs(e.durationMs),
  };
  if (e.code !== undefined) properties.code = e.code;
  if (e.message !== undefined) properties.failureMessage = e.message;
  properties.at = e.at;
  const template = e.code === undefined
    ? TEMPLATES.check
    : TEMPLATES.checkFailed;
  return { template, properties };
}

/** Microsecond precision: enough for in-process work, short in a message. */
function roundMs(ms: number): number {
  return Math.round(ms * 1_000) / 1_000;
}
