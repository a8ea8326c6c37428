import {
  type CheckEndEvent,
  type CheckObservation,
  type CommandEndEvent,
  type CommandObservation,
  type FailureEvent,
  type Observer,
  type ReadinessEvent,
  type TransitionEvent,
  WorkerkitError,
} from "../../mod.ts";
import { Destination } from "./_destination.ts";
import { MessageCache, TEMPLATES } from "./_templates.ts";
import { commandOutcome } from "./_outcome.ts";
import {
  checkRecord,
  commandProperties,
  commandTemplate,
  failureRecord,
  type Level,
  type LogRecordParts,
  readinessRecord,
  transitionRecord,
} from "./_records.ts";

/**
 * The level routine records are written at (see {@linkcode logObserver}
 * for the records that have levels of their own).
 *
 * @example Choosing a level
 * ```ts
 * import { type LogLevel, logObserver } from "@workerkit/core/log";
 *
 * const level: LogLevel = "debug";
 * const observer = logObserver(console, { level });
 * console.log(typeof observer.transition); // "function"
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * The logger {@linkcode logObserver} writes to: four methods that take a
 * message and a properties object. LogTape's `Logger`, `@std/log`'s
 * `Logger` and `console` all have this shape. A logger that also has
 * `getChild` (LogTape's) is given message templates and a child category
 * per runtime and worker; any other is given the rendered message.
 *
 * @example A logger of one's own
 * ```ts
 * import { logObserver, type StructuredLogger } from "@workerkit/core/log";
 *
 * const lines: string[] = [];
 * const write = (message: string, properties?: Record<string, unknown>) =>
 *   void lines.push(JSON.stringify({ message, ...properties }));
 * const logger: StructuredLogger = { debug: write, info: write, warn: write, error: write };
 * const observer = logObserver(logger);
 * console.log(typeof observer.failure); // "function"
 * ```
 */
export interface StructuredLogger {
  /** Writes a debug record. */
  debug(message: string, properties?: Record<string, unknown>): void;
  /** Writes an informational record. */
  info(message: string, properties?: Record<string, unknown>): void;
  /** Writes a warning record. */
  warn(message: string, properties?: Record<string, unknown>): void;
  /** Writes an error record. */
  error(message: string, properties?: Record<string, unknown>): void;
}

/**
 * Options of {@linkcode logObserver}.
 *
 * @example Static fields on every record
 * ```ts
 * import { logObserver, type LogObserverOptions } from "@workerkit/core/log";
 *
 * const options: LogObserverOptions = { level: "info", fields: { service: "billing" } };
 * const observer = logObserver(console, options);
 * console.log(typeof observer.commandStart); // "function"
 * ```
 */
export interface LogObserverOptions {
  /**
   * The level of routine records: transitions, readiness changes and
   * successful dispatches. Refusals are written at `info`, check runs that
   * end `ready` at `debug`, retries and failed checks at `warn`, failures
   * at `error`, whatever this says.
   *
   * @default {"info"}
   */
  level?: LogLevel;
  /**
   * Static properties merged into every record, e.g. `{ service: "billing" }`.
   * The record's own fields win on a name clash.
   *
   * @default {{}}
   */
  fields?: Readonly<Record<string, unknown>>;
}

const LEVELS: ReadonlySet<string> = new Set(["debug", "info", "warn", "error"]);
const OPTIONS: ReadonlySet<string> = new Set(["level", "fields"]);

/**
 * An {@linkcode Observer} that writes one structured record per outcome:
 * a transition, a readiness change, a failure, a retried attempt, a
 * finished dispatch, a finished check run. A dispatch is written once,
 * when it ends (the record holds everything its start knew); a failed
 * attempt that is retried is written as a `warn` retry record, and the
 * failure of the last attempt is the dispatch's own record — so a failed
 * dispatch is one `error` line, not two.
 *
 * Messages are LogTape message templates with named placeholders, e.g.
 * `"{worker} {from} → {to}"` or `"{worker} {command} failed after
 * {attempts} attempt(s): {failureMessage} ({code})"`; every placeholder is
 * a property of the record. LogTape renders them itself; `console` and
 * `@std/log` get the rendered text (`billing/prices starting → running`).
 *
 * With a LogTape logger, records go to child categories:
 * `[...category, runtime]` for the runtime's own transitions and readiness
 * and `[...category, runtime, worker]` (the local name) for everything
 * else, so `getLogger(["workerkit"])` yields `["workerkit", "billing",
 * "prices"]` and one worker's level can be set on its own. Records below a
 * category's level are never built.
 *
 * Levels:
 *
 * | record | level |
 * |---|---|
 * | transition, readiness change, successful dispatch | `level` (default `info`) |
 * | dispatch refused at admission (`attempts: 0`: saturated, not accepting work, ...) or rejected by its handler (`OpsCommandError` kind `rejected`) | `info` |
 * | dispatch ended by its caller's own signal, whatever the reason (`AbortSignal.timeout` included): `canceled: true` | `info` |
 * | check run ending `ready` | `debug` |
 * | check run ending `not_ready`, or `canceled` by a stop | `info` |
 * | failed attempt that is retried | `warn` |
 * | check run ending `error` or `timeout` | `warn` |
 * | failed dispatch (handler error, `commandTimeout` deadline, retry budget) | `error` |
 * | lifecycle, background, stall and loop-cleanup failures | `error` |
 *
 * Properties (stable names): every record has `event`
 * (`"workerkit.transition"`, `"workerkit.readiness"`, `"workerkit.failure"`,
 * `"workerkit.command"`, `"workerkit.check"`), `runtime`, `worker` (the
 * qualified name; absent for the runtime's own records) and `at`
 * (ISO-8601, the runtime's clock); transitions `from`, `to`, `reason`;
 * readiness `ready`; failures `kind`, `code`, `failureMessage`, `command`,
 * `attempt`, `dispatchId`, and `retrying: true` on a retry record;
 * dispatches `command`, `dispatchId`, `outcome` (`"ok"`, `"error"`,
 * `"rejected"`), `ok`, `attempts`, `durationMs`, and on failure `code` and
 * `failureMessage` (and `canceled: true` when the caller's signal ended it); check runs `check`, `outcome`, `durationMs`, and on
 * error or timeout `code` and `failureMessage`.
 *
 * Only the public code and message of a failure are written; the private
 * `cause`, which may hold secrets, never is. A logger that lacks a level's
 * method is written to with `info` instead (or skipped if it has none); a
 * logger that throws or rejects is ignored. Nothing is written until the
 * runtime emits an event.
 *
 * @param logger Where records go: LogTape's `getLogger(["workerkit"])`, an
 * `@std/log` logger, `console`, or any {@linkcode StructuredLogger}.
 * @param options The routine level and static fields.
 * @returns An observer to pass as the runtime's `observer` (or to
 * `multiObserver`).
 * @throws {WorkerkitError} `invalid_argument` if `logger` is not an
 * object, `options` or `fields` is not an object, `level` is not one of
 * `debug`, `info`, `warn`, `error`, or an option is unknown.
 *
 * @example Logging a runtime to the console
 * ```ts
 * import { Runtime } from "@workerkit/core";
 * import { logObserver } from "@workerkit/core/log";
 *
 * const runtime = new Runtime({
 *   name: "billing",
 *   observer: logObserver(console, { fields: { service: "billing" } }),
 * });
 * runtime.register({ name: "ingest", worker: { start() {}, stop() {} } });
 * await runtime.startAll(); // billing/ingest registered → starting { service: "billing", ... }
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export function logObserver(
  logger: StructuredLogger,
  options: LogObserverOptions = {},
): Observer {
  if (
    logger === null ||
    (typeof logger !== "object" && typeof logger !== "function")
  ) {
    throw invalid("logObserver() takes a logger object");
  }
  const { level, fields } = checkOptions(options);
  const destination = new Destination(logger);
  const okMessages = new MessageCache(TEMPLATES.commandOk);
  const templated = destination.templated;
  /** Builds the record only when its logger takes the level. */
  const write = <E, X>(
    runtime: string,
    worker: string | undefined,
    at: Level,
    build: (
      e: E,
      fields: Readonly<Record<string, unknown>> | undefined,
      x: X,
    ) => LogRecordParts,
    e: E,
    x: X,
  ): void => {
    const target = destination.logger(runtime, worker);
    if (!destination.enabled(target, at)) return;
    const record = build(e, fields, x);
    destination.write(target, at, record.template, record.properties);
  };
  // The last failed attempt of each dispatch in flight, until the next
  // attempt (a retry) or the end (the dispatch's own record) consumes it.
  const failedAttempts = new Map<string, FailureEvent>();
  const attemptFailed = (dispatchId: string, retrying: boolean): void => {
    const failure = failedAttempts.get(dispatchId);
    if (failure === undefined) return;
    failedAttempts.delete(dispatchId);
    write(
      failure.runtime,
      failure.worker,
      "warn",
      failureRecord,
      failure,
      retrying,
    );
  };
  // One observation serves every dispatch (and one every check run): the
  // end event says everything, so nothing is allocated per dispatch.
  // No `wrap`: a retry is known from the attempt that follows it, and
  // wrapping every handler would cost each dispatch more than its record.
  const command: CommandObservation = {
    end(e: CommandEndEvent): void {
      if (failedAttempts.size > 0) settle(e);
      const outcome = e.ok ? "ok" : commandOutcome(e);
      const at = outcome === "ok"
        ? level
        : outcome === "rejected" || e.canceled === true ||
            e.code === "canceled"
        ? "info"
        : "error";
      const template = commandTemplate(e, outcome);
      if (templated) {
        const target = destination.logger(e.runtime, e.worker);
        if (!destination.enabled(target, at)) return;
        destination.write(
          target,
          at,
          template,
          commandProperties(e, fields, outcome),
        );
        return;
      }
      // The hot path: a plain logger, and the same message for every
      // success of a command.
      const properties = commandProperties(e, fields, outcome);
      const rendered = template === TEMPLATES.commandOk
        ? okMessages.get(e.worker, e.command, properties)
        : undefined;
      destination.write(logger, at, template, properties, rendered);
    },
  };
  const check: CheckObservation = {
    end: (e: CheckEndEvent): void =>
      write(e.runtime, e.worker, checkLevel(e), checkRecord, e, undefined),
  };

  return {
    transition: (e: TransitionEvent): void =>
      write(e.runtime, e.worker, level, transitionRecord, e, undefined),
    readiness: (e: ReadinessEvent): void =>
      write(e.runtime, e.worker, level, readinessRecord, e, undefined),
    failure(e: FailureEvent): void {
      if (e.kind === "command" && e.dispatchId !== undefined) {
        // A second failed attempt proves the first one was retried.
        attemptFailed(e.dispatchId, true);
        failedAttempts.set(e.dispatchId, e);
        return;
      }
      write(e.runtime, e.worker, "error", failureRecord, e, false);
    },
    commandStart: (): CommandObservation => command,
    checkStart: (): CheckObservation => check,
  };

  /**
   * The last failed attempt is the dispatch's own failure, told by its
   * end record — unless the dispatch then succeeded (the attempt was
   * retried) or ended for another reason, a deadline or the retry budget
   * before the next attempt (the attempt gets a `warn` record of its own,
   * so its code is not lost).
   */
  function settle(e: CommandEndEvent): void {
    const failure = failedAttempts.get(e.dispatchId);
    if (failure === undefined) return;
    if (e.ok) attemptFailed(e.dispatchId, true);
    else if (failure.code !== e.code) attemptFailed(e.dispatchId, false);
    else failedAttempts.delete(e.dispatchId);
  }
}

function checkLevel(e: CheckEndEvent): Level {
  switch (e.outcome) {
    case "ready":
      return "debug";
    case "not_ready":
    case "canceled":
      return "info";
    default:
      return "warn";
  }
}

function checkOptions(
  options: LogObserverOptions,
): { level: Level; fields: Readonly<Record<string, unknown>> | undefined } {
  if (options === null || typeof options !== "object") {
    throw invalid("logObserver() options must be an object");
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) {
      throw invalid(`logObserver() has no option ${JSON.stringify(key)}`);
    }
  }
  const level = options.level ?? "info";
  if (!LEVELS.has(level)) {
    throw invalid('level must be one of "debug", "info", "warn", "error"');
  }
  const fields = options.fields ?? {};
  if (fields === null || typeof fields !== "object") {
    throw invalid("fields must be an object");
  }
  // No fields: nothing to merge into each record.
  const copy = { ...fields };
  return {
    level,
    fields: Object.keys(copy).length === 0 ? undefined : copy,
  };
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
