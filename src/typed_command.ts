import type { Command, CommandContext, CommandResult } from "./command.ts";
import type { InferSchemaOutput, StandardSchemaV1 } from "./standard_schema.ts";
import type { CommandRequest } from "./command.ts";

/**
 * A command whose payload is validated by `payloadSchema`, as given to
 * {@linkcode command}.
 *
 * @typeParam S The payload schema.
 * @typeParam Result What the handler returns.
 */
export interface SchemaCommand<
  S extends StandardSchemaV1 = StandardSchemaV1,
  Result extends CommandResult | void = CommandResult | void,
> extends Omit<Command, "handler" | "payloadSchema"> {
  /** Validates the payload before the first attempt; see {@linkcode Command.payloadSchema}. */
  payloadSchema?: S;
  /**
   * Runs the command with the schema's output as `request.payload`.
   *
   * @param request The request, with the validated payload.
   * @param ctx This attempt's signal, the worker's handle and ids.
   * @returns The result, or a promise of it.
   */
  handler(
    request: CommandRequest & { payload: InferSchemaOutput<S> },
    ctx: CommandContext,
  ): Result | Promise<Result>;
}

/**
 * Defines a command with its types inferred: `request.payload` from
 * `payloadSchema` (any Standard Schema v1: Zod, Valibot, ArkType, ...) and
 * the result from the handler, with no casts. It returns the definition
 * itself; registration checks it.
 *
 * @typeParam S The payload schema.
 * @typeParam Result What the handler returns.
 * @param definition The command, usually with `payloadSchema`.
 * @returns The same command, typed for `register({ commands })`.
 *
 * @example A command whose payload is checked by a schema
 * ```ts
 * import { command, Runtime, type StandardSchemaV1 } from "@workerkit/core";
 *
 * // Any Standard Schema works; this one is written by hand to stay dependency-free.
 * const Limit: StandardSchemaV1<unknown, { limit: number }> = {
 *   "~standard": {
 *     version: 1,
 *     vendor: "example",
 *     validate: (value) =>
 *       typeof value === "object" && value !== null &&
 *         typeof (value as { limit?: unknown }).limit === "number"
 *         ? { value: value as { limit: number } }
 *         : { issues: [{ message: "limit must be a number", path: ["limit"] }] },
 *   },
 * };
 *
 * const resize = command({
 *   name: "pool/resize",
 *   payloadSchema: Limit,
 *   handler: ({ payload }) => ({ message: `limit is now ${payload.limit}` }),
 * });
 *
 * const runtime = new Runtime({ name: "api" });
 * runtime.register({ name: "pool", worker: { start() {}, stop() {} }, commands: [resize] });
 * await runtime.startAll();
 * const result = await runtime.dispatch({ worker: "pool", name: "pool/resize", payload: { limit: 8 } });
 * console.log(result.message); // limit is now 8
 * const refused = await runtime.dispatch({ worker: "pool", name: "pool/resize", payload: {} }).catch((e) => e);
 * console.log(refused.code, refused.issues); // invalid_payload [ { path: [ "limit" ], message: "limit must be a number" } ]
 * await runtime.shutdown({ signal: AbortSignal.timeout(1_000) });
 * ```
 */
export function command<
  S extends StandardSchemaV1 = StandardSchemaV1,
  Result extends CommandResult | void = CommandResult | void,
>(definition: SchemaCommand<S, Result>): Command<InferSchemaOutput<S>, Result> {
  return definition as unknown as Command<InferSchemaOutput<S>, Result>;
}
