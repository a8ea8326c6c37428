import type { Clock } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import { delay } from "../retry/delay.ts";
import { Runtime } from "../runtime.ts";
import { holdEventLoop } from "./_keep_alive.ts";
import type { Server } from "./server.ts";
import {
  emitServiceEvent,
  type ShutdownPhases,
  type ShutdownProblem,
  type ShutdownTrigger,
} from "./service_events.ts";
import { planBudget, type ShutdownBudget } from "./shutdown_budget.ts";
import {
  closeServer,
  runFlush,
  stopWorkers,
  unstoppedWorkers,
} from "./_shutdown_steps.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";

/** Options for {@linkcode runService}. */
export interface RunServiceOptions {
  /** The runtime to run. */
  runtime: Runtime;
  /** An HTTP server to close before the workers, e.g. from `serve()`. */
  server?: Server;
  /** Begins shutdown when it aborts, e.g. `shutdownSignal()`. */
  signal: AbortSignal;
  /**
   * What the platform allows from the signal to SIGKILL, ms (Kubernetes'
   * `terminationGracePeriodSeconds`). At start, a `servicewarning` event
   * says so when `shutdownDelay + shutdownTimeout` exceeds it.
   * @default {30000}
   */
  gracePeriod?: number;
  /**
   * How long to stay up but unready before closing anything, ms, so load
   * balancers stop routing first. @default {the server's `shutdownDelay`
   * (5000 in Kubernetes from the adapters), else 0}
   */
  shutdownDelay?: number;
  /**
   * The budget after the delay for the server's close, the workers' drain
   * and stop, and the flush, ms. @default {20000}
   */
  shutdownTimeout?: number;
  /**
   * The server's graceful share of the budget, ms; then its open
   * connections are closed and the workers get the rest. At most half of
   * what the flush leaves. @default {a quarter of `shutdownTimeout`}
   */
  serverCloseTimeout?: number;
  /**
   * Runs after the workers stopped, before `runService` resolves, with a
   * signal that aborts when the budget ends — for `forceFlush()` /
   * `shutdown()` of OpenTelemetry providers and log sinks. It is waited for
   * no longer than that; a rejection or an overrun makes the exit code 1.
   */
  flush?: (signal: AbortSignal) => Promise<void>;
  /**
   * The time kept for `flush` at the end of the budget, ms: the workers'
   * share ends this much earlier. At most half the budget.
   * @default {a tenth of `shutdownTimeout` with a flush, else 0}
   */
  flushReserve?: number;
  /** Whether to `startAll()` first. @default {true} */
  startWorkers?: boolean;
}

/** How the service ended. */
export interface ServiceResult {
  /**
   * 0 after a clean shutdown; 1 when a `fail-runtime` worker failed, a stop
   * failed, the workers overran their share, or the flush failed or overran.
   */
  exitCode: 0 | 1;
  /** Qualified names of the workers not stopped within the budget. */
  unstopped: string[];
  /** Milliseconds per phase of the shutdown. */
  phases: ShutdownPhases;
}

const KEYS = new Set([
  "runtime",
  "server",
  "signal",
  "gracePeriod",
  "shutdownDelay",
  "shutdownTimeout",
  "serverCloseTimeout",
  "flush",
  "flushReserve",
  "startWorkers",
]);

interface Settings {
  runtime: Runtime;
  server: Server | undefined;
  signal: AbortSignal;
  flush: ((signal: AbortSignal) => Promise<void>) | undefined;
  startWorkers: boolean;
  budget: ShutdownBudget;
  clock: Clock;
}

/**
 * Runs a service to the end: starts the workers, waits for `signal` (or
 * for a worker whose failure policy is `fail-runtime` to fail for good),
 * then shuts down in the order Kubernetes wants: readiness false at once
 * (liveness stays true), `shutdownDelay` for load balancers, then within
 * one `shutdownTimeout` budget the server's close (at most
 * `serverCloseTimeout`, then its connections are closed), the workers'
 * drain and stop, and `flush`. It keeps the process alive from the call
 * until it resolves, and nothing of it afterwards. On the runtime it
 * dispatches `servicewarning` events at start and one `shutdown` event with
 * the report at the end ({@linkcode ServiceEventMap}). Transport-agnostic:
 * any {@linkcode Server}, or none on an edge host without signals.
 *
 * @param options The runtime, server, signal and budget.
 * @returns The exit code, the workers that did not stop, the time per phase.
 * @throws {WorkerkitError} `invalid_argument` for a bad option.
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
 * const { exitCode, unstopped } = await runService({ runtime, signal: stop.signal });
 * console.log(exitCode, unstopped); // 0 []
 * ```
 */
export async function runService(
  options: RunServiceOptions,
): Promise<ServiceResult> {
  const settings = checkOptions(options);
  const release = holdEventLoop();
  try {
    return await serve(settings);
  } finally {
    release();
  }
}

async function serve(settings: Settings): Promise<ServiceResult> {
  const { runtime, signal } = settings;
  if (settings.startWorkers) {
    try {
      await runtime.startAll({ signal });
    } catch (error) {
      if (!signal.aborted) {
        await shutDown(settings, "start-failure", 0);
        throw error;
      }
    }
  }
  const trigger = await shutdownTrigger(runtime, signal);
  return shutDown(settings, trigger, settings.budget.shutdownDelay);
}

/** Runs the shutdown timeline and reports it. */
async function shutDown(
  settings: Settings,
  trigger: ShutdownTrigger,
  delayMs: number,
): Promise<ServiceResult> {
  const { runtime, clock } = settings;
  const began = clock.now();
  runtime.beginStopping();
  if (delayMs > 0) await delay(delayMs, { clock });
  const delayed = clock.now() - began;
  const spent = await spendBudget(settings);
  const phases: ShutdownPhases = {
    delay: delayed,
    ...spent.phases,
    total: clock.now() - began,
  };
  roundPhases(phases);
  const problems = [...triggerProblems(trigger), ...spent.problems];
  const exitCode = problems.length === 0 ? 0 : 1;
  emitServiceEvent(runtime, "shutdown", {
    runtime: runtime.name,
    at: new Date(clock.now()).toISOString(),
    trigger,
    exitCode,
    ...(problems[0] === undefined ? {} : { problem: problems[0] }),
    unstopped: spent.unstopped,
    phases,
    forcedClose: spent.forcedClose,
    budget: settings.budget,
  });
  return { exitCode, unstopped: spent.unstopped, phases };
}

function triggerProblems(trigger: ShutdownTrigger): ShutdownProblem[] {
  if (trigger === "fail-runtime") return ["fail_runtime"];
  if (trigger === "start-failure") return ["start_failed"];
  return [];
}

/** What the budget's three steps did. */
interface Spent {
  phases: Pick<ShutdownPhases, "server" | "drain" | "stop" | "flush">;
  problems: ShutdownProblem[];
  forcedClose: boolean;
  unstopped: string[];
}

/** The server's close, the workers' drain and stop, the flush: one budget. */
async function spendBudget(settings: Settings): Promise<Spent> {
  const { runtime, server, clock, budget, flush } = settings;
  const start = clock.now();
  const left = (): number => start + budget.shutdownTimeout - clock.now();
  const spent: Spent = {
    phases: { server: 0, drain: 0, stop: 0, flush: 0 },
    problems: [],
    forcedClose: false,
    unstopped: [],
  };
  if (server) {
    const closed = await closeServer(server, clock, budget.serverCloseTimeout);
    spent.forcedClose = closed.forced;
    if (!closed.ok) spent.problems.push("server_failed");
    spent.phases.server = clock.now() - start;
  }
  const workers = await stopWorkers(
    runtime,
    clock,
    left() - budget.flushReserve,
  );
  if (workers.problem) spent.problems.push(workers.problem);
  spent.phases.drain = workers.drainMs;
  spent.phases.stop = workers.stopMs;
  spent.unstopped = unstoppedWorkers(runtime);
  if (flush) {
    const flushBegan = clock.now();
    const flushed = await runFlush(flush, clock, left());
    if (flushed !== "ok") spent.problems.push(flushed);
    spent.phases.flush = clock.now() - flushBegan;
  }
  return spent;
}

/** Whole milliseconds read better in logs than the clock's fractions. */
function roundPhases(phases: ShutdownPhases): void {
  for (const key of Object.keys(phases) as Array<keyof ShutdownPhases>) {
    phases[key] = Math.round(phases[key]);
  }
}

/**
 * Resolves when `signal` aborts or a `fail-runtime` worker has failed for
 * good, saying which.
 */
function shutdownTrigger(
  runtime: Runtime,
  signal: AbortSignal,
): Promise<ShutdownTrigger> {
  if (runtime.failing) return Promise.resolve("fail-runtime");
  if (signal.aborted) return Promise.resolve("signal");
  return new Promise<ShutdownTrigger>((resolve) => {
    const done = (trigger: ShutdownTrigger): void => {
      signal.removeEventListener("abort", onAbort);
      runtime.removeEventListener("transition", onTransition);
      resolve(trigger);
    };
    const onAbort = (): void => done("signal");
    const onTransition = (): void => {
      if (runtime.failing) done("fail-runtime");
    };
    signal.addEventListener("abort", onAbort, { once: true });
    runtime.addEventListener("transition", onTransition);
  });
}

function checkOptions(options: RunServiceOptions): Settings {
  if (options === null || typeof options !== "object") {
    throw invalid("runService() takes an options object");
  }
  refuseUnknownKeys("runService()", options, KEYS);
  const { runtime, server, signal, flush, startWorkers = true } = options;
  if (!(runtime instanceof Runtime)) {
    throw invalid("runService() needs a Runtime as `runtime`");
  }
  if (!(signal instanceof AbortSignal)) {
    throw invalid("runService() needs an AbortSignal as `signal`");
  }
  if (server !== undefined && !isServer(server)) {
    throw invalid("server must have a url and a shutdown(signal) method");
  }
  if (flush !== undefined && typeof flush !== "function") {
    throw invalid("flush must be a function (signal) => Promise<void>");
  }
  if (typeof startWorkers !== "boolean") {
    throw invalid("startWorkers must be a boolean");
  }
  const { budget, warnings } = planBudget({
    gracePeriod: positive("gracePeriod", options.gracePeriod ?? 30_000),
    shutdownDelay: atLeastZero(
      "shutdownDelay",
      options.shutdownDelay ?? server?.shutdownDelay ?? 0,
    ),
    shutdownTimeout: positive(
      "shutdownTimeout",
      options.shutdownTimeout ?? 20_000,
    ),
    serverCloseTimeout: optional("serverCloseTimeout", options),
    flushReserve: optional("flushReserve", options),
    hasFlush: flush !== undefined,
  });
  const clock = runtime.clock;
  for (const warning of warnings) {
    emitServiceEvent(runtime, "servicewarning", {
      runtime: runtime.name,
      at: new Date(clock.now()).toISOString(),
      ...warning,
    });
  }
  return { runtime, server, signal, flush, startWorkers, budget, clock };
}

function isServer(server: unknown): server is Server {
  return server !== null && typeof server === "object" &&
    typeof (server as Server).shutdown === "function";
}

function positive(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw invalid(`${name} must be a positive number of ms`);
  }
  return value;
}

function atLeastZero(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw invalid(`${name} must be a number of ms >= 0`);
  }
  return value;
}

function optional(
  name: "serverCloseTimeout" | "flushReserve",
  options: RunServiceOptions,
): number | undefined {
  const value = options[name];
  return value === undefined ? undefined : atLeastZero(name, value);
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
