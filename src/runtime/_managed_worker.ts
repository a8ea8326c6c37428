import { isoTime } from "../base/_iso_time.ts";
import type { Contribution } from "./_aggregate.ts";
import type { Command } from "../command.ts";
import { WorkerkitError } from "../base/errors.ts";
import type { Settings } from "./_settings.ts";
import type {
  CommandFailureInfo,
  FailureInfo,
  LifecycleState,
  Transition,
  WorkerStatus,
} from "../status.ts";
import type { ActiveCheck } from "../events.ts";
import type { Worker, WorkerHandle } from "../worker.ts";
import type { RestartIntensity } from "./_restart_intensity.ts";
import type { StallWatchdog } from "./_stall_watchdog.ts";

/**
 * A state change as the runtime keeps it: the time stays a number until a
 * status or event needs the ISO string, so unobserved changes cost no
 * date formatting.
 */
export interface TransitionRecord {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly atMs: number;
  readonly reason: string | undefined;
}

/** The public form of a {@linkcode TransitionRecord}. */
export function transitionOf(record: TransitionRecord): Transition {
  const t: Transition = {
    from: record.from,
    to: record.to,
    at: isoTime(record.atMs),
  };
  if (record.reason !== undefined) t.reason = record.reason;
  return t;
}

/** What a handle may ask of the runtime; the runtime implements it. */
export interface WorkerHost {
  setReady(w: ManagedWorker, ready: boolean): void;
  setAcceptingWork(w: ManagedWorker, accepting: boolean): void;
  reportFailure(w: ManagedWorker, error: unknown): void;
  heartbeat(w: ManagedWorker): void;
  /** Records a non-fatal failure unless a newer generation has begun. */
  recordFailure(
    w: ManagedWorker,
    generation: Generation,
    error: unknown,
    kind: "background" | "loop_cleanup",
  ): void;
  beginCheck(w: ManagedWorker, check: string): ActiveCheck | undefined;
}

/**
 * One lifecycle generation of a worker: a start attempt and, if it succeeds,
 * the run until stop or restart. Its handle works only while it is current.
 */
export class Generation {
  /** Aborts when drain, stop or shutdown of the worker begins. */
  readonly drain: AbortController = new AbortController();
  readonly handle: WorkerHandle;
  /** Set by handle calls during start, which win over the start defaults. */
  readySet = false;
  acceptingSet = false;
  /** A failure reported while start was still running. */
  startFailure: { error: unknown } | undefined;
  #alive = true;

  constructor(host: WorkerHost, w: ManagedWorker) {
    this.handle = new GenerationHandle(host, w, this);
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Ends the generation: its handle refuses every later call. */
  end(): void {
    this.#alive = false;
  }
}

/** A registered worker and everything the runtime knows about it. */
export class ManagedWorker implements Contribution {
  readonly name: string;
  readonly qualifiedName: string;
  readonly description: string | undefined;
  readonly worker: Worker;
  readonly commands: Map<string, Command>;
  readonly settings: Settings;

  state: LifecycleState = "registered";
  ready = false;
  accepting = false;
  stalled = false;
  inFlight = 0;
  restarts = 0;
  /** Kept as a number; formatted only when a status is read. */
  lastTransition: TransitionRecord | undefined;
  lastFailure: FailureInfo | undefined;
  lastCommandFailure: CommandFailureInfo | undefined;
  generation: Generation | undefined;
  /** The last start or stop work, tracked even after its caller gave up. */
  pending: Promise<void> | undefined;
  /** Supervision's restart intensity, when a restart policy is set. */
  intensity: RestartIntensity | undefined;
  /** The stall watchdog, when a stallTimeout is set. */
  watchdog: StallWatchdog | undefined;
  /** Resolvers of `waitIdle` callers. */
  idleWaiters: Array<() => void> = [];

  constructor(
    name: string,
    qualifiedName: string,
    description: string | undefined,
    worker: Worker,
    commands: Map<string, Command>,
    settings: Settings,
  ) {
    this.name = name;
    this.qualifiedName = qualifiedName;
    this.description = description;
    this.worker = worker;
    this.commands = commands;
    this.settings = settings;
  }

  get effectiveReady(): boolean {
    return this.ready && !this.stalled;
  }

  get contributes(): boolean {
    return this.settings.contributesToReadiness;
  }

  get failurePolicy(): Settings["failurePolicy"] {
    return this.settings.failurePolicy;
  }

  /** A fresh copy of the status. */
  status(): WorkerStatus {
    const status: WorkerStatus = {
      name: this.qualifiedName,
      localName: this.name,
      state: this.state,
      // A stalled worker shows unready; its own flag returns with a heartbeat.
      ready: this.effectiveReady,
      acceptingWork: this.accepting,
      inFlight: this.inFlight,
      restarts: this.restarts,
      stalled: this.stalled,
    };
    if (this.lastTransition) {
      status.lastTransition = transitionOf(this.lastTransition);
    }
    if (this.lastFailure) status.lastFailure = { ...this.lastFailure };
    if (this.lastCommandFailure) {
      status.lastCommandFailure = { ...this.lastCommandFailure };
    }
    return status;
  }
}

class GenerationHandle implements WorkerHandle {
  readonly #host: WorkerHost;
  readonly #w: ManagedWorker;
  readonly #generation: Generation;

  constructor(host: WorkerHost, w: ManagedWorker, generation: Generation) {
    this.#host = host;
    this.#w = w;
    this.#generation = generation;
  }

  get name(): string {
    return this.#w.name;
  }

  get qualifiedName(): string {
    return this.#w.qualifiedName;
  }

  setReady(ready: boolean): void {
    this.#check();
    if (typeof ready !== "boolean") throw notBoolean("setReady");
    this.#generation.readySet = true;
    this.#host.setReady(this.#w, ready);
  }

  setAcceptingWork(accepting: boolean): void {
    this.#check();
    if (typeof accepting !== "boolean") throw notBoolean("setAcceptingWork");
    this.#generation.acceptingSet = true;
    this.#host.setAcceptingWork(this.#w, accepting);
  }

  reportFailure(error: unknown): void {
    this.#check();
    this.#host.reportFailure(this.#w, error);
  }

  heartbeat(): void {
    this.#check();
    this.#host.heartbeat(this.#w);
  }

  status(): WorkerStatus {
    this.#check();
    return this.#w.status();
  }

  recordFailure(
    error: unknown,
    options?: { kind?: "background" | "loop_cleanup" },
  ): void {
    const kind = options?.kind ?? "background";
    if (kind !== "background" && kind !== "loop_cleanup") {
      throw new WorkerkitError(
        "invalid_argument",
        'recordFailure() kind must be "background" or "loop_cleanup"',
      );
    }
    this.#host.recordFailure(this.#w, this.#generation, error, kind);
  }

  beginCheck(check: string): ActiveCheck | undefined {
    this.#check();
    return this.#host.beginCheck(this.#w, check);
  }

  #check(): void {
    if (this.#generation.alive && this.#w.generation === this.#generation) {
      return;
    }
    throw new WorkerkitError(
      "invalid_worker_state",
      `this handle of ${this.#w.qualifiedName} belongs to an ended generation`,
    );
  }
}

function notBoolean(method: string): WorkerkitError {
  return new WorkerkitError(
    "invalid_argument",
    `${method}() takes a boolean`,
  );
}
