import type { Clock } from "../base/clock.ts";
import { WorkerkitError } from "../base/errors.ts";
import { validateWorkerName } from "../base/names.ts";
import type { WorkerDefaults, WorkerRegistration } from "../options.ts";
import { checkWorkerRef, commandMap } from "./_command_map.ts";
import { ManagedWorker } from "./_managed_worker.ts";
import { RestartIntensity } from "./_restart_intensity.ts";
import { REGISTRATION_KEYS, resolveSettings } from "./_settings.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";
import { StallWatchdog } from "./_stall_watchdog.ts";
import { byName, commandInfo, snapshot } from "./_snapshots.ts";
import type {
  CommandInfo,
  RuntimeInspection,
  RuntimeStatus,
  WorkerSnapshot,
} from "../status.ts";

/**
 * The registered workers: building a worker from its registration
 * (validation, settings, restart intensity, stall watchdog), lookup by local
 * or qualified name, registration order, and the workers whose stalls count
 * against liveness.
 */
export class WorkerTable {
  readonly #runtime: string;
  readonly #defaults: WorkerDefaults;
  readonly #clock: Clock;
  readonly #onStall: (w: ManagedWorker) => void;
  readonly #byName = new Map<string, ManagedWorker>();
  readonly #order: ManagedWorker[] = [];
  readonly #livenessWatched = new Set<ManagedWorker>();

  /**
   * @param runtime The runtime's name, the prefix of qualified names.
   * @param defaults Settings every registration starts from.
   * @param clock The clock of the stall watchdogs.
   * @param onStall Called when a worker's watchdog fires.
   */
  constructor(
    runtime: string,
    defaults: WorkerDefaults,
    clock: Clock,
    onStall: (w: ManagedWorker) => void,
  ) {
    this.#runtime = runtime;
    this.#defaults = defaults;
    this.#clock = clock;
    this.#onStall = onStall;
  }

  /** Every worker, in registration order. */
  get all(): readonly ManagedWorker[] {
    return this.#order;
  }

  /** A worker by local or qualified name. */
  get(ref: string): ManagedWorker | undefined {
    return this.#byName.get(ref);
  }

  /** Whether `ref` names a registered worker. */
  has(ref: string): boolean {
    return this.#byName.has(ref);
  }

  /** A worker by name, or `invalid_name` / `worker_not_found`. */
  require(ref: string): ManagedWorker {
    const w = this.#byName.get(ref);
    if (w) return w;
    checkWorkerRef(ref);
    throw new WorkerkitError(
      "worker_not_found",
      `no worker ${ref} in runtime ${this.#runtime}`,
    );
  }

  /** Builds and adds a worker; atomic: on error nothing changes. */
  add(registration: WorkerRegistration): ManagedWorker {
    const w = this.#build(registration);
    if (this.#byName.has(w.name)) {
      throw new WorkerkitError(
        "worker_already_registered",
        `worker ${w.qualifiedName} is already registered`,
      );
    }
    this.#byName.set(w.name, w);
    this.#byName.set(w.qualifiedName, w);
    this.#order.push(w);
    if (w.settings.livenessOnStall) this.#livenessWatched.add(w);
    return w;
  }

  /** Removes a worker. */
  remove(w: ManagedWorker): void {
    this.#byName.delete(w.name);
    this.#byName.delete(w.qualifiedName);
    this.#order.splice(this.#order.indexOf(w), 1);
    this.#livenessWatched.delete(w);
  }

  /** False while a worker registered with `livenessOnStall` is stalled. */
  live(): boolean {
    for (const w of this.#livenessWatched) {
      if (w.stalled) return false;
    }
    return true;
  }

  /** Fresh snapshots of every worker, in registration order. */
  snapshots(): WorkerSnapshot[] {
    return this.#order.map(snapshot);
  }

  /** A fresh snapshot of one worker, or `undefined` for an unknown one. */
  snapshot(ref: string): WorkerSnapshot | undefined {
    const w = this.#byName.get(ref);
    return w ? snapshot(w) : undefined;
  }

  /** A worker's commands sorted by name, or `undefined` for an unknown one. */
  commandInfos(ref: string): CommandInfo[] | undefined {
    const w = this.#byName.get(ref);
    if (!w) return undefined;
    return [...w.commands.values()].map(commandInfo).sort(byName);
  }

  /** The runtime's `status` with every worker's snapshot and commands. */
  inspect(status: RuntimeStatus): RuntimeInspection {
    const commands: Record<string, CommandInfo[]> = {};
    for (const w of this.#order) commands[w.name] = this.commandInfos(w.name)!;
    return { status, workers: this.snapshots(), commands };
  }

  #build(registration: WorkerRegistration): ManagedWorker {
    if (registration === null || typeof registration !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "register() takes a worker registration object",
      );
    }
    refuseUnknownKeys("register()", registration, REGISTRATION_KEYS);
    const { name, description, worker } = registration;
    validateWorkerName(name);
    if (description !== undefined && typeof description !== "string") {
      throw new WorkerkitError(
        "invalid_argument",
        "description must be a string",
      );
    }
    if (
      worker === null || typeof worker !== "object" ||
      typeof worker.start !== "function" || typeof worker.stop !== "function"
    ) {
      throw new WorkerkitError(
        "invalid_argument",
        `worker ${name} must have start(ctx) and stop(ctx) methods`,
      );
    }
    const commands = commandMap(name, registration.commands);
    const settings = resolveSettings(registration, this.#defaults);
    let intensity: RestartIntensity | undefined;
    if (settings.restart) {
      const { maxRestarts, withinMs } = settings.restart;
      intensity = new RestartIntensity(maxRestarts, withinMs);
    }
    const watchdog = settings.stallTimeout === undefined
      ? undefined
      : new StallWatchdog(
        this.#clock,
        settings.stallTimeout,
        () => this.#onStall(w),
      );
    const w: ManagedWorker = new ManagedWorker(
      name,
      `${this.#runtime}/${name}`,
      description,
      worker,
      commands,
      settings,
      { intensity, watchdog },
    );
    return w;
  }
}
