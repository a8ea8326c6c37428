import type { Clock } from "../base/clock.ts";

/**
 * The key under which a `Runtime` carries {@linkcode RuntimeInternals}.
 * Internal: `runService` and the HTTP router use it; not public API.
 */
export const RUNTIME_INTERNALS: unique symbol = Symbol("workerkit.runtime");

/** Runtime services the managed service needs beyond the public API. */
export interface RuntimeInternals {
  /** The runtime's clock. */
  readonly clock: Clock;
  /** Whether a worker with policy `fail-runtime` is failed for good. */
  failingRuntime(): boolean;
  /** Turns readiness false ahead of shutdown; liveness is unchanged. */
  beginStopping(): void;
  /**
   * Aborts when the service begins stopping (`beginStopping`) or shutdown
   * begins: long-lived responses such as event streams end then, so they
   * never hold an HTTP server's graceful shutdown open.
   */
  readonly stopping: AbortSignal;
}
