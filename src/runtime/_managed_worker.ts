import { isoTime } from "../base/_iso_time.ts";
import { noop } from "../base/_promise.ts";
import type { Contribution } from "./_aggregate.ts";
import type { Command } from "../command.ts";
import { WorkerkitError } from "../base/errors.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";
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

/** The keys `recordFailure()` options accept. */
const RECORD_KEYS: ReadonlySet<string> = new Set(["kind"]);

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
  #readySet = false;
  #acceptingSet = false;
  #startFailure: { error: unknown } | undefined;
  #alive = true;

  constructor(host: WorkerHost, w: ManagedWorker) {
    this.handle = new GenerationHandle(host, w, this);
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Whether the handle set readiness; it wins over the start defaults. */
  get readySet(): boolean {
    return this.#readySet;
  }

  /** Whether the handle set admission; it wins over the start defaults. */
  get acceptingSet(): boolean {
    return this.#acceptingSet;
  }

  /** A failure reported while start was still running. */
  get startFailure(): { error: unknown } | undefined {
    return this.#startFailure;
  }

  /** Keeps the first failure reported during start; the supervisor's. */
  noteStartFailure(error: unknown): void {
    this.#startFailure ??= { error };
  }

  /** The handle set readiness during this generation; its handle's. */
  markReadySet(): void {
    this.#readySet = true;
  }

  /** The handle set admission during this generation; its handle's. */
  markAcceptingSet(): void {
    this.#acceptingSet = true;
  }

  /** Ends the generation: its handle refuses every later call. */
  end(): void {
    this.#alive = false;
  }
}

/**
 * A registered worker and everything the runtime knows about it. Each
 * mutable field is private and has one owner, the only caller of the
 * methods that change it: the state reporter (state, flags, transition and
 * failure records), the dispatcher (in-flight count, command failure), the
 * lifecycle (generation, pending work) and the supervisor (restarts).
 * `tests/worker_state.test.ts` checks the callers.
 */
export class ManagedWorker implements Contribution {
  readonly name: string;
  readonly qualifiedName: string;
  readonly description: string | undefined;
  readonly worker: Worker;
  readonly commands: Map<string, Command>;
  readonly settings: Settings;
  /** Supervision's restart intensity, when a restart policy is set. */
  readonly intensity: RestartIntensity | undefined;
  /** The stall watchdog, when a stallTimeout is set. */
  readonly watchdog: StallWatchdog | undefined;
  /** Resolvers of `waitIdle` callers; the dispatcher's. */
  readonly idleWaiters: Array<() => void> = [];

  #state: LifecycleState = "registered";
  #ready = false;
  #accepting = false;
  #stalled = false;
  #inFlight = 0;
  #restarts = 0;
  #lastTransition: TransitionRecord | undefined;
  #lastFailure: FailureInfo | undefined;
  #lastCommandFailure: CommandFailureInfo | undefined;
  #generation: Generation | undefined;
  #pending: Promise<void> | undefined;
  #unsettled = 0;
  #restart: AbortController | undefined;
  #lastRestart: { at: string; failure: FailureInfo } | undefined;

  constructor(
    name: string,
    qualifiedName: string,
    description: string | undefined,
    worker: Worker,
    commands: Map<string, Command>,
    settings: Settings,
    supervision: {
      intensity?: RestartIntensity | undefined;
      watchdog?: StallWatchdog | undefined;
    } = {},
  ) {
    this.name = name;
    this.qualifiedName = qualifiedName;
    this.description = description;
    this.worker = worker;
    this.commands = commands;
    this.settings = settings;
    this.intensity = supervision.intensity;
    this.watchdog = supervision.watchdog;
  }

  get state(): LifecycleState {
    return this.#state;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Kept as a number; formatted only when a status is read. */
  get lastTransition(): TransitionRecord | undefined {
    return this.#lastTransition;
  }

  get lastFailure(): FailureInfo | undefined {
    return this.#lastFailure;
  }

  get lastCommandFailure(): CommandFailureInfo | undefined {
    return this.#lastCommandFailure;
  }

  /** The current (or last) generation. */
  get generation(): Generation | undefined {
    return this.#generation;
  }

  /** The last start or stop work, tracked even after its caller gave up. */
  get pending(): Promise<void> | undefined {
    return this.#pending;
  }

  /** Start and stop calls of this worker that have not settled yet. */
  get unsettled(): number {
    return this.#unsettled;
  }

  /** The restart supervision is waiting to make; aborting it cancels it. */
  get restart(): AbortController | undefined {
    return this.#restart;
  }

  /** The cause of the latest restart. */
  get lastRestart(): { at: string; failure: FailureInfo } | undefined {
    return this.#lastRestart;
  }

  // The state reporter's writes (it keeps the aggregate in step with them).

  /** Lands in `state`; only `StateReporter.move` calls it. */
  enterState(state: LifecycleState): void {
    this.#state = state;
  }

  /** The worker's own readiness flag; the state reporter's. */
  flagReady(ready: boolean): void {
    this.#ready = ready;
  }

  /** Whether the worker admits commands; the state reporter's. */
  flagAccepting(accepting: boolean): void {
    this.#accepting = accepting;
  }

  /** Whether the worker shows stalled; the state reporter's. */
  flagStalled(stalled: boolean): void {
    this.#stalled = stalled;
  }

  /** Keeps the latest transition; the state reporter's. */
  noteTransition(record: TransitionRecord): void {
    this.#lastTransition = record;
  }

  /** Keeps (or, with `undefined`, clears) `lastFailure`; the state reporter's. */
  noteFailure(failure: FailureInfo | undefined): void {
    this.#lastFailure = failure;
  }

  // The dispatcher's writes.

  /** An admitted dispatch takes an in-flight slot. */
  takeSlot(): void {
    this.#inFlight++;
  }

  /** A dispatch gives its slot back; returns the in-flight count left. */
  releaseSlot(): number {
    return --this.#inFlight;
  }

  /** Keeps the latest failed command attempt. */
  noteCommandFailure(failure: CommandFailureInfo): void {
    this.#lastCommandFailure = failure;
  }

  // The lifecycle's writes.

  /** Ends the current generation and begins a new one. */
  beginGeneration(host: WorkerHost): Generation {
    this.#generation?.end();
    const generation = new Generation(host, this);
    this.#generation = generation;
    return generation;
  }

  /**
   * Tracks start or stop `work`: unsettled until it settles (`unregister`
   * refuses until then), and what the next start waits for, together with
   * `alongside` when given.
   */
  trackWork(work: Promise<void>, alongside?: Promise<void>): void {
    this.#unsettled++;
    const done = (): void => {
      this.#unsettled--;
    };
    const settled = work.then(done, done);
    this.#pending = alongside
      ? Promise.all([alongside, settled]).then(noop)
      : settled;
  }

  // The supervisor's writes.

  /** A restart is pending; aborting `restart` cancels it. */
  planRestart(restart: AbortController | undefined): void {
    this.#restart = restart;
  }

  /** One restart began, caused by `failure`. */
  countRestart(at: string, failure: FailureInfo): void {
    this.#restarts++;
    this.#lastRestart = { at, failure };
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
    if (this.lastRestart) {
      status.lastRestart = {
        at: this.lastRestart.at,
        failure: { ...this.lastRestart.failure },
      };
    }
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
    this.#generation.markReadySet();
    this.#host.setReady(this.#w, ready);
  }

  setAcceptingWork(accepting: boolean): void {
    this.#check();
    if (typeof accepting !== "boolean") throw notBoolean("setAcceptingWork");
    this.#generation.markAcceptingSet();
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
    if (options !== undefined) {
      if (options === null || typeof options !== "object") {
        throw new WorkerkitError(
          "invalid_argument",
          "recordFailure() options must be an object { kind? }",
        );
      }
      refuseUnknownKeys("recordFailure()", options, RECORD_KEYS);
    }
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
