import type { Clock } from "../base/clock.ts";
import type { Following } from "./_emitter.ts";
import type { CheckEndEvent, FailureKind } from "../events.ts";
import type { FailureContext } from "../failure.ts";
import type { WorkerHandle } from "../worker.ts";

/**
 * The key under which a runtime's handles carry {@linkcode WorkerInternals}.
 * Internal: the built-in workers use it; it is not part of the public API.
 */
export const INTERNALS: unique symbol = Symbol("workerkit.internals");

/** Runtime services the built-in workers need beyond the public handle. */
export interface WorkerInternals {
  /** The runtime's clock, so injected test clocks reach built-in workers. */
  readonly clock: Clock;
  /**
   * Records a failure of `kind` (e.g. `loop_cleanup`) in `lastFailure` and
   * emits it, without changing the worker's state. Ignored once a newer
   * generation has begun.
   */
  recordFailure(
    error: unknown,
    kind: FailureKind,
    context: FailureContext,
  ): void;
  /** Begins following one check run; `undefined` when nobody observes checks. */
  checkStart(check: string): Following<CheckEndEvent> | undefined;
  /** The runtime's name, for check events. */
  readonly runtime: string;
}

/** The internals behind a runtime-made handle; `undefined` for any other object. */
export function internalsOf(handle: WorkerHandle): WorkerInternals | undefined {
  const internals = (handle as { [INTERNALS]?: WorkerInternals })[INTERNALS];
  return internals;
}
