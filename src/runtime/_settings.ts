import { WorkerkitError } from "../base/errors.ts";
import type {
  FailurePolicy,
  ReadinessPolicy,
  RestartPolicy,
  WorkerDefaults,
} from "../options.ts";
import { never, type RetryPolicy } from "../retry/policy.ts";
import { MAX_TIMER_MS } from "../base/clock.ts";

/** A worker's settings after defaults are applied and checked. */
export interface Settings {
  readonly startTimeout: number;
  readonly stopTimeout: number;
  readonly commandTimeout: number;
  readonly startRetry: RetryPolicy;
  readonly commandRetry: RetryPolicy;
  readonly commandConcurrency: number;
  readonly failurePolicy: FailurePolicy;
  readonly readyOnStart: boolean;
  readonly acceptingWorkOnStart: boolean;
  readonly contributesToReadiness: boolean;
  readonly restart: Required<RestartPolicy> | undefined;
  readonly stallTimeout: number | undefined;
  readonly livenessOnStall: boolean;
}

const FAILURE_POLICIES: readonly FailurePolicy[] = [
  "isolate",
  "mark-runtime-unready",
  "fail-runtime",
];

/**
 * Merges a worker's own settings over the runtime's defaults over the
 * built-in defaults, and checks every value.
 *
 * @throws {WorkerkitError} `invalid_argument` naming the bad field.
 */
export function resolveSettings(
  own: WorkerDefaults,
  defaults: WorkerDefaults,
): Settings {
  const pick = <K extends keyof WorkerDefaults>(key: K): WorkerDefaults[K] =>
    own[key] !== undefined ? own[key] : defaults[key];
  const restart = pick("restart");
  const stallTimeout = pick("stallTimeout");
  return {
    startTimeout: duration("startTimeout", pick("startTimeout") ?? 30_000),
    stopTimeout: duration("stopTimeout", pick("stopTimeout") ?? 30_000),
    commandTimeout: duration(
      "commandTimeout",
      pick("commandTimeout") ?? 30_000,
    ),
    startRetry: policy("startRetry", pick("startRetry") ?? never()),
    commandRetry: policy("commandRetry", pick("commandRetry") ?? never()),
    commandConcurrency: cap(
      "commandConcurrency",
      pick("commandConcurrency") ?? 0,
    ),
    failurePolicy: failurePolicy(pick("failurePolicy") ?? "isolate"),
    readyOnStart: flag("readyOnStart", pick("readyOnStart") ?? true),
    acceptingWorkOnStart: flag(
      "acceptingWorkOnStart",
      pick("acceptingWorkOnStart") ?? true,
    ),
    contributesToReadiness: flag(
      "contributesToReadiness",
      pick("contributesToReadiness") ?? true,
    ),
    restart: restart === undefined ? undefined : restartPolicy(restart),
    stallTimeout: stallTimeout === undefined
      ? undefined
      : duration("stallTimeout", stallTimeout),
    livenessOnStall: flag("livenessOnStall", pick("livenessOnStall") ?? false),
  };
}

/** A positive duration in ms, at most the largest timer; `Infinity` means none. */
export function duration(field: string, value: unknown): number {
  if (value === Infinity) return Infinity;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value <= 0 ||
    value > MAX_TIMER_MS
  ) {
    throw invalid(
      field,
      `a duration in ms in (0, ${MAX_TIMER_MS}] or Infinity`,
    );
  }
  return value;
}

/** A concurrency cap: a whole number, 0 for unbounded. */
export function cap(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, "a whole number >= 0 (0 = unbounded)");
  }
  return value;
}

function policy(field: string, value: unknown): RetryPolicy {
  if (
    value === null || typeof value !== "object" ||
    typeof (value as RetryPolicy).delay !== "function"
  ) {
    throw invalid(field, "a RetryPolicy such as never() or attempts(3)");
  }
  return value as RetryPolicy;
}

function flag(field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid(field, "a boolean");
  return value;
}

function failurePolicy(value: unknown): FailurePolicy {
  if (!FAILURE_POLICIES.includes(value as FailurePolicy)) {
    throw invalid("failurePolicy", FAILURE_POLICIES.join(" | "));
  }
  return value as FailurePolicy;
}

function restartPolicy(value: unknown): Required<RestartPolicy> {
  if (value === null || typeof value !== "object") {
    throw invalid("restart", "{ backoff, maxRestarts?, withinMs? }");
  }
  const restart = value as RestartPolicy;
  const maxRestarts = restart.maxRestarts ?? 5;
  if (!Number.isSafeInteger(maxRestarts) || maxRestarts < 0) {
    throw invalid("restart.maxRestarts", "a whole number >= 0");
  }
  return {
    backoff: policy("restart.backoff", restart.backoff),
    maxRestarts,
    withinMs: duration("restart.withinMs", restart.withinMs ?? 60_000),
  };
}

function invalid(field: string, expected: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", `${field} must be ${expected}`);
}

/** The runtime's readiness policy, checked; `contributing` by default. */
export function readinessPolicy(value: unknown): ReadinessPolicy {
  if (value === undefined) return "contributing";
  if (value === "contributing" || value === "all") return value;
  throw new WorkerkitError(
    "invalid_argument",
    'readinessPolicy must be "contributing" or "all"',
  );
}
