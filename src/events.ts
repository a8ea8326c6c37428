import type { LifecycleState } from "./status.ts";
import type { Runtime } from "./runtime.ts";

/** Fields every event carries. */
export interface EventBase {
  /** The runtime's name. */
  runtime: string;
  /** When it happened, as an ISO-8601 string. */
  at: string;
}

/** A state change of a worker (with `worker`) or of the runtime (without). */
export interface TransitionEvent extends EventBase {
  /** The qualified worker name; absent for the runtime's own transitions. */
  worker?: string;
  /** The state before. */
  from: LifecycleState;
  /** The state after. */
  to: LifecycleState;
  /** `"restart"` when supervision caused it. */
  reason?: string;
}

/** A readiness change of a worker (with `worker`) or of the runtime. */
export interface ReadinessEvent extends EventBase {
  /** The qualified worker name; absent for the runtime. */
  worker?: string;
  /** The new readiness. */
  ready: boolean;
}

/** Where a failure came from. */
export type FailureKind =
  | "lifecycle"
  | "background"
  | "command"
  | "loop_cleanup"
  | "stall";

/** A failure: public `code`/`message`, and the private original as `cause`. */
export interface FailureEvent extends EventBase {
  /** The qualified worker name. */
  worker: string;
  /** Where it came from. */
  kind: FailureKind;
  /** The public code. */
  code: string;
  /** The public message. */
  message: string;
  /** The command, for `kind: "command"`. */
  command?: string;
  /** The attempt number, for commands and start attempts. */
  attempt?: number;
  /** The dispatch, for `kind: "command"`: ties the failure to its command span. */
  dispatchId?: string;
  /** The original error. Private: may hold secrets; never publish it. */
  cause: unknown;
}

/** A dispatch of a registered command began. */
export interface CommandStartEvent extends EventBase {
  /** The qualified worker name. */
  worker: string;
  /** The command's name. */
  command: string;
  /** The dispatch's id, shared by its attempts. */
  dispatchId: string;
}

/** A dispatch ended. Admission refusals end with `attempts: 0`. */
export interface CommandEndEvent extends CommandStartEvent {
  /** Whether it succeeded. */
  ok: boolean;
  /** Attempts made. */
  attempts: number;
  /** Time from admission to the caller's answer, ms. */
  durationMs: number;
  /** The public code on failure. */
  code?: string;
  /** The public message on failure. */
  message?: string;
  /**
   * `true` when the dispatch ended by the caller's fault, not the worker's:
   * the handler threw a `CommandRejection`, or the payload schema refused
   * the payload (`invalid_payload`, `attempts: 0`). Absent otherwise.
   */
  rejected?: true;
  /**
   * `true` when the caller's own signal ended the dispatch, whatever its
   * reason (an `AbortSignal.timeout` included): the caller's choice, not a
   * failure of the worker. `code` is still the reason's public code
   * (`canceled`, `deadline_exceeded`, ...). Absent otherwise.
   */
  canceled?: true;
  /** The original error on failure. Private: never publish it. */
  cause?: unknown;
}

/** A check run began (check loops). */
export interface CheckStartEvent extends EventBase {
  /** The qualified worker name of the check loop. */
  worker: string;
  /** The checker's or group's name. */
  check: string;
}

/**
 * A check run ended. A timeout has no result, only `outcome: "timeout"`; a
 * check stopped mid-flight ends `canceled` whatever it then returned.
 */
export interface CheckEndEvent extends CheckStartEvent {
  /** What happened. */
  outcome: "ready" | "not_ready" | "error" | "timeout" | "canceled";
  /** Run time, ms. */
  durationMs: number;
  /** The public code on error, timeout or cancellation. */
  code?: string;
  /** The public message on error, timeout or cancellation. */
  message?: string;
  /** The original error. Private: never publish it. */
  cause?: unknown;
}

/** Returned by {@linkcode Observer.commandStart} to follow one dispatch. */
export interface CommandObservation {
  /** Called once when the dispatch ends. */
  end(e: CommandEndEvent): void;
  /** Runs the handler inside, e.g., a trace context. Must call `fn` once. */
  wrap?<T>(fn: () => T): T;
}

/**
 * One health-check run being reported, from
 * {@linkcode WorkerHandle.beginCheck}: run the check inside `wrap` (so an
 * observer's trace context applies), then call `end` once.
 *
 * @example Reporting a check run by hand
 * ```ts
 * import { Runtime } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "svc" });
 * runtime.addEventListener("checkend", (event) => console.log(event.type));
 * runtime.register({
 *   name: "probe",
 *   worker: {
 *     start(ctx) {
 *       const run = ctx.worker.beginCheck("db");
 *       const started = ctx.clock.now();
 *       const ready = run ? run.wrap(() => true) : true;
 *       run?.end({
 *         outcome: ready ? "ready" : "not_ready",
 *         at: new Date(ctx.clock.now()).toISOString(),
 *         durationMs: ctx.clock.now() - started,
 *       });
 *     },
 *     stop() {},
 *   },
 * });
 * await runtime.start("probe"); // logs "checkend"
 * ```
 */
export interface ActiveCheck {
  /**
   * Runs `fn` inside the observer's wrap, if any, and returns its result.
   *
   * @typeParam T What `fn` returns.
   * @param fn The check run; called exactly once.
   * @returns What `fn` returned.
   */
  wrap<T>(fn: () => T): T;
  /**
   * Ends the run: emits `checkend` with the runtime, worker and check filled
   * in. Later calls are ignored.
   *
   * @param e The outcome and timing of the run.
   */
  end(e: Omit<CheckEndEvent, "runtime" | "worker" | "check">): void;
}

/** Returned by {@linkcode Observer.checkStart} to follow one check run. */
export interface CheckObservation {
  /** Called once when the run ends. */
  end(e: CheckEndEvent): void;
  /** Runs the checker inside, e.g., a trace context. Must call `fn` once. */
  wrap?<T>(fn: () => T): T;
}

/**
 * Hooks for logs, traces and metrics. Every method is optional, called
 * synchronously, and isolated: an observer that throws changes nothing.
 *
 * @example Counting failures
 * ```ts
 * import { Runtime, type Observer } from "@workerkit/core";
 *
 * let failures = 0;
 * const observer: Observer = { failure: () => void failures++ };
 * const runtime = new Runtime({ name: "billing", observer });
 * console.log(runtime.name, failures);
 * ```
 */
export interface Observer {
  /** A worker or runtime state change. */
  transition?(e: TransitionEvent): void;
  /** A worker or runtime readiness change. */
  readiness?(e: ReadinessEvent): void;
  /** A lifecycle, background, command, cleanup or stall failure. */
  failure?(e: FailureEvent): void;
  /** A dispatch of a registered command began. */
  commandStart?(e: CommandStartEvent): CommandObservation | void;
  /** A check run began. */
  checkStart?(e: CheckStartEvent): CheckObservation | void;
  /**
   * Called once by `new Runtime({ observer })` with the runtime, so an
   * observer can read state no event carries (e.g. an OpenTelemetry gauge
   * of workers per state, read from `runtime.workers()` when collected).
   */
  attach?(runtime: Runtime): void;
}

/** The `EventTarget` event types a `Runtime` dispatches, with their details. */
export interface RuntimeEventMap {
  /** A worker or runtime state change. */
  transition: TransitionEvent;
  /** A worker or runtime readiness change. */
  readiness: ReadinessEvent;
  /** A failure of any kind. */
  failure: FailureEvent;
  /** A dispatch of a registered command began. */
  commandstart: CommandStartEvent;
  /** A dispatch ended. */
  commandend: CommandEndEvent;
  /** A check run began. */
  checkstart: CheckStartEvent;
  /** A check run ended. */
  checkend: CheckEndEvent;
}

/**
 * The event object a `Runtime` dispatches; the payload is in `detail`.
 *
 * @example Listening for failures
 * ```ts
 * import { Runtime } from "@workerkit/core";
 * import type { FailureEvent, RuntimeEvent } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "billing" });
 * runtime.addEventListener("failure", (event) => {
 *   const { detail } = event as RuntimeEvent<FailureEvent>;
 *   console.log(detail.worker, detail.code);
 * });
 * ```
 */
export class RuntimeEvent<T> extends Event {
  /** The event's payload. */
  readonly detail: T;

  /**
   * Makes an event carrying `detail`.
   *
   * @param type One of the keys of {@linkcode RuntimeEventMap}.
   * @param detail The payload.
   */
  constructor(type: string, detail: T) {
    super(type);
    this.detail = detail;
  }
}

/** The names a `Runtime` dispatches as `EventTarget` event types. */
export type RuntimeEventType = keyof RuntimeEventMap;
