import type { Clock } from "../base/clock.ts";
import { isoTime } from "../base/_iso_time.ts";
import { WorkerkitError, type WorkerkitErrorCode } from "../base/errors.ts";
import { validateCommandName } from "../base/names.ts";
import type { Command, CommandRequest, CommandResult } from "../command.ts";
import type { CommandEndEvent } from "../events.ts";
import { publicFailure } from "../failure.ts";
import { signalOf, type SignalOptions } from "../signal_options.ts";
import { checkWorkerRef } from "./_command_map.ts";
import { DeadlineScheduler } from "./_deadline_scheduler.ts";
import { CommandRun, type DispatchHost } from "./_dispatch.ts";
import type { Following } from "./_emitter.ts";
import { waitFor, wake } from "./_idle_waiters.ts";
import type { ManagedWorker } from "./_managed_worker.ts";
import type { RetryBudget } from "./_retry_budget.ts";
import type { StateReporter } from "./_state_reporter.ts";
import type { WorkerTable } from "./_worker_table.ts";

/**
 * Runs commands: lookup, admission (in its documented order) and refusals,
 * the in-flight slots and idle waits, dispatch ids, the shared deadline
 * wheel, and the failure records of commands. One admitted dispatch is a
 * {@linkcode CommandRun}; this is its host.
 */
export class Dispatcher implements DispatchHost {
  readonly name: string;
  readonly clock: Clock;
  readonly deadlines: DeadlineScheduler;
  readonly #table: WorkerTable;
  readonly #reporter: StateReporter;
  /** The runtime's retry budget, if any. */
  readonly budget: RetryBudget | undefined;
  readonly #cap: number;
  #open = true;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];
  #idPrefix: string | undefined;
  #idCount = 0;

  /**
   * @param name The runtime's name.
   * @param clock Time source of deadlines and retries.
   * @param table The workers.
   * @param reporter Events and the runtime-wide admission conditions.
   * @param budget The runtime's retry budget, if any.
   * @param cap The runtime-wide command cap; 0 for none.
   */
  constructor(
    name: string,
    clock: Clock,
    table: WorkerTable,
    reporter: StateReporter,
    budget: RetryBudget | undefined,
    cap: number,
  ) {
    this.name = name;
    this.clock = clock;
    this.deadlines = new DeadlineScheduler(clock);
    this.#table = table;
    this.#reporter = reporter;
    this.budget = budget;
    this.#cap = cap;
  }

  /** Commands in flight in the whole runtime. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Reopens runtime-wide admission (a start does). */
  open(): void {
    this.#open = true;
  }

  /** Closes runtime-wide admission (`stopAll` and shutdown do). */
  close(): void {
    this.#open = false;
  }

  /** See `Runtime.dispatch`. */
  dispatch(
    request: CommandRequest,
    options: SignalOptions | undefined,
  ): Promise<CommandResult> {
    let workerRef: unknown;
    let commandName: unknown;
    let readable = request !== null && typeof request === "object";
    let unknownKey: string | undefined;
    try {
      if (readable) {
        ({ worker: workerRef, name: commandName } = request);
        unknownKey = unknownRequestKey(request);
      }
    } catch {
      // A throwing getter or a revoked proxy is refused like a non-object.
      readable = false;
    }
    if (unknownKey !== undefined) {
      // `paylaod` would otherwise run the command without its payload.
      return Promise.reject(
        new WorkerkitError(
          "invalid_argument",
          `dispatch() has no request field ${JSON.stringify(unknownKey)}`,
        ),
      );
    }
    if (!readable) {
      return Promise.reject(
        new WorkerkitError(
          "invalid_argument",
          "dispatch() takes a request { worker, name, payload? }",
        ),
      );
    }
    const w = this.#table.get(workerRef as string);
    const command = w?.commands.get(commandName as string);
    if (!w || !command) {
      return Promise.reject(this.#lookupError(workerRef, commandName));
    }
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        signal = signalOf(options);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    let following: Following<CommandEndEvent> | undefined;
    let dispatchId: string | undefined;
    const emitter = this.#reporter.emitter;
    // One clock read for the start event, the duration and the first
    // deadline: reading the clock is most of an observed dispatch's cost.
    let startedAt = 0;
    if (emitter.wantsCommands()) {
      startedAt = this.clock.now();
      dispatchId = this.nextDispatchId();
      following = emitter.commandStart({
        runtime: this.name,
        worker: w.qualifiedName,
        command: command.name,
        dispatchId,
        at: isoTime(startedAt),
      });
    }
    if (signal?.aborted) {
      // Like fetch: a request canceled before it began never runs.
      following?.end({
        ...this.#refusalEvent(w, command, signal.reason, dispatchId),
        canceled: true,
      });
      return Promise.reject(signal.reason);
    }
    const refusal = this.#admission(w);
    if (refusal) {
      const error = new WorkerkitError(
        refusal,
        `${command.name} on ${w.qualifiedName} refused: ${refusal}`,
      );
      following?.end(this.#refusalEvent(w, command, error, dispatchId));
      return Promise.reject(error);
    }
    this.#inFlight++;
    w.inFlight++;
    return new CommandRun(
      this,
      w,
      command,
      request,
      signal,
      following,
      dispatchId,
      startedAt,
    ).execute();
  }

  /** Resolves when `w` (or, without one, the runtime) has nothing in flight. */
  waitIdle(
    w: ManagedWorker | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (w === undefined) {
      if (this.#inFlight === 0) return Promise.resolve();
      return waitFor(this.#idleWaiters, signal);
    }
    if (w.inFlight === 0) return Promise.resolve();
    return waitFor(w.idleWaiters, signal);
  }

  /**
   * A process-unique id: a random prefix per runtime and a counter, which
   * costs far less than a UUID per dispatch and still never repeats.
   */
  nextDispatchId(): string {
    this.#idPrefix ??= crypto.randomUUID().slice(0, 8);
    return `${this.#idPrefix}-${(++this.#idCount).toString(36)}`;
  }

  /** Records and reports one failed attempt. */
  commandFailed(run: CommandRun, error: unknown): void {
    const failure = publicFailure(error, "command");
    const at = this.#reporter.at();
    const w = run.w;
    if (run.generation.alive && w.generation === run.generation) {
      w.lastCommandFailure = {
        code: failure.code,
        message: failure.message,
        at,
        command: run.command.name,
      };
    }
    const emitter = this.#reporter.emitter;
    if (!emitter.wants("failure")) return;
    emitter.failure({
      runtime: this.name,
      worker: w.qualifiedName,
      kind: "command",
      dispatchId: run.dispatchId,
      code: failure.code,
      message: failure.message,
      command: run.command.name,
      attempt: run.attempts,
      cause: error,
      at,
    });
  }

  /** Gives back a dispatch's in-flight slot and wakes idle waiters. */
  release(w: ManagedWorker): void {
    w.inFlight--;
    this.#inFlight--;
    if (w.inFlight === 0 && w.idleWaiters.length > 0) {
      wake(w.idleWaiters.splice(0));
    }
    if (this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      wake(this.#idleWaiters.splice(0));
    }
  }

  /** The first admission rule a dispatch breaks, in the documented order. */
  #admission(w: ManagedWorker): WorkerkitErrorCode | undefined {
    const reporter = this.#reporter;
    if (!this.#open || reporter.shuttingDown || reporter.failing) {
      return "runtime_not_accepting_work";
    }
    if (w.state !== "running") return "invalid_worker_state";
    if (!w.accepting) return "worker_not_accepting_work";
    if (this.#cap > 0 && this.#inFlight >= this.#cap) {
      return "runtime_saturated";
    }
    const workerCap = w.settings.commandConcurrency;
    if (workerCap > 0 && w.inFlight >= workerCap) return "worker_saturated";
    return undefined;
  }

  /** The end event of a dispatch that never ran: `attempts: 0`. */
  #refusalEvent(
    w: ManagedWorker,
    command: Command,
    error: unknown,
    dispatchId: string | undefined,
  ): CommandEndEvent {
    const failure = publicFailure(error, "command");
    return {
      runtime: this.name,
      worker: w.qualifiedName,
      command: command.name,
      dispatchId: dispatchId ?? "",
      at: this.#reporter.at(),
      ok: false,
      attempts: 0,
      durationMs: 0,
      code: failure.code,
      message: failure.message,
      cause: error,
    };
  }

  /** The refusal for a request whose worker or command was not found. */
  #lookupError(worker: unknown, name: unknown): WorkerkitError {
    try {
      checkWorkerRef(worker);
      validateCommandName(name);
    } catch (error) {
      return error as WorkerkitError;
    }
    if (!this.#table.has(worker as string)) {
      return new WorkerkitError(
        "worker_not_found",
        `no worker ${worker} in runtime ${this.name}`,
      );
    }
    return new WorkerkitError(
      "command_not_found",
      `no command ${name} on worker ${worker}`,
    );
  }
}

/** The first key of a dispatch request that is not `worker`, `name` or `payload`. */
function unknownRequestKey(request: object): string | undefined {
  for (const key in request) {
    if (key !== "worker" && key !== "name" && key !== "payload") return key;
  }
  return undefined;
}
