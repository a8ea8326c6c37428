import type {
  CheckEndEvent,
  CheckObservation,
  CommandEndEvent,
  CommandObservation,
  FailureEvent,
  Observer,
  ReadinessEvent,
  TransitionEvent,
} from "../../mod.ts";
import { WorkerkitError } from "../../mod.ts";
import {
  checkFields,
  commandFields,
  failureFields,
  type Level,
  MESSAGES,
  readinessFields,
  transitionFields,
} from "./_records.ts";

/**
 * The level routine records are written at; failures always go to `error`.
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
 * constant message and a properties object. LogTape's `Logger`, `@std/log`'s
 * `Logger` and `console` all have this shape.
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
   * The level of routine records (transitions, readiness, successful
   * commands, check runs that end `ready` or `not_ready`). Failures, failed
   * or refused commands and check runs that end `error` or `timeout` are
   * always written at `error`.
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

/**
 * An {@linkcode Observer} that writes one structured record per event:
 * transitions, readiness changes and failures as they happen, and one
 * record per dispatch and per check run when it ends (the end record holds
 * everything the start knew, and every dispatch ends by its
 * `commandTimeout` unless that is `Infinity`).
 *
 * Each record has a constant message per type — `"workerkit transition"`,
 * `"workerkit readiness"`, `"workerkit failure"`, `"workerkit command"`,
 * `"workerkit check"` — and properties with stable names:
 *
 * - every record: `event` (`"workerkit.transition"`, `"workerkit.readiness"`,
 *   `"workerkit.failure"`, `"workerkit.command"`, `"workerkit.check"`),
 *   `runtime`, `worker` (the qualified name; absent for the runtime's own
 *   transitions and readiness), `at` (ISO-8601, the runtime's clock);
 * - transition: `from`, `to`, `reason` (when set);
 * - readiness: `ready`;
 * - failure: `kind`, `code`, `failureMessage`, `command` and `attempt` (when set);
 * - command: `command`, `dispatchId`, `outcome` (`"ok"`, `"error"`, or
 *   `"rejected"` for an admission refusal), `ok`, `attempts`, `durationMs`,
 *   and on failure `code` and `failureMessage`;
 * - check: `check`, `outcome` (`"ready"`, `"not_ready"`, `"error"`,
 *   `"timeout"`), `durationMs`, and on error or timeout `code` and
 *   `failureMessage`.
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
 * @throws {WorkerkitError} `invalid_argument` if `logger` or `fields` is not
 * an object, or `level` is not one of `debug`, `info`, `warn`, `error`.
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
 * await runtime.startAll(); // workerkit transition { service: "billing", event: "workerkit.transition", ... }
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
    throw new WorkerkitError(
      "invalid_argument",
      "logObserver() takes a logger object",
    );
  }
  if (options === null || typeof options !== "object") {
    throw new WorkerkitError(
      "invalid_argument",
      "logObserver() options must be an object",
    );
  }
  const level = options.level ?? "info";
  if (!LEVELS.has(level)) {
    throw new WorkerkitError(
      "invalid_argument",
      'level must be one of "debug", "info", "warn", "error"',
    );
  }
  const fields = options.fields ?? {};
  if (fields === null || typeof fields !== "object") {
    throw new WorkerkitError(
      "invalid_argument",
      "fields must be an object",
    );
  }
  const staticFields: Readonly<Record<string, unknown>> = { ...fields };
  const write = (
    at: Level,
    message: string,
    properties: Record<string, unknown>,
  ): void => writeRecord(logger, at, message, properties);

  return {
    transition: (e: TransitionEvent): void =>
      write(level, MESSAGES.transition, transitionFields(e, staticFields)),
    readiness: (e: ReadinessEvent): void =>
      write(level, MESSAGES.readiness, readinessFields(e, staticFields)),
    failure: (e: FailureEvent): void =>
      write("error", MESSAGES.failure, failureFields(e, staticFields)),
    commandStart: (): CommandObservation => ({
      end: (e: CommandEndEvent): void =>
        write(
          e.ok ? level : "error",
          MESSAGES.command,
          commandFields(e, staticFields),
        ),
    }),
    checkStart: (): CheckObservation => ({
      end: (e: CheckEndEvent): void =>
        write(
          e.outcome === "error" || e.outcome === "timeout" ? "error" : level,
          MESSAGES.check,
          checkFields(e, staticFields),
        ),
    }),
  };
}

/**
 * Calls the logger's method for `level` (or `info`), looked up at each call
 * so a logger that is patched later is honoured; never throws.
 */
function writeRecord(
  logger: StructuredLogger,
  level: Level,
  message: string,
  properties: Record<string, unknown>,
): void {
  try {
    let method: unknown = logger[level];
    if (typeof method !== "function") method = logger.info;
    if (typeof method !== "function") return;
    ignoreRejection(
      (method as (m: string, p: Record<string, unknown>) => unknown).call(
        logger,
        message,
        properties,
      ),
    );
  } catch {
    // A logger's failure is its own; the runtime carries on.
  }
}

function ignoreRejection(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  try {
    const then = (value as { then?: unknown }).then;
    if (typeof then === "function") then.call(value, undefined, () => {});
  } catch {
    // A hostile thenable cannot hurt us either.
  }
}
