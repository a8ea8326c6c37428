import type { FailurePolicy, ReadinessPolicy } from "../options.ts";
import type { LifecycleState } from "../status.ts";

/** What one worker adds to the runtime's aggregate. */
export interface Contribution {
  readonly state: LifecycleState;
  /** Readiness as the aggregate sees it: ready and not stalled. */
  readonly effectiveReady: boolean;
  readonly contributes: boolean;
  readonly failurePolicy: FailurePolicy;
}

/**
 * The runtime's aggregate state and readiness, kept by counters so that one
 * worker's change costs O(1) however many workers there are. Callers
 * subtract a worker's contribution, change the worker, and add it back.
 */
export class Aggregate {
  readonly #byState: Record<LifecycleState, number> = {
    registered: 0,
    starting: 0,
    running: 0,
    draining: 0,
    stopping: 0,
    stopped: 0,
    failed: 0,
  };
  #total = 0;
  #failingRuntime = 0;
  #unreadyingRuntime = 0;
  #contributing = 0;
  #contributingReady = 0;
  #runningReady = 0;

  /** Adds (`sign = 1`) or subtracts (`sign = -1`) one worker. */
  count(w: Contribution, sign: 1 | -1): void {
    this.#total += sign;
    this.#byState[w.state] += sign;
    const runningReady = w.state === "running" && w.effectiveReady;
    if (runningReady) this.#runningReady += sign;
    if (w.contributes) {
      this.#contributing += sign;
      if (runningReady) this.#contributingReady += sign;
    }
    if (w.state !== "failed") return;
    if (w.failurePolicy === "fail-runtime") this.#failingRuntime += sign;
    if (w.failurePolicy === "mark-runtime-unready") {
      this.#unreadyingRuntime += sign;
    }
  }

  /** Registered workers. */
  get total(): number {
    return this.#total;
  }

  /** Whether a failed worker's policy is `fail-runtime`. */
  get failingRuntime(): boolean {
    return this.#failingRuntime > 0;
  }

  /** The aggregate state; first match wins (see the lifecycle guide). */
  state(): LifecycleState {
    const n = this.#byState;
    if (this.#total === 0) return "registered";
    if (this.#failingRuntime > 0) return "failed";
    if (n.starting > 0) return "starting";
    if (n.draining > 0) return "draining";
    if (n.stopping > 0) return "stopping";
    if (n.running > 0) return "running";
    if (n.failed > 0) return "failed";
    if (n.registered === this.#total) return "registered";
    return "stopped";
  }

  /** Aggregate readiness under `policy`. */
  ready(policy: ReadinessPolicy): boolean {
    if (this.#failingRuntime > 0 || this.#unreadyingRuntime > 0) return false;
    if (policy === "all") {
      return this.#total > 0 && this.#runningReady === this.#total;
    }
    if (this.#contributing > 0) {
      return this.#contributingReady === this.#contributing;
    }
    const n = this.#byState;
    return n.running > 0 && n.starting === 0 && n.draining === 0 &&
      n.stopping === 0;
  }
}
