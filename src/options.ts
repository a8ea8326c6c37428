import type { Clock } from "./base/clock.ts";
import type { Command } from "./command.ts";
import type { Observer } from "./events.ts";
import type { RetryPolicy } from "./retry/policy.ts";
import type { Worker } from "./worker.ts";

/**
 * What happens beyond the worker when it ends `failed`:
 * - `isolate`: only the worker is failed;
 * - `mark-runtime-unready`: runtime readiness is false while it is failed;
 * - `fail-runtime`: the runtime's state is `failed` and command admission closes.
 */
export type FailurePolicy = "isolate" | "mark-runtime-unready" | "fail-runtime";

/**
 * How worker readiness adds up to runtime readiness:
 * - `contributing`: every contributing worker is running and ready (with no
 *   contributing worker: some worker runs and none is in transition);
 * - `all`: there are workers and every one is running and ready.
 */
export type ReadinessPolicy = "contributing" | "all";

/**
 * Supervision: restart a worker whose running generation fails, Erlang/OTP
 * style. More than `maxRestarts` restarts within `withinMs` gives up.
 */
export interface RestartPolicy {
  /** The wait before each restart, by the number of restarts in the window. */
  backoff: RetryPolicy;
  /** Restarts allowed within the window. @default {5} */
  maxRestarts?: number;
  /** The intensity window in ms. @default {60000} */
  withinMs?: number;
}

/** Per-worker settings; the runtime's `defaults` apply where a worker sets none. */
export interface WorkerDefaults {
  /** Deadline of each start attempt, ms. @default {30000} */
  startTimeout?: number;
  /** Deadline of a stop, ms. @default {30000} */
  stopTimeout?: number;
  /** Deadline of each command attempt, ms. @default {30000} */
  commandTimeout?: number;
  /** Whether and when to retry a failed start attempt. @default {never()} */
  startRetry?: RetryPolicy;
  /** Whether and when to retry a failed command attempt. @default {never()} */
  commandRetry?: RetryPolicy;
  /** Commands of this worker in flight at once; 0 = unbounded. @default {0} */
  commandConcurrency?: number;
  /** What the worker's failure does to the runtime. @default {"isolate"} */
  failurePolicy?: FailurePolicy;
  /** Ready as soon as start succeeds, unless the worker said otherwise. @default {true} */
  readyOnStart?: boolean;
  /** Admitting commands as soon as start succeeds, unless the worker said otherwise. @default {true} */
  acceptingWorkOnStart?: boolean;
  /** Counts toward runtime readiness under the `contributing` policy. @default {true} */
  contributesToReadiness?: boolean;
  /** Supervision; none by default. */
  restart?: RestartPolicy;
  /** A running worker without a heartbeat for this long is stalled, ms. */
  stallTimeout?: number;
  /** While stalled, `/livez` answers 503. @default {false} */
  livenessOnStall?: boolean;
}

/**
 * A worker to register: its name, the {@linkcode Worker} itself, its
 * commands, and any per-worker overrides of the runtime's defaults.
 */
export interface WorkerRegistration extends WorkerDefaults {
  /** Local name: non-empty, only `a-z 0-9 - _`. */
  name: string;
  /** What the worker does, for operators. */
  description?: string;
  /** The worker. */
  worker: Worker;
  /** Commands the worker owns. */
  commands?: readonly Command[];
}

/** Runtime-wide retry budget (see the supervision guide). */
export interface RetryBudgetOptions {
  /** Retries may add at most this fraction of recent first attempts. @default {0.2} */
  ratio?: number;
  /** A floor of retries per second always allowed. @default {10} */
  minPerSecond?: number;
}

/** Options for `new Runtime(...)`. */
export interface RuntimeOptions {
  /** The runtime's name: non-empty, only `a-z 0-9 - _`. */
  name: string;
  /** How worker readiness adds up to runtime readiness. @default {"contributing"} */
  readinessPolicy?: ReadinessPolicy;
  /** Commands in flight at once across the runtime; 0 = unbounded. @default {0} */
  commandConcurrency?: number;
  /** Receives lifecycle, readiness, failure and command events. */
  observer?: Observer;
  /** Limits retries across the whole runtime. */
  retryBudget?: RetryBudgetOptions;
  /** Time and timers; inject one in tests. @default {systemClock} */
  clock?: Clock;
  /** Settings copied into each worker at `register()`. */
  defaults?: WorkerDefaults;
}
