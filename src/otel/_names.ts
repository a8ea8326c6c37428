/** The instrumentation scope name of tracers and meters. */
export const SCOPE = "@workerkit/core";

/**
 * The instrumentation scope version: the package's version. Kept equal to
 * `deno.json`'s `version` by a test (JSON imports are not web-standard
 * everywhere, so it is not read at run time).
 */
export const VERSION = "0.1.0";

/** Attribute keys, on spans and (bounded ones only) on metric points. */
export const ATTR = {
  runtime: "workerkit.runtime",
  worker: "workerkit.worker",
  command: "workerkit.command",
  check: "workerkit.check",
  dispatchId: "workerkit.dispatch_id",
  attempts: "workerkit.attempts",
  attempt: "workerkit.attempt",
  outcome: "workerkit.outcome",
  code: "workerkit.code",
  kind: "workerkit.kind",
  state: "workerkit.state",
  from: "workerkit.from",
  to: "workerkit.to",
  reason: "workerkit.reason",
  ready: "workerkit.ready",
  /** The semantic conventions' `error.type`: the public code of a failure. */
  errorType: "error.type",
} as const;

/** Metric instrument names. */
export const METRIC = {
  dispatches: "workerkit.command.dispatches",
  commandDuration: "workerkit.command.duration",
  checkExecutions: "workerkit.check.executions",
  checkDuration: "workerkit.check.duration",
  failures: "workerkit.failures",
  /**
   * Not `workerkit.worker.count`, which OpenTelemetry's UpDownCounter rule
   * suggests: Prometheus reserves `_count` for histograms and summaries,
   * so `promtool check metrics` refuses it on a gauge. Singular namespace,
   * the counted thing named, no reserved suffix (docs/observability.md).
   */
  workerCount: "workerkit.worker.instances",
  /** Deprecated name of `workerkit.worker.instances`, kept for one release. */
  workersDeprecated: "workerkit.workers",
} as const;

/** Span names and span event names. */
export const SPAN = {
  command: "workerkit.command",
  check: "workerkit.check",
  retry: "workerkit.retry",
  transition: "workerkit.transition",
  readiness: "workerkit.readiness",
  failure: "workerkit.failure",
} as const;

/** Every lifecycle state, so the worker count reports zeros too. */
export const STATES = [
  "registered",
  "starting",
  "running",
  "draining",
  "stopping",
  "stopped",
  "failed",
] as const;

/**
 * Histogram buckets in seconds: in-process commands are often far below a
 * millisecond, and a `commandTimeout` defaults to 30 s.
 */
export const DURATION_BUCKETS: number[] = [
  0.0001,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];
