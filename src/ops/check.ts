/**
 * The outcome of one health check: whether the checked dependency is ready,
 * with optional detail. Like every ops value it must be safe to publish — a
 * check loop hands it to `onResult`, and operators may show it.
 *
 * @example A result with detail
 * ```ts
 * import type { CheckResult } from "@workerkit/core";
 *
 * const result: CheckResult = {
 *   ready: false,
 *   message: "replica lag above 30 s",
 *   attributes: { lagSeconds: 42, replica: "db-2" },
 *   at: new Date().toISOString(),
 * };
 * console.log(result.ready); // false
 * ```
 */
export interface CheckResult {
  /** Whether the checked thing is ready. */
  ready: boolean;
  /** A short, publishable explanation. */
  message?: string;
  /** Publishable facts about the check (no secrets, bounded values). */
  attributes?: Record<string, string | number | boolean>;
  /** When the check ran, as an ISO-8601 string. */
  at?: string;
}

/**
 * The outcome of a {@linkcode CheckGroup}: the group's own verdict and every
 * member's result by name.
 *
 * @example A group with one failing member
 * ```ts
 * import type { CheckSummary } from "@workerkit/core";
 *
 * const summary: CheckSummary = {
 *   ready: false,
 *   results: {
 *     postgres: { ready: true },
 *     redis: { ready: false, message: "connection refused" },
 *   },
 * };
 * console.log(Object.keys(summary.results)); // ["postgres", "redis"]
 * ```
 */
export interface CheckSummary {
  /** The group's verdict (how members add up is the group's own rule). */
  ready: boolean;
  /** Each member's result, by member name. */
  results: Record<string, CheckResult>;
}

/**
 * An active health check of one dependency. `check` should honour `signal`
 * (it aborts at the check's timeout and when its worker stops); the runtime
 * cannot interrupt code that ignores it, but a result that arrives after the
 * timeout is never applied to readiness. Run it periodically with
 * `checkLoop`.
 *
 * @example A checker for an HTTP dependency
 * ```ts
 * import type { Checker, CheckResult } from "@workerkit/core";
 *
 * const upstream: Checker = {
 *   name: "prices-api",
 *   async check(signal: AbortSignal): Promise<CheckResult> {
 *     signal.throwIfAborted();
 *     const reachable = true; // imagine `await fetch(url, { signal })` here
 *     return { ready: reachable, at: new Date().toISOString() };
 *   },
 * };
 * console.log(upstream.name);
 * ```
 */
export interface Checker {
  /** The check's name; it labels check events, so keep it short and fixed. */
  readonly name: string;
  /**
   * Runs the check once.
   *
   * @param signal Aborts at the check's timeout or when its worker stops.
   * @returns The result; a rejection counts as an `error` outcome.
   */
  check(signal: AbortSignal): Promise<CheckResult>;
}

/**
 * Several checks run together, with one verdict. Run it periodically with
 * `checkGroupLoop`.
 *
 * @example A group that needs every member ready
 * ```ts
 * import type { Checker, CheckGroup, CheckResult, CheckSummary } from "@workerkit/core";
 *
 * function group(name: string, members: Checker[]): CheckGroup {
 *   return {
 *     name,
 *     async checkAll(signal: AbortSignal): Promise<CheckSummary> {
 *       const results: Record<string, CheckResult> = {};
 *       for (const member of members) results[member.name] = await member.check(signal);
 *       return { ready: Object.values(results).every((r) => r.ready), results };
 *     },
 *   };
 * }
 * const storage = group("storage", [
 *   { name: "postgres", check: () => Promise.resolve({ ready: true }) },
 * ]);
 * console.log(storage.name);
 * ```
 */
export interface CheckGroup {
  /** The group's name; it labels check events, so keep it short and fixed. */
  readonly name: string;
  /**
   * Runs every member check once.
   *
   * @param signal Aborts at the group's timeout or when its worker stops.
   * @returns The summary; a rejection counts as an `error` outcome.
   */
  checkAll(signal: AbortSignal): Promise<CheckSummary>;
}
