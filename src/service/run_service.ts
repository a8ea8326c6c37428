import { Attempt } from "../base/_attempt.ts";
import { WorkerkitError } from "../base/errors.ts";
import { delay } from "../retry/delay.ts";
import { Runtime } from "../runtime.ts";
import type { Server } from "./server.ts";

/** Options for {@linkcode runService}. */
export interface RunServiceOptions {
  /** The runtime to run. */
  runtime: Runtime;
  /** An HTTP server to drain before the workers, e.g. from an adapter's `serve`. */
  server?: Server;
  /** Begins shutdown when it aborts, e.g. an adapter's `shutdownSignal()`. */
  signal: AbortSignal;
  /** The whole budget for the server's and the runtime's shutdown, ms. @default {20000} */
  shutdownTimeout?: number;
  /**
   * How long to stay up but unready before shutting down, ms, so load
   * balancers stop routing first. @default {0}
   */
  shutdownDelay?: number;
  /** Whether to `startAll()` first. @default {true} */
  startWorkers?: boolean;
}

/** How the service ended. */
export interface ServiceResult {
  /** 0 after a clean shutdown; 1 when the runtime failed or shutdown did not finish cleanly in its budget. */
  exitCode: 0 | 1;
}

/**
 * Runs a service to the end: starts the workers, waits for `signal` (or
 * for a worker whose failure policy is `fail-runtime` to fail for good),
 * then shuts down in the order Kubernetes wants: readiness false at once
 * (liveness stays true), a `shutdownDelay` for load balancers, then within
 * one `shutdownTimeout` budget the HTTP server first — handlers may still use
 * workers — and the runtime with what is left. Transport-agnostic: it works
 * with any {@linkcode Server}, or none on an edge host without signals.
 *
 * @param options The runtime, server, signal and timings.
 * @returns The exit code to use.
 * @throws The start error when a worker fails to start (after shutting down
 * what had started).
 *
 * @example A worker service with no HTTP server
 * ```ts
 * import { Runtime, runService } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "billing" });
 * runtime.register({ name: "ingest", worker: { start() {}, stop() {} } });
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 10);
 * const { exitCode } = await runService({ runtime, signal: stop.signal });
 * console.log(exitCode); // 0
 * ```
 */
export async function runService(
  options: RunServiceOptions,
): Promise<ServiceResult> {
  const settings = checkOptions(options);
  const { runtime, server, signal } = options;
  if (settings.startWorkers) {
    try {
      await runtime.startAll({ signal });
    } catch (error) {
      if (!signal.aborted) {
        await stopEverything(runtime, server, settings.shutdownTimeout);
        throw error;
      }
    }
  }
  const failed = await shutdownTrigger(runtime, signal);
  runtime.beginStopping();
  if (settings.shutdownDelay > 0) {
    await delay(settings.shutdownDelay, { clock: runtime.clock });
  }
  const clean = await stopEverything(runtime, server, settings.shutdownTimeout);
  return { exitCode: clean && !failed ? 0 : 1 };
}

/**
 * Shuts down the server, then the runtime, within one budget; true when
 * both finished cleanly in time.
 */
async function stopEverything(
  runtime: Runtime,
  server: Server | undefined,
  budgetMs: number,
): Promise<boolean> {
  const budget = new Attempt(runtime.clock, budgetMs);
  let clean = true;
  try {
    if (server) {
      await server.shutdown(budget.signal).catch(() => {
        clean = false;
      });
    }
    await runtime.shutdown({ signal: budget.signal }).catch(() => {
      clean = false;
    });
    return clean && !budget.signal.aborted;
  } finally {
    budget.settle();
  }
}

/**
 * Resolves when `signal` aborts (false) or a `fail-runtime` worker has
 * failed for good (true).
 */
function shutdownTrigger(
  runtime: Runtime,
  signal: AbortSignal,
): Promise<boolean> {
  if (runtime.failing) return Promise.resolve(true);
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const done = (failed: boolean): void => {
      signal.removeEventListener("abort", onAbort);
      runtime.removeEventListener("transition", onTransition);
      resolve(failed);
    };
    const onAbort = (): void => done(false);
    const onTransition = (): void => {
      if (runtime.failing) done(true);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    runtime.addEventListener("transition", onTransition);
  });
}

function checkOptions(options: RunServiceOptions): {
  shutdownTimeout: number;
  shutdownDelay: number;
  startWorkers: boolean;
} {
  if (options === null || typeof options !== "object") {
    throw invalid("runService() takes an options object");
  }
  if (!(options.runtime instanceof Runtime)) {
    throw invalid("runService() needs a Runtime as `runtime`");
  }
  if (!(options.signal instanceof AbortSignal)) {
    throw invalid("runService() needs an AbortSignal as `signal`");
  }
  const { shutdownTimeout = 20_000, shutdownDelay = 0, startWorkers = true } =
    options;
  if (!(shutdownTimeout > 0) || !Number.isFinite(shutdownTimeout)) {
    throw invalid("shutdownTimeout must be a positive number of ms");
  }
  if (!(shutdownDelay >= 0) || !Number.isFinite(shutdownDelay)) {
    throw invalid("shutdownDelay must be a number of ms >= 0");
  }
  if (typeof startWorkers !== "boolean") {
    throw invalid("startWorkers must be a boolean");
  }
  return { shutdownTimeout, shutdownDelay, startWorkers };
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
