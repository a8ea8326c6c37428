/**
 * The lifecycle states of a worker and of the runtime as a whole.
 *
 * A worker moves `registered → starting → running → draining → stopping →
 * stopped`, and may end `failed` from any active state. The runtime's state
 * is derived from its workers (see {@linkcode RuntimeStatus}).
 */
export type LifecycleState =
  | "registered"
  | "starting"
  | "running"
  | "draining"
  | "stopping"
  | "stopped"
  | "failed";

/** One state change, with its ISO-8601 time. */
export interface Transition {
  /** The state before. */
  from: LifecycleState;
  /** The state after. */
  to: LifecycleState;
  /** When it happened, as an ISO-8601 string. */
  at: string;
  /** Why, when it was not a direct call: `"restart"` for supervision, `"stall"` for the watchdog. */
  reason?: string;
}

/**
 * A failure as it may be shown publicly: a stable code and a safe message.
 * The original error never appears here (see `OperationalFailure`).
 */
export interface FailureInfo {
  /** Stable code, e.g. `deadline_exceeded`, `worker_failed`, or an `OperationalFailure` code. */
  code: string;
  /** Safe, public message. */
  message: string;
  /** When it was recorded, as an ISO-8601 string. */
  at: string;
}

/** A failed command attempt as it may be shown publicly. */
export interface CommandFailureInfo extends FailureInfo {
  /** The command's name. */
  command: string;
}

/** A point-in-time copy of one worker's status; mutating it changes nothing. */
export interface WorkerStatus {
  /** The qualified name, `runtime/worker`. */
  name: string;
  /** The local name, unique within the runtime. */
  localName: string;
  /** The lifecycle state. */
  state: LifecycleState;
  /** Whether the worker says it is ready. Counts toward readiness only while `running`. */
  ready: boolean;
  /** Whether the worker admits commands. */
  acceptingWork: boolean;
  /** Commands of this worker in flight now. */
  inFlight: number;
  /** How many times supervision restarted the worker. */
  restarts: number;
  /** Whether the stall watchdog finds the worker without a heartbeat. */
  stalled: boolean;
  /** The last state change. */
  lastTransition?: Transition;
  /** The last lifecycle or background failure. */
  lastFailure?: FailureInfo;
  /**
   * The cause of the latest restart by supervision: when it began (its
   * `reason: "restart"` transition) and the failure that caused it. Unlike
   * `lastFailure`, it stays after the restart succeeds.
   */
  lastRestart?: { at: string; failure: FailureInfo };
  /** The last failed command attempt. */
  lastCommandFailure?: CommandFailureInfo;
}

/** A worker as listed by the runtime. */
export interface WorkerSnapshot {
  /** The local name. */
  name: string;
  /** The qualified name, `runtime/worker`. */
  qualifiedName: string;
  /** The description given at registration. */
  description?: string;
  /** The worker's status. */
  status: WorkerStatus;
  /**
   * The cause of the latest restart by supervision, kept after the restart
   * succeeded (when `status.lastFailure` is cleared): the same value as
   * `status.lastRestart`, at the snapshot's top level as the SPEC names it.
   */
  lastRestart?: { at: string; failure: FailureInfo };
}

/** A point-in-time copy of the runtime's aggregate status. */
export interface RuntimeStatus {
  /** The runtime's name. */
  name: string;
  /** The aggregate state derived from the workers. */
  state: LifecycleState;
  /** Aggregate readiness under the runtime's readiness policy. */
  ready: boolean;
  /** Commands in flight across all workers. */
  inFlight: number;
  /** Registered workers. */
  workers: number;
  /** The last change of the aggregate state. */
  lastTransition?: Transition;
}

/** A command as listed by {@linkcode Runtime.commands}. */
export interface CommandInfo {
  /** The command's name, e.g. `cache/refresh`. */
  name: string;
  /** What it does. */
  description?: string;
  /** Advisory: what the payload is, e.g. `"json"` or `"none"`. */
  payloadKind?: string;
  /** Advisory: running it twice has the effect of running it once. */
  idempotent?: boolean;
  /** Advisory: it changes or destroys state an operator should think about. */
  dangerous?: boolean;
  /**
   * The payload as JSON Schema (draft 2020-12 where it came from a Standard
   * JSON Schema), when the command declares one or its `payloadSchema` can
   * describe itself. A fresh copy on every read.
   */
  payloadJsonSchema?: Record<string, unknown>;
}

/** What `Runtime.inspect()` returns. */
export interface RuntimeInspection {
  /** The aggregate status. */
  status: RuntimeStatus;
  /** Every worker, in registration order. */
  workers: WorkerSnapshot[];
  /** Each worker's commands, by local worker name. */
  commands: Record<string, CommandInfo[]>;
}
