/**
 * The state a {@linkcode Component} reports next to its readiness, for
 * people and dashboards. Readiness decisions use `ready` alone; the state
 * says *why* in one word.
 *
 * - `unknown`: the component cannot tell (yet);
 * - `starting`: warming up, not ready yet;
 * - `ready`: serving;
 * - `degraded`: serving with reduced capacity or a failed optional part;
 * - `not_ready`: up, but not able to serve;
 * - `stopping` / `stopped`: shutting down / shut down;
 * - `failed`: broken until something intervenes.
 *
 * @example Mapping a connection pool's condition to a state
 * ```ts
 * import type { ComponentState } from "@workerkit/core";
 *
 * function poolState(open: number, wanted: number): ComponentState {
 *   if (open === 0) return "not_ready";
 *   return open < wanted ? "degraded" : "ready";
 * }
 * console.log(poolState(3, 4)); // "degraded"
 * ```
 */
export type ComponentState =
  | "unknown"
  | "starting"
  | "ready"
  | "degraded"
  | "not_ready"
  | "stopping"
  | "stopped"
  | "failed";

/**
 * How much a part's readiness matters to the whole — used for a
 * {@linkcode ReadinessItem}'s `impact` and, as `ComponentPolicy`, for a
 * component's policy in an `OpsRegistry`.
 *
 * - `required`: the whole is not ready while this is not ready;
 * - `optional`: shown, may degrade the whole, never makes it not ready;
 * - `informational`: shown only; never affects readiness.
 *
 * @example Only required parts decide
 * ```ts
 * import type { ReadinessImpact } from "@workerkit/core";
 *
 * function blocks(impact: ReadinessImpact, ready: boolean): boolean {
 *   return impact === "required" && !ready;
 * }
 * console.log(blocks("optional", false)); // false
 * ```
 */
export type ReadinessImpact = "required" | "optional" | "informational";

/**
 * One part of a component's readiness: a worker of a runtime, a replica of
 * a pool, a dependency of a client. Every field is published as is, so it
 * must hold nothing secret.
 *
 * @example A pool listing its replicas
 * ```ts
 * import type { ReadinessItem } from "@workerkit/core";
 *
 * const items: ReadinessItem[] = [
 *   { name: "primary", ready: true, impact: "required" },
 *   { name: "replica-1", ready: false, impact: "optional", reason: "connection refused" },
 * ];
 * console.log(items.filter((item) => !item.ready).length); // 1
 * ```
 */
export interface ReadinessItem {
  /** The part's name, unique within its component. */
  name: string;
  /** Whether the part is ready. */
  ready: boolean;
  /** How much the part's readiness matters to its component. */
  impact: ReadinessImpact;
  /** Why it is not ready (or degraded); public text only. */
  reason?: string;
}

/**
 * What a {@linkcode Component} answers when asked whether it is ready.
 * Every field is published as is (on `/readyz`, in dashboards), so it must
 * hold nothing secret: never put an error's message in `reason`.
 *
 * The component's own `ready` is authoritative: an `OpsRegistry` does not
 * recompute it from `items`, which are detail for people.
 *
 * @example A ready answer and a not-ready one
 * ```ts
 * import type { Readiness } from "@workerkit/core";
 *
 * const up: Readiness = { ready: true, state: "ready" };
 * const down: Readiness = {
 *   ready: false,
 *   state: "starting",
 *   reason: "loading the price table",
 * };
 * console.log(up.ready, down.reason);
 * ```
 */
export interface Readiness {
  /** Whether the component can serve now. */
  ready: boolean;
  /** The component's state in one word. */
  state?: ComponentState;
  /** Why it is not ready (or degraded); public text only. */
  reason?: string;
  /** The parts its readiness is made of. */
  items?: ReadinessItem[];
}

/**
 * A part of a process that has a say in readiness or something to show an
 * operator — a database pool, loaded configuration, a Workerkit `Runtime`
 * (kind `workerkit.runtime`). Register components with an `OpsRegistry`.
 *
 * `readiness()` is synchronous and cheap: it reports state the component
 * already keeps; it does not run a check (use a periodic check worker for
 * that). `inspect()` returns JSON-friendly data for an operator. Everything
 * either returns is published, so it must hold nothing secret.
 *
 * @example A configuration component
 * ```ts
 * import type { Component, Readiness } from "@workerkit/core";
 *
 * let loadedAt: string | undefined;
 * const config: Component = {
 *   name: "config",
 *   kind: "config",
 *   readiness(): Readiness {
 *     return loadedAt
 *       ? { ready: true, state: "ready" }
 *       : { ready: false, state: "starting", reason: "not loaded yet" };
 *   },
 *   inspect(): unknown {
 *     return { loadedAt };
 *   },
 * };
 * loadedAt = new Date().toISOString();
 * console.log(config.readiness().ready); // true
 * ```
 */
export interface Component {
  /** A unique name: non-empty, at most 128 characters of `a-z 0-9 - _`. */
  readonly name: string;
  /**
   * What sort of component this is, e.g. `postgres` or `workerkit.runtime`:
   * at most 128 characters of `a-z A-Z 0-9 . _ : / -`, starting with a
   * letter or digit.
   */
  readonly kind?: string;
  /**
   * Reports readiness from state the component already keeps. Synchronous;
   * must not block or run a check.
   *
   * @returns The component's readiness; published as is.
   */
  readiness(): Readiness;
  /**
   * Returns operator-facing detail as plain JSON-friendly data.
   *
   * @returns Data for an operator; published as is.
   */
  inspect?(): unknown;
}
