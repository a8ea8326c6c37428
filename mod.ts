/**
 * Workerkit: the production shell for a service's long-running in-process
 * workers — lifecycle with deadlines, readiness, status, worker-owned
 * commands, retry, concurrency limits, failure policy and events — using
 * only web-standard APIs, so it runs on Deno, Node, Bun and workerd.
 *
 * @example A runtime with one worker and one command
 * ```ts
 * import { Runtime } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "billing" });
 * runtime.register({
 *   name: "prices",
 *   worker: { start() {}, stop() {} },
 *   commands: [{
 *     name: "cache/refresh",
 *     handler: () => ({ message: "refreshed" }),
 *   }],
 * });
 * await runtime.startAll();
 * const result = await runtime.dispatch({ worker: "prices", name: "cache/refresh" });
 * console.log(result.message); // "refreshed"
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 *
 * @module
 */

export { Runtime } from "./src/runtime.ts";
export type { RuntimeEventType } from "./src/events.ts";
export type { RuntimeInspection } from "./src/status.ts";
export type { SignalOptions } from "./src/signal_options.ts";
export type {
  FailurePolicy,
  ReadinessPolicy,
  RestartPolicy,
  RetryBudgetOptions,
  RuntimeOptions,
  WorkerDefaults,
  WorkerRegistration,
} from "./src/options.ts";
export type { Worker, WorkerContext, WorkerHandle } from "./src/worker.ts";
export type {
  Command,
  CommandContext,
  CommandHandler,
  CommandRequest,
  CommandResult,
  HandlerRequest,
} from "./src/command.ts";
export { command } from "./src/typed_command.ts";
export type { SchemaCommand } from "./src/typed_command.ts";
export type {
  InferSchemaOutput,
  StandardSchemaIssue,
  StandardSchemaProps,
  StandardSchemaResult,
  StandardSchemaV1,
} from "./src/standard_schema.ts";
export { CommandRejection } from "./src/base/command_rejection.ts";
export type {
  CommandFailureInfo,
  CommandInfo,
  FailureInfo,
  LifecycleState,
  RuntimeStatus,
  Transition,
  WorkerSnapshot,
  WorkerStatus,
} from "./src/status.ts";
export { RuntimeEvent } from "./src/events.ts";
export { PUBLIC_EVENT_FIELDS, publicEvent } from "./src/public_event.ts";
export type { PublicFieldKind } from "./src/public_event.ts";
export { multiObserver } from "./src/multi_observer.ts";
export type {
  ActiveCheck,
  CheckEndEvent,
  CheckObservation,
  CheckStartEvent,
  CommandEndEvent,
  CommandObservation,
  CommandStartEvent,
  EventBase,
  FailureEvent,
  FailureKind,
  Observer,
  ReadinessEvent,
  RuntimeEventMap,
  TransitionEvent,
} from "./src/events.ts";
export { WorkerkitError } from "./src/base/errors.ts";
export type {
  PayloadIssue,
  WorkerkitErrorCode,
  WorkerkitErrorOptions,
} from "./src/base/errors.ts";
export { OperationalFailure } from "./src/base/operational_failure.ts";
export { publicFailure } from "./src/failure.ts";
export { OpsRegistry } from "./src/ops/mod.ts";
export type {
  ComponentDetail,
  ComponentInfo,
  ComponentPolicy,
  ComponentReadiness,
  OpsReadiness,
  RegisterComponentOptions,
} from "./src/ops/mod.ts";
export type {
  Component,
  ComponentState,
  Readiness,
  ReadinessImpact,
  ReadinessItem,
} from "./src/ops/mod.ts";
export { commandFromOps } from "./src/command_from_ops.ts";
export type {
  OpsCommandHandler,
  OpsCommandRequest,
  OpsCommandResult,
} from "./src/command_from_ops.ts";
export { OpsCommandError } from "./src/ops/mod.ts";
export type { OpsFailure, OpsFailureKind } from "./src/ops/mod.ts";
export type { FailureContext, PublicFailure } from "./src/failure.ts";
export {
  isValidCommandName,
  isValidName,
  isWorkerRef,
  validateCommandName,
  validateRuntimeName,
  validateWorkerName,
} from "./src/base/names.ts";
export { loopWorker } from "./src/workers/loop_worker.ts";
export type {
  Loop,
  LoopContext,
  LoopWorkerOptions,
} from "./src/workers/loop_worker.ts";
export { intervalWorker } from "./src/workers/interval_worker.ts";
export type {
  IntervalTask,
  IntervalWorkerOptions,
} from "./src/workers/interval_worker.ts";
export { checkGroupLoop, checkLoop } from "./src/workers/check_loop.ts";
export type {
  CheckGroupLoopOptions,
  CheckLoopOptions,
  CheckScheduleOptions,
} from "./src/workers/check_loop.ts";
export type {
  Checker,
  CheckGroup,
  CheckResult,
  CheckSummary,
} from "./src/ops/mod.ts";
export { runService } from "./src/service/run_service.ts";
export type {
  RunServiceOptions,
  ServiceResult,
} from "./src/service/run_service.ts";
export type {
  FetchHandler,
  ServeOptions,
  Server,
} from "./src/service/server.ts";
export type {
  ServiceEventMap,
  ServiceWarningEvent,
  ShutdownEvent,
  ShutdownPhases,
  ShutdownProblem,
  ShutdownTrigger,
} from "./src/service/service_events.ts";
export type {
  BudgetWarning,
  ShutdownBudget,
} from "./src/service/shutdown_budget.ts";
export { systemClock } from "./src/base/clock.ts";
export type { Clock } from "./src/base/clock.ts";
export {
  attempts,
  attemptsIf,
  constant,
  decorrelated,
  delay,
  exponential,
  full,
  linear,
  never,
  none,
  retry,
  symmetric,
} from "./src/retry/mod.ts";
export type {
  AttemptsIfOptions,
  AttemptsOptions,
  Backoff,
  DelayOptions,
  Jitter,
  RetryOptions,
  RetryPolicy,
} from "./src/retry/mod.ts";
