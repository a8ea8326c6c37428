/**
 * The ops contracts: components with readiness, the {@linkcode OpsRegistry}
 * that aggregates them, health checks and the typed failure of an ops
 * command. They stand alone (they import only Workerkit's leaf layer), so a
 * service can use them without a `Runtime`; `@workerkit/core` re-exports
 * every name here.
 *
 * @example Aggregating the readiness of two components
 * ```ts
 * import { OpsRegistry } from "@workerkit/core/ops";
 *
 * const registry = new OpsRegistry();
 * registry.register({ name: "db", readiness: () => ({ ready: true }) });
 * registry.register(
 *   { name: "cache", readiness: () => ({ ready: false }) },
 *   { policy: "optional" },
 * );
 * const readiness = registry.readiness();
 * console.log(readiness.ready); // true: only "db" is required
 * ```
 *
 * @module
 */

export { OpsRegistry } from "./registry.ts";
export type {
  ComponentDetail,
  ComponentInfo,
  ComponentPolicy,
  ComponentReadiness,
  OpsReadiness,
  RegisterComponentOptions,
} from "./registry.ts";
export type {
  Component,
  ComponentState,
  Readiness,
  ReadinessImpact,
  ReadinessItem,
} from "./component.ts";
export { OpsCommandError } from "./ops_command_error.ts";
export type { OpsFailure, OpsFailureKind } from "./ops_command_error.ts";
export type {
  Checker,
  CheckGroup,
  CheckResult,
  CheckSummary,
} from "./check.ts";
