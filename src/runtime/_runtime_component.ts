import type { ManagedWorker } from "./_managed_worker.ts";
import type { StateReporter } from "./_state_reporter.ts";
import type { WorkerTable } from "./_worker_table.ts";
import type { ReadinessPolicy } from "../options.ts";
import type {
  ComponentState,
  Readiness,
  ReadinessImpact,
  ReadinessItem,
} from "../ops/component.ts";
import type { RuntimeStatus } from "../status.ts";

/**
 * The runtime's readiness in the ops language: its lifecycle mapped to a
 * component state, and one item per worker whose impact says how much that
 * worker's readiness matters. Every value is public-safe: codes and states,
 * never error text.
 */
export function runtimeReadiness(
  status: RuntimeStatus,
  parts: { readonly table: WorkerTable; readonly reporter: StateReporter },
): Readiness {
  const { policy, winding } = parts.reporter;
  const items = parts.table.all.map((w) => workerItem(w, policy));
  const readiness: Readiness = {
    ready: status.ready,
    state: componentState(status),
    items,
  };
  if (!status.ready) {
    readiness.reason = notReadyReason(status, items, winding);
  }
  return readiness;
}

function componentState(status: RuntimeStatus): ComponentState {
  switch (status.state) {
    case "running":
      return status.ready ? "ready" : "degraded";
    case "starting":
      return "starting";
    case "draining":
    case "stopping":
      return "stopping";
    case "stopped":
      return "stopped";
    case "failed":
      return "failed";
    default:
      return "not_ready";
  }
}

function workerItem(w: ManagedWorker, policy: ReadinessPolicy): ReadinessItem {
  const ready = w.state === "running" && w.effectiveReady;
  const item: ReadinessItem = {
    name: w.name,
    ready,
    impact: impactOf(w, policy),
  };
  if (!ready) item.reason = workerReason(w);
  return item;
}

/**
 * `required` when the worker's readiness or failure can make the runtime
 * unready; `informational` when it cannot.
 */
function impactOf(w: ManagedWorker, policy: ReadinessPolicy): ReadinessImpact {
  if (policy === "all" || w.settings.contributesToReadiness) return "required";
  if (w.settings.failurePolicy !== "isolate") return "required";
  return "informational";
}

function workerReason(w: ManagedWorker): string {
  if (w.state === "failed" && w.lastFailure) {
    return `failed: ${w.lastFailure.code}`;
  }
  if (w.state !== "running") return w.state;
  if (w.stalled) return "stalled";
  return "not ready";
}

function notReadyReason(
  status: RuntimeStatus,
  items: readonly ReadinessItem[],
  shuttingDown: boolean,
): string {
  if (shuttingDown) return "shutting down";
  if (status.workers === 0) return "no workers registered";
  const required = items.filter((item) => item.impact === "required");
  const waiting = required.filter((item) => !item.ready).length;
  if (waiting > 0) {
    return `${waiting} of ${required.length} required workers not ready`;
  }
  return `runtime is ${status.state}`;
}
