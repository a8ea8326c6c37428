/**
 * How one shutdown spends its time, every value in ms: from the signal,
 * `shutdownDelay` unready but serving, then one `shutdownTimeout` budget
 * shared by the server's close (at most `serverCloseTimeout`), the workers'
 * drain and stop (the rest), and the flush (at least `flushReserve`, kept at
 * the end of the budget). `gracePeriod` is what the platform allows before
 * it kills the process (Kubernetes' `terminationGracePeriodSeconds`).
 */
export interface ShutdownBudget {
  /** The platform's limit from the signal to SIGKILL. */
  gracePeriod: number;
  /** Time unready but serving, before the budget starts. */
  shutdownDelay: number;
  /** The budget for server close, workers and flush. */
  shutdownTimeout: number;
  /** The server's graceful share; then open connections are closed. */
  serverCloseTimeout: number;
  /** Time kept for the flush at the end of the budget (0 without one). */
  flushReserve: number;
}

/** A budget setting that had to change, or a budget that cannot fit. */
export interface BudgetWarning {
  /** `budget_exceeds_grace_period` or `timeout_clipped`. */
  code: "budget_exceeds_grace_period" | "timeout_clipped";
  /** What is wrong, for a log line. */
  message: string;
  /** The clipped step, for `timeout_clipped`. */
  step?: "server" | "flush";
  /** What was asked for, ms. */
  requestedMs?: number;
  /** What is used instead, ms (for `timeout_clipped`). */
  clippedMs?: number;
}

/** What the caller asked for; absent values take the defaults. */
export interface BudgetRequest {
  gracePeriod: number;
  shutdownDelay: number;
  shutdownTimeout: number;
  serverCloseTimeout: number | undefined;
  flushReserve: number | undefined;
  hasFlush: boolean;
}

/**
 * Resolves the defaults and keeps every share inside the budget: the flush
 * keeps at most half of it, and the server at most half of what the flush
 * leaves, so the workers always get a share. Each clip, and a budget that
 * overruns the grace period, comes back as a warning.
 */
export function planBudget(
  request: BudgetRequest,
): { budget: ShutdownBudget; warnings: BudgetWarning[] } {
  const { gracePeriod, shutdownDelay, shutdownTimeout } = request;
  const warnings: BudgetWarning[] = [];
  const clip = (
    step: "server" | "flush",
    requested: number,
    limit: number,
  ): number => {
    if (requested <= limit) return requested;
    warnings.push({
      code: "timeout_clipped",
      message:
        `the ${step} step's ${requested} ms do not fit the ${shutdownTimeout} ms shutdown budget; using ${limit} ms`,
      step,
      requestedMs: requested,
      clippedMs: limit,
    });
    return limit;
  };
  const flushReserve = request.hasFlush
    ? clip(
      "flush",
      request.flushReserve ?? Math.round(shutdownTimeout / 10),
      Math.floor(shutdownTimeout / 2),
    )
    : 0;
  const serverCloseTimeout = clip(
    "server",
    request.serverCloseTimeout ?? Math.round(shutdownTimeout / 4),
    Math.floor((shutdownTimeout - flushReserve) / 2),
  );
  const total = shutdownDelay + shutdownTimeout;
  if (total > gracePeriod) {
    warnings.push({
      code: "budget_exceeds_grace_period",
      message:
        `shutdownDelay + shutdownTimeout = ${total} ms exceed the ${gracePeriod} ms grace period: the platform may kill the process before shutdown ends`,
      requestedMs: total,
    });
  }
  return {
    budget: {
      gracePeriod,
      shutdownDelay,
      shutdownTimeout,
      serverCloseTimeout,
      flushReserve,
    },
    warnings,
  };
}
