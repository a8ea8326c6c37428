/**
 * Structured logs for a Workerkit runtime: {@linkcode logObserver} turns the
 * runtime's events into one record per event on any logger shaped like
 * `{ debug, info, warn, error }(message, properties)` — LogTape, `@std/log`
 * or `console`. No dependencies; nothing is written until the runtime emits.
 *
 * @example Logging through LogTape
 * ```ts
 * import { configure, getConsoleSink, getLogger, reset } from "@logtape/logtape";
 * import { Runtime } from "@workerkit/core";
 * import { logObserver } from "@workerkit/core/log";
 *
 * await configure({
 *   sinks: { console: getConsoleSink() },
 *   loggers: [{ category: ["workerkit"], sinks: ["console"], lowestLevel: "info" }],
 * });
 * const runtime = new Runtime({
 *   name: "billing",
 *   observer: logObserver(getLogger(["workerkit"]), { fields: { service: "billing" } }),
 * });
 * runtime.register({ name: "ingest", worker: { start() {}, stop() {} } });
 * await runtime.startAll();
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * await reset();
 * ```
 *
 * @module
 */

export { logObserver } from "./log_observer.ts";
export type {
  LogLevel,
  LogObserverOptions,
  StructuredLogger,
} from "./log_observer.ts";
