import { WorkerkitError } from "../base/errors.ts";
import type { LifecycleState } from "../status.ts";

/** A flag of a worker that a move may clear. */
export type Flag = "ready" | "accepting";

/** What happens to the start defaults when a move lands. */
export type Setting = "startDefaults";

/** One allowed move of the worker state machine. */
export interface Move {
  /** The states the move may leave. */
  readonly from: readonly LifecycleState[];
  /** The state it lands in. */
  readonly to: LifecycleState;
  /** Flags it sets to `false`. */
  readonly clears?: readonly Flag[];
  /**
   * `startDefaults`: `ready` and `accepting` take `readyOnStart` and
   * `acceptingWorkOnStart` unless the worker set them during start, and
   * `lastFailure` is cleared.
   */
  readonly sets?: readonly Setting[];
  /** The transition's `reason`, when the move always has one. */
  readonly reason?: string;
}

/**
 * Every move a worker can make; nothing else changes a worker's lifecycle
 * state (`StateReporter.move` applies them). Two rules hold for every move
 * and are not repeated in the table: leaving `running` disarms the stall
 * watchdog and clears `stalled`; landing in `running` arms it.
 * `docs/lifecycle.md` draws the same machine, and a test checks that the
 * drawing and this table agree.
 */
export const MOVES = {
  /** `start()`: a first attempt begins. */
  start: {
    from: ["registered", "stopped", "failed"],
    to: "starting",
    clears: ["ready", "accepting"],
  },
  /** A start attempt succeeded. */
  started: { from: ["starting"], to: "running", sets: ["startDefaults"] },
  /** Start failed, a reported failure, a stall past the intensity, or a failed stop. */
  fail: {
    from: ["starting", "running", "draining", "stopping"],
    to: "failed",
    clears: ["ready", "accepting"],
  },
  /** Supervision starts a failed generation again (always right after `fail`). */
  restart: { from: ["failed"], to: "starting", reason: "restart" },
  /** `drain()`: unready, no new commands; in-flight ones go on. */
  drain: {
    from: ["running"],
    to: "draining",
    clears: ["ready", "accepting"],
  },
  /** `stop()`, `stopAll()`, shutdown, or shutdown's forced stop. */
  stop: {
    from: ["running", "draining", "failed"],
    to: "stopping",
    clears: ["ready", "accepting"],
  },
  /** The worker's `stop` returned. */
  stopped: { from: ["stopping"], to: "stopped" },
  /**
   * `stop()`, `stopAll()` or shutdown while supervision waits to restart the
   * worker: the pending restart is canceled (its failed generation stopped
   * first if it was not yet).
   */
  abandon: {
    from: ["starting"],
    to: "stopped",
    clears: ["ready", "accepting"],
  },
} as const satisfies Record<string, Move>;

/** The name of a move. */
export type MoveName = keyof typeof MOVES;

/** A move as the reporter applies it: the table's entry, precomputed. */
export interface CompiledMove {
  readonly from: ReadonlySet<LifecycleState>;
  readonly to: LifecycleState;
  readonly clearsReady: boolean;
  readonly clearsAccepting: boolean;
  readonly startDefaults: boolean;
  readonly reason: string | undefined;
}

/** The table in the form the hot path reads (set lookups, no allocation). */
export const COMPILED: Readonly<Record<MoveName, CompiledMove>> = (() => {
  const out = {} as Record<MoveName, CompiledMove>;
  for (const name of Object.keys(MOVES) as MoveName[]) {
    const move: Move = MOVES[name];
    out[name] = {
      from: new Set(move.from),
      to: move.to,
      clearsReady: move.clears?.includes("ready") ?? false,
      clearsAccepting: move.clears?.includes("accepting") ?? false,
      startDefaults: move.sets?.includes("startDefaults") ?? false,
      reason: move.reason,
    };
  }
  return out;
})();

/** Whether a worker in `state` may make `move`. */
export function canMove(state: LifecycleState, move: MoveName): boolean {
  return COMPILED[move].from.has(state);
}

/** The states `unregister()` accepts: the same as `start`'s. */
export const REMOVABLE: readonly LifecycleState[] = MOVES.start.from;

/** The refusal of an operation in the wrong state. */
export function stateError(
  w: { qualifiedName: string; state: LifecycleState; inFlight: number },
  operation: string,
): WorkerkitError {
  return new WorkerkitError(
    "invalid_worker_state",
    `cannot ${operation} ${w.qualifiedName} while it is ${w.state}${
      w.inFlight > 0 ? ` with ${w.inFlight} command(s) in flight` : ""
    }`,
  );
}
