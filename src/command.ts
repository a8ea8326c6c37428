import type { StandardSchemaV1 } from "./standard_schema.ts";
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

/**
 * The request a handler receives: a {@linkcode CommandRequest}, whose
 * `payload` is the schema's output when the command declares
 * `payloadSchema`.
 *
 * @typeParam Payload The validated payload's type; `unknown` without a schema.
 */
export type HandlerRequest<Payload = unknown> = unknown extends Payload
  ? CommandRequest
  : CommandRequest & { payload: Payload };

/**
 * A command handler: may return a result or a promise of one.
 *
 * @typeParam Payload The validated payload's type; `unknown` without a schema.
 * @typeParam Result What the handler returns.
 */
export type CommandHandler<
  Payload = unknown,
  Result extends CommandResult | void = CommandResult | void,
> = (
  request: HandlerRequest<Payload>,
  ctx: CommandContext,
) => Result | Promise<Result>;

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
export interface Command<
  Payload = unknown,
  Result extends CommandResult | void = CommandResult | void,
> {
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
  /**
   * Validates the payload before the first attempt: any Standard Schema v1
   * (Zod 4, Valibot 1, ArkType 2, ...). A payload it refuses rejects the
   * dispatch with `invalid_payload` (HTTP 422) and safe `issues`; the
   * handler never runs. The handler receives the schema's output. Async
   * schemas run inside the first attempt's `commandTimeout`. Use
   * {@linkcode command} to have `request.payload` typed from it.
   */
  payloadSchema?: StandardSchemaV1<unknown, Payload>;
  /**
   * The payload as JSON Schema, listed in {@linkcode CommandInfo} and used
   * by the dashboard's form. When absent, it is taken from `payloadSchema`
   * if the schema implements Standard JSON Schema (Zod 4 does; Valibot
   * through `@valibot/to-json-schema`'s `toStandardJsonSchema`).
   */
  payloadJsonSchema?: Record<string, unknown>;
  /**
   * Runs the command.
   *
   * @param request The request, with the validated payload.
   * @param ctx This attempt's signal, the worker's handle and ids.
   * @returns The result, or a promise of it.
   */
  handler(
    request: CommandRequest & { payload: Payload },
    ctx: CommandContext,
  ): Result | Promise<Result>;
}
