import type { Command, CommandContext, CommandResult } from "./command.ts";
import type { CommandInfo } from "./status.ts";
import { WorkerkitError } from "./base/errors.ts";
import { OpsCommandError, type OpsFailure } from "./ops/ops_command_error.ts";

/** What an ops command handler answers. */
export interface OpsCommandResult {
  /**
   * - `completed`: done; `result` is the payload;
   * - `accepted`: taken on to finish in the background; `result` is the payload;
   * - `rejected`: refused to run (e.g. already running, bad payload);
   * - `failed`: ran and failed.
   */
  outcome: "completed" | "accepted" | "rejected" | "failed";
  /** Result data for `completed` / `accepted`. */
  result?: unknown;
  /** The public failure for `rejected` / `failed`. */
  failure?: OpsFailure;
}

/** The request an ops handler receives. */
export interface OpsCommandRequest {
  /** The command's name. */
  name: string;
  /** The payload, unchanged. */
  payload?: unknown;
}

/** An ops command handler. */
export type OpsCommandHandler = (
  request: OpsCommandRequest,
  ctx: CommandContext,
) => OpsCommandResult | Promise<OpsCommandResult>;

/**
 * Adapts an ops handler — one that answers an outcome instead of throwing —
 * into a normal command, so it gets the runtime's admission, deadlines,
 * retry, concurrency caps and events. `completed` and `accepted` succeed
 * with `result` as the payload (and the outcome as the message);
 * `rejected` and `failed` throw {@linkcode OpsCommandError}.
 *
 * @param descriptor The command's name and metadata.
 * @param handler The ops handler.
 * @returns A command for `register({ commands: [...] })`.
 * @throws {WorkerkitError} `invalid_argument` when `handler` is not a function.
 *
 * @example A rebuild that refuses to run twice
 * ```ts
 * import { commandFromOps, Runtime } from "@workerkit/core";
 *
 * let rebuilding = false;
 * const rebuild = commandFromOps(
 *   { name: "index/rebuild", dangerous: true },
 *   () => {
 *     if (rebuilding) {
 *       return { outcome: "rejected", failure: { code: "busy", message: "a rebuild is running" } };
 *     }
 *     rebuilding = true;
 *     setTimeout(() => (rebuilding = false), 10);
 *     return { outcome: "accepted", result: { startedAt: new Date().toISOString() } };
 *   },
 * );
 * const runtime = new Runtime({ name: "search" });
 * runtime.register({ name: "index", worker: { start() {}, stop() {} }, commands: [rebuild] });
 * ```
 */
export function commandFromOps(
  descriptor: CommandInfo,
  handler: OpsCommandHandler,
): Command {
  if (typeof handler !== "function") {
    throw new WorkerkitError(
      "invalid_argument",
      "commandFromOps() needs a handler function",
    );
  }
  return {
    ...descriptor,
    handler: async (request, ctx): Promise<CommandResult> => {
      const answer = await handler(
        { name: request.name, payload: request.payload },
        ctx,
      );
      return toResult(answer);
    },
  };
}

function toResult(answer: OpsCommandResult): CommandResult {
  const outcome = answer?.outcome;
  if (outcome === "completed" || outcome === "accepted") {
    return { message: outcome, payload: answer.result };
  }
  if (outcome === "rejected" || outcome === "failed") {
    throw new OpsCommandError(outcome, answer.failure);
  }
  throw new OpsCommandError("failed", undefined, {
    cause: new TypeError("ops handler answered no valid outcome"),
  });
}
