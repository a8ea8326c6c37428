import type { WorkerHandle } from "./worker.ts";

/** A request to run one of a worker's commands. */
export interface CommandRequest {
  /** The worker's local (`ingest`) or qualified (`billing/ingest`) name. */
  worker: string;
  /** The command's name, e.g. `cache/refresh`. */
  name: string;
  /** Passed to the handler unchanged (no copy). */
  payload?: unknown;
}

/** What a command handler returns. */
export interface CommandResult {
  /** A short, human-readable outcome. */
  message?: string;
  /** Any result data. */
  payload?: unknown;
}

/** What the runtime hands to a command handler for one attempt. */
export interface CommandContext {
  /**
   * Aborts at this attempt's deadline (`commandTimeout`) or when the caller's
   * signal aborts. Once the attempt settles it never aborts. Created lazily,
   * so a handler that never reads it costs nothing.
   */
  readonly signal: AbortSignal;
  /** Aborts when drain, stop or shutdown of the worker begins. */
  readonly drainSignal: AbortSignal;
  /** The owning worker's handle for the current generation. */
  readonly worker: WorkerHandle;
  /** A unique id for this dispatch, the same across its attempts. */
  readonly dispatchId: string;
  /** The attempt number, starting at 1. */
  readonly attempt: number;
}

/** A command handler: may return a result or a promise of one. */
export type CommandHandler = (
  request: CommandRequest,
  ctx: CommandContext,
) => CommandResult | void | Promise<CommandResult | void>;

/**
 * A worker-owned command, given to `register` in `commands`.
 *
 * @example
 * ```ts
 * import type { Command } from "@workerkit/core";
 *
 * const refresh: Command = {
 *   name: "cache/refresh",
 *   description: "drops cached prices",
 *   idempotent: true,
 *   handler: () => ({ message: "refreshed" }),
 * };
 * ```
 */
export interface Command {
  /** One or more `/`-separated segments of `a-z 0-9 - _`. */
  name: string;
  /** What it does. */
  description?: string;
  /** Advisory: what the payload is, e.g. `"json"`. */
  payloadKind?: string;
  /** Advisory: safe to run more than once. */
  idempotent?: boolean;
  /** Advisory: needs operator care. */
  dangerous?: boolean;
  /** Runs the command. */
  handler: CommandHandler;
}
