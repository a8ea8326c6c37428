import { isThenable, noop } from "../base/_promise.ts";
import { Attempt } from "../base/_attempt.ts";
import { isoTime } from "../base/_iso_time.ts";
import type { Clock } from "../base/clock.ts";
import type {
  Command,
  CommandContext,
  CommandRequest,
  CommandResult,
} from "../command.ts";
import type { Deadline, DeadlineScheduler } from "./_deadline_scheduler.ts";
import type { Following } from "./_emitter.ts";
import { WorkerkitError } from "../base/errors.ts";
import type { CommandEndEvent } from "../events.ts";
import { publicFailure } from "../failure.ts";
import type { Generation, ManagedWorker } from "./_managed_worker.ts";
import {
  type AttemptLoop,
  retryAfter,
  type RetryAllowance,
} from "../retry/_attempts.ts";
import type { RetryPolicy } from "../retry/policy.ts";
import type { WorkerHandle } from "../worker.ts";
import { CommandRejection } from "../base/command_rejection.ts";
import { validatePayload } from "./_payload_validation.ts";

/** What a dispatch needs from its runtime. */
export interface DispatchHost {
  readonly name: string;
  readonly clock: Clock;
  readonly deadlines: DeadlineScheduler;
  nextDispatchId(): string;
  /** Records and reports one failed attempt. */
  commandFailed(run: CommandRun, error: unknown): void;
  /** Gives back the dispatch's in-flight slot. */
  release(w: ManagedWorker): void;
  /** The runtime's retry budget, if any. */
  readonly budget: RetryAllowance | undefined;
}

/**
 * One admitted dispatch: its attempts, retries and the single in-flight slot
 * it holds until every attempt has really settled. The caller's answer comes
 * at the deadline even when a handler ignores its signal.
 */
export class CommandRun
  implements AttemptLoop<CommandResult | void, CommandResult> {
  readonly host: DispatchHost;
  readonly w: ManagedWorker;
  readonly command: Command;
  request: CommandRequest;
  readonly signal: AbortSignal | undefined;
  readonly generation: Generation;
  readonly following: Following<CommandEndEvent> | undefined;
  readonly startedAt: number;
  attempts = 0;
  #outstanding = 0;
  #finished = false;
  /** Set when a handler threw a `CommandRejection`: the caller's fault. */
  #rejected = false;
  #dispatchId: string | undefined;
  /**
   * When the current attempt's handler settled in time, if the late-result
   * check read the clock: the end event reuses that reading.
   */
  #settledAt: number | undefined;

  constructor(
    host: DispatchHost,
    w: ManagedWorker,
    command: Command,
    request: CommandRequest,
    signal: AbortSignal | undefined,
    following: Following<CommandEndEvent> | undefined,
    dispatchId: string | undefined,
    startedAt: number,
  ) {
    this.host = host;
    this.w = w;
    this.command = command;
    this.request = request;
    this.signal = signal;
    this.generation = w.generation!;
    this.following = following;
    this.#dispatchId = dispatchId;
    this.startedAt = startedAt;
  }

  /** The dispatch id, made on first use. */
  get dispatchId(): string {
    return this.#dispatchId ??= this.host.nextDispatchId();
  }

  /** Validates the payload, then runs attempts until one succeeds or retrying stops. */
  execute(): Promise<CommandResult> {
    if (this.command.payloadSchema === undefined) return this.#attempts();
    return this.#validated().then(() => this.#attempts(), (error) => {
      // A refused payload, or a schema that rejects the request on purpose,
      // is the caller's fault, not a failure.
      const refused = WorkerkitError.codeOf(error) === "invalid_payload" ||
        CommandRejection.rejectionIn(error) !== undefined;
      if (!refused) this.host.commandFailed(this, error);
      throw this.#finish(error, false, refused);
    });
  }

  /**
   * The attempt loop of `runAttempts`, with the first attempt run here: a
   * dispatch whose first attempt succeeds then costs one `then`, not an
   * async function and its awaits.
   */
  #attempts(): Promise<CommandResult> {
    this.host.budget?.first();
    return this.run().then(
      (value) => this.succeeded(value),
      (error: unknown) => retryAfter(this, 1, error),
    );
  }

  /**
   * Replaces the request's payload by the schema's output. A sync schema
   * costs one call; an async one runs under the first attempt's deadline
   * and the caller's signal, and holds the slot until it settles.
   */
  #validated(): Promise<void> {
    const where = `${this.command.name} on ${this.w.qualifiedName}`;
    let outcome: ReturnType<typeof validatePayload>;
    try {
      outcome = validatePayload(
        this.command.payloadSchema!,
        this.request.payload,
        where,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(outcome instanceof Promise)) {
      this.request = { ...this.request, payload: outcome.value };
      return Promise.resolve();
    }
    // The shared bound of lifecycle calls: the first attempt's deadline and
    // the caller's signal. The slot is held until the check really settles.
    this.#outstanding++;
    outcome.then(noop, noop).then(() => {
      this.#outstanding--;
      if (this.#finished && this.#outstanding === 0) this.host.release(this.w);
    });
    const bound = new Attempt(
      this.host.clock,
      this.w.settings.commandTimeout,
      this.signal,
    );
    const checked = outcome.then((ok) => {
      this.request = { ...this.request, payload: ok.value };
    });
    return bound.race(checked, `the payload check of ${where}`).finally(() =>
      bound.settle()
    );
  }

  // The dispatch is its own attempt loop (no per-call loop object): these
  // members are what `runAttempts` reads.

  /** The worker's `commandRetry`. */
  get policy(): RetryPolicy {
    return this.w.settings.commandRetry;
  }

  /** The runtime's clock. */
  get clock(): Clock {
    return this.host.clock;
  }

  /** The runtime's retry budget, if any. */
  get budget(): RetryAllowance | undefined {
    return this.host.budget;
  }

  /** The command, as the retry budget's refusal names it. */
  get what(): string {
    return this.command.name;
  }

  /** The caller's answer: ends the dispatch once. */
  succeeded(result: CommandResult | void): CommandResult {
    this.#finish(undefined, true);
    return result ?? {};
  }

  /** The error the caller gets: ends the dispatch once. */
  gaveUp(error: unknown): unknown {
    return this.#finish(error);
  }

  /** A retry waits: the last settle time is no longer the end time. */
  beforeWait(): void {
    this.#settledAt = undefined;
  }

  /** Runs one attempt. */
  run(): Promise<CommandResult | void> {
    const ctx = new AttemptContext(this, ++this.attempts);
    this.#settledAt = undefined;
    this.#outstanding++;
    return new Promise<CommandResult | void>((resolve, reject) => {
      ctx.reject = reject;
      const timeout = this.w.settings.commandTimeout;
      if (timeout !== Infinity) {
        // An observed dispatch read the clock at admission, just now.
        const now = this.attempts === 1 && this.following
          ? this.startedAt
          : undefined;
        ctx.deadline = this.host.deadlines.add(
          timeout,
          expireAttempt,
          now,
          ctx,
        );
      }
      if (this.signal) ctx.link(this.signal);
      let out: unknown;
      try {
        const { handler } = this.command;
        // Without a schema the payload is `unknown`, which holds a missing one.
        const request = this.request as CommandRequest & { payload: unknown };
        // No closure for an observer that does not wrap: it is most of
        // what observing a dispatch costs.
        out = this.following?.wraps
          ? this.following.wrap(() => handler(request, ctx))
          : handler(request, ctx);
      } catch (error) {
        this.#settledLate(ctx);
        reject(error);
        return;
      }
      if (!isThenable(out)) {
        this.#settledLate(ctx);
        resolve(out as CommandResult | void);
        return;
      }
      try {
        out.then(
          (value) => {
            this.#settledLate(ctx);
            resolve(value as CommandResult | void);
          },
          (error: unknown) => {
            this.#settledLate(ctx);
            reject(error);
          },
        );
      } catch (error) {
        this.#settledLate(ctx);
        reject(error);
      }
    });
  }

  /**
   * Records a failed attempt (a cancellation is not a failure) and stops
   * retrying once the caller canceled or the worker left its generation.
   */
  failed(error: unknown): { stop: unknown } | undefined {
    // The caller's fault: not a failure, never retried.
    // A rejection anywhere in the cause chain counts, as the router maps it.
    if (CommandRejection.rejectionIn(error) !== undefined) {
      this.#rejected = true;
      return { stop: error };
    }
    const signal = this.signal;
    const canceled = signal?.aborted && error === signal.reason;
    if (!canceled) this.host.commandFailed(this, error);
    const w = this.w;
    const current = w.state === "running" && w.generation === this.generation;
    return signal?.aborted || !current ? { stop: error } : undefined;
  }

  /**
   * The attempt's handler settled. A result at or after the deadline is a
   * deadline, never a success: the scheduler's timer may simply not have
   * fired yet (a burst, a busy loop), so the deadline itself is compared.
   */
  #settledLate(ctx: AttemptContext): void {
    const deadline = ctx.deadline;
    if (deadline !== undefined) {
      const now = this.host.clock.now();
      if (now >= deadline.at) ctx.expire();
      else if (ctx.attempt === this.attempts) this.#settledAt = now;
    }
    this.#settled(ctx);
  }

  #settled(ctx: AttemptContext): void {
    if (!ctx.settle()) return;
    this.#outstanding--;
    if (this.#finished && this.#outstanding === 0) this.host.release(this.w);
  }

  /** Ends the dispatch once: the end event, and the slot if nothing is outstanding. */
  #finish(error: unknown, ok = false, rejected = this.#rejected): unknown {
    this.#finished = true;
    if (this.#outstanding === 0) this.host.release(this.w);
    const following = this.following;
    if (!following) return error;
    // Reading the clock is most of what the end event costs; the attempt's
    // settle read it a few microtasks ago when it checked the deadline.
    const now = this.#settledAt ?? this.host.clock.now();
    const e: CommandEndEvent = {
      runtime: this.host.name,
      worker: this.w.qualifiedName,
      command: this.command.name,
      dispatchId: this.dispatchId,
      at: isoTime(now),
      ok,
      attempts: this.attempts,
      durationMs: now - this.startedAt,
    };
    if (!ok) {
      const failure = publicFailure(error, "command");
      e.code = failure.code;
      e.message = failure.message;
      e.cause = error;
      if (rejected) e.rejected = true;
      // The same rule as `failed`: the caller's own signal, not a failure.
      else if (this.signal?.aborted && error === this.signal.reason) {
        e.canceled = true;
      }
    }
    following.end(e);
    return error;
  }
}

/** The context of one attempt; its signal is made only if the handler reads it. */
class AttemptContext implements CommandContext {
  readonly attempt: number;
  readonly #run: CommandRun;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;
  #settled = false;
  #unlink: (() => void) | undefined;
  deadline: Deadline | undefined;
  reject: ((reason: unknown) => void) | undefined;

  constructor(run: CommandRun, attempt: number) {
    this.#run = run;
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get drainSignal(): AbortSignal {
    return this.#run.generation.drain.signal;
  }

  get worker(): WorkerHandle {
    return this.#run.generation.handle;
  }

  get dispatchId(): string {
    return this.#run.dispatchId;
  }

  /** Follows the caller's signal until the attempt settles. */
  link(signal: AbortSignal): void {
    if (signal.aborted) {
      this.#abort(signal.reason, signal.reason);
      return;
    }
    const onAbort = (): void => this.#abort(signal.reason, signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    this.#unlink = () => signal.removeEventListener("abort", onAbort);
  }

  /** The attempt's deadline passed. */
  expire(): void {
    this.deadline = undefined;
    if (this.#settled || this.#aborted) return;
    this.#abort(
      DEADLINE_REASON,
      withoutStack(() =>
        new WorkerkitError(
          "deadline_exceeded",
          `command ${this.#run.command.name} exceeded its deadline`,
        )
      ),
    );
  }

  /** Ends the attempt; false if it had already ended. */
  settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.deadline) this.#run.host.deadlines.cancel(this.deadline);
    this.#unlink?.();
    this.deadline = this.#unlink = this.reject = undefined;
    return true;
  }

  #abort(signalReason: unknown, callerError: unknown): void {
    if (this.#settled || this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = signalReason;
    this.#controller?.abort(signalReason);
    const reject = this.reject;
    if (this.deadline) this.#run.host.deadlines.cancel(this.deadline);
    this.#unlink?.();
    this.deadline = this.#unlink = undefined;
    reject?.(callerError);
  }
}

/** A deadline's expiry, shared by every attempt (called on its context). */
function expireAttempt(this: AttemptContext): void {
  this.expire();
}

/**
 * The reason every command attempt's signal aborts with at its deadline:
 * one shared `DOMException`, because building one (with its stack) per
 * expiry dominated a burst of a thousand simultaneous timeouts.
 */
const DEADLINE_REASON = new DOMException("deadline exceeded", "TimeoutError");

/**
 * Builds an error without capturing a stack trace: a deadline error is made
 * in a timer callback, whose stack names only the scheduler, and capturing
 * it is most of the cost of an expiry in a burst.
 */
function withoutStack<E>(make: () => E): E {
  const host = Error as { stackTraceLimit?: number };
  const limit = host.stackTraceLimit;
  try {
    host.stackTraceLimit = 0;
  } catch {
    return make();
  }
  try {
    return make();
  } finally {
    host.stackTraceLimit = limit as number;
  }
}
