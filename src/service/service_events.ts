import type { EventBase } from "../events.ts";
import { RuntimeEvent } from "../events.ts";
import type { Runtime } from "../runtime.ts";
import type { BudgetWarning, ShutdownBudget } from "./shutdown_budget.ts";

/** Whole milliseconds spent in each step of one shutdown, in timeline order. */
export interface ShutdownPhases {
  /** Unready but serving (`shutdownDelay`). */
  delay: number;
  /** The server's close, forced close included. */
  server: number;
  /** The workers' drain and the wait for in-flight commands. */
  drain: number;
  /** The workers' stops. */
  stop: number;
  /** The `flush` callback. */
  flush: number;
  /** From the trigger to the end of the flush. */
  total: number;
}

/** What began the shutdown. */
export type ShutdownTrigger = "signal" | "fail-runtime" | "start-failure";

/** Why a shutdown ended with exit code 1; absent after a clean one. */
export type ShutdownProblem =
  | "fail_runtime"
  | "start_failed"
  | "server_failed"
  | "deadline_exceeded"
  | "stop_failed"
  | "flush_failed"
  | "flush_timeout";

/** The `shutdown` event: one per `runService`, when its shutdown has ended. */
export interface ShutdownEvent extends EventBase {
  /** What began it. */
  trigger: ShutdownTrigger;
  /** The exit code `runService` resolves with. */
  exitCode: 0 | 1;
  /** Why the exit code is 1, the first reason found. */
  problem?: ShutdownProblem;
  /** Qualified names of the workers not stopped within the budget. */
  unstopped: string[];
  /** Where the time went. */
  phases: ShutdownPhases;
  /** Whether the server's share ran out and its open connections were closed. */
  forcedClose: boolean;
  /** The budget it ran under. */
  budget: ShutdownBudget;
}

/** The `servicewarning` event: a budget setting that was clipped or cannot fit. */
export interface ServiceWarningEvent extends EventBase, BudgetWarning {}

/**
 * The events `runService` dispatches on its runtime (as
 * {@linkcode RuntimeEvent}s, listened to with `runtime.addEventListener`),
 * next to the runtime's own.
 */
export interface ServiceEventMap {
  /** Shutdown has ended: the report. */
  shutdown: ShutdownEvent;
  /** A budget setting was clipped, or the budget overruns the grace period. */
  servicewarning: ServiceWarningEvent;
}

/** Dispatches a service event on the runtime; its listeners are contained. */
export function emitServiceEvent<K extends keyof ServiceEventMap>(
  runtime: Runtime,
  type: K,
  detail: ServiceEventMap[K],
): void {
  runtime.dispatchEvent(new RuntimeEvent(type, detail));
}
