// The service shell both infrastructure examples share (examples/redis-stream
// and examples/postgres-queue): JSON-lines logs through LogTape, the ops
// router (/livez, /readyz; commands only behind OPS_TOKEN), and runService()
// on SIGTERM — unready at once, SHUTDOWN_DELAY_MS for the load balancer, then
// drain and stop within SHUTDOWN_TIMEOUT_MS — then the process exits with the
// service's exit code.
//
// Environment (all optional):
//   PORT (8080; 0 picks a free one), HOST (127.0.0.1; 0.0.0.0 in a container),
//   OPS_TOKEN (enables POST /admin/commands/dispatch behind a bearer token),
//   SHUTDOWN_DELAY_MS (5000 under Kubernetes, else 0), SHUTDOWN_TIMEOUT_MS
//   (20000), LOG_LEVEL (info).
import process from "node:process";
import {
  configure,
  getConsoleSink,
  getLogger,
  jsonLinesFormatter,
  type Logger,
  type LogLevel,
} from "@logtape/logtape";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { runService, type Runtime } from "../../mod.ts";
import { serve, shutdownSignal } from "../../adapters/serve.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { logObserver } from "../../src/log/mod.ts";
import { errorCode } from "./error_code.ts";

/** Sends the service's logs to stdout as JSON lines; returns its logger. */
export async function setUpLogs(service: string): Promise<Logger> {
  await configure({
    sinks: { console: getConsoleSink({ formatter: jsonLinesFormatter }) },
    loggers: [
      {
        category: [service],
        sinks: ["console"],
        lowestLevel: (process.env.LOG_LEVEL ?? "info") as LogLevel,
      },
      {
        category: ["logtape", "meta"],
        sinks: ["console"],
        lowestLevel: "warning",
      },
    ],
  });
  return getLogger([service]);
}

/** The runtime's lifecycle events as logs under `[service, "workerkit"]`. */
export function runtimeLogs(service: string): ReturnType<typeof logObserver> {
  return logObserver(getLogger([service, "workerkit"]), {
    fields: { service },
  });
}

/**
 * An environment variable the service cannot run without: a missing one is
 * logged (by name only) and ends the process with exit code 2.
 */
export function requiredEnv(name: string, log: Logger): string {
  const value = process.env[name];
  if (value) return value;
  log.error("{name} is not set", { name });
  process.exit(2);
}

/**
 * A positive integer from the environment, or `fallback`; anything else is
 * a configuration error that ends the process (exit code 2).
 */
export function numberEnv(name: string, fallback: number, log: Logger): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= 0) return value;
  log.error("{name} must be a whole number of at least 0", { name });
  process.exit(2);
}

/**
 * A connection URL fit for logs: scheme, host, port and path — never the
 * user name, password or query (which may carry a password too).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * Serves the ops routes, runs the runtime's workers until SIGTERM or SIGINT,
 * shuts down in order and exits the process with the service's exit code
 * (1 when a worker failed to start).
 */
export async function serveWorkers(
  runtime: Runtime,
  log: Logger,
): Promise<never> {
  const port = numberEnv("PORT", 8080, log);
  // Unset: the server's default (5 s under Kubernetes, else 0).
  const delayEnv = process.env.SHUTDOWN_DELAY_MS;
  const shutdownDelay = delayEnv
    ? numberEnv("SHUTDOWN_DELAY_MS", 0, log)
    : undefined;
  const shutdownTimeout = shutdownBudget(log);
  const token = process.env.OPS_TOKEN;
  const app = new Hono();
  app.route(
    "/",
    opsRouter(
      token
        ? { runtime, authMiddleware: bearerAuth({ token }), commands: true }
        : { runtime },
    ),
  );
  const shutdown = shutdownSignal();
  const server = await serve(app.fetch, {
    port,
    hostname: process.env.HOST ?? "127.0.0.1",
  });
  log.info("serving ops routes on {url}", {
    url: server.url.href,
    commands: Boolean(token),
  });
  let signalAt = 0;
  shutdown.addEventListener("abort", () => {
    signalAt = performance.now();
    log.info("shutdown signal: draining", {
      shutdownDelay: shutdownDelay ?? server.shutdownDelay ?? 0,
      shutdownTimeout,
    });
  }, { once: true });
  try {
    const { exitCode, unstopped, phases } = await runService({
      runtime,
      server,
      signal: shutdown,
      ...(shutdownDelay === undefined ? {} : { shutdownDelay }),
      shutdownTimeout,
    });
    const shutdownMs = signalAt ? Math.round(performance.now() - signalAt) : 0;
    log.info("stopped with exit code {exitCode}", {
      exitCode,
      shutdownMs,
      unstopped,
      phases,
    });
    process.exit(exitCode);
  } catch (error) {
    // runService already shut down what had started; the public projection
    // of the start error is in the runtime's failure logs.
    log.error("could not start: {code}", {
      code: errorCode(error, "worker_failed"),
    });
    await server.shutdown(AbortSignal.timeout(1_000)).catch(() => {});
    process.exit(1);
  }
}

/**
 * The shutdown budget (SHUTDOWN_TIMEOUT_MS, default 20 s) the service shell
 * uses; workers size their finish window from it.
 */
export function shutdownBudget(log: Logger): number {
  return numberEnv("SHUTDOWN_TIMEOUT_MS", 20_000, log);
}
