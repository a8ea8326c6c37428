import { OperationalFailure } from "./operational_failure.ts";
import { firstCause } from "./_cause_chain.ts";
import { safeInstanceOf } from "./_safe_access.ts";

/**
 * Thrown by a command handler when the request is the caller's fault — a
 * payload that makes no sense for the worker's current data, a conflicting
 * request, a precondition that does not hold. Its code and message are
 * public, like any {@linkcode OperationalFailure}'s, but it is not a
 * failure of the worker or the command:
 *
 * - it is never retried, whatever `commandRetry` says;
 * - `lastCommandFailure` stays as it was, and no `failure` event is emitted;
 * - the `commandend` event has `ok: false`, `rejected: true` and the
 *   rejection's code and message; logs record it at `info`;
 * - the ops router answers 409 `{ error: { code, message } }`.
 *
 * @example Refusing a request that conflicts with the worker's state
 * ```ts
 * import { CommandRejection, Runtime } from "@workerkit/core";
 *
 * const runtime = new Runtime({ name: "billing" });
 * runtime.register({
 *   name: "invoices",
 *   worker: { start() {}, stop() {} },
 *   commands: [{
 *     name: "invoice/void",
 *     handler: () => {
 *       throw new CommandRejection({
 *         code: "invoice_already_paid",
 *         message: "a paid invoice cannot be voided",
 *       });
 *     },
 *   }],
 * });
 * await runtime.startAll();
 * const error = await runtime
 *   .dispatch({ worker: "invoices", name: "invoice/void" })
 *   .catch((e) => e);
 * console.log(error instanceof CommandRejection, error.code); // true invoice_already_paid
 * await runtime.shutdown({ signal: AbortSignal.timeout(1_000) });
 * ```
 */
export class CommandRejection extends OperationalFailure {
  /**
   * Makes a rejection with a public code and message.
   *
   * @param init `code`: 1 to 64 characters of `a-z 0-9 _ . -`; `message`: at
   * most 1,024 characters, shown to the caller.
   * @param options The standard `cause` option; the cause is never shown.
   * @throws {WorkerkitError} `invalid_argument` for a bad code or message.
   */
  constructor(
    init: { code: string; message: string },
    options?: ErrorOptions,
  ) {
    super(init, options);
    this.name = "CommandRejection";
  }

  /**
   * The rejection behind an error: the first `OperationalFailure` of its
   * `cause` chain, when that is a `CommandRejection`. Never throws, even on
   * hostile values.
   *
   * @param error Any thrown value.
   * @returns The rejection, or `undefined`.
   *
   * @example
   * ```ts
   * import { CommandRejection } from "@workerkit/core";
   *
   * const paid = new CommandRejection({ code: "paid", message: "already paid" });
   * console.log(CommandRejection.rejectionIn(new Error("x", { cause: paid }))?.code); // "paid"
   * ```
   */
  static rejectionIn(error: unknown): CommandRejection | undefined {
    const first = firstCause(
      error,
      (link) => safeInstanceOf(link, OperationalFailure),
    );
    return first !== undefined && safeInstanceOf(first, CommandRejection)
      ? first as CommandRejection
      : undefined;
  }
}
