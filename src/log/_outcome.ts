import { type CommandEndEvent, OpsCommandError } from "../../mod.ts";

/** What a dispatch came to, as logs name it (the same words as OTel's). */
export type CommandOutcome = "ok" | "error" | "rejected";

/**
 * `"rejected"` when the dispatch ended by the caller's fault or was
 * refused: at admission (no attempt made), by the payload schema or a
 * `CommandRejection` (`rejected: true`), or by an `OpsCommandError` of
 * kind `rejected` (HTTP 409). The cause is only tested for its class,
 * never read for text.
 */
export function commandOutcome(e: CommandEndEvent): CommandOutcome {
  if (e.ok) return "ok";
  if (e.attempts === 0 || e.rejected === true) return "rejected";
  return OpsCommandError.rejectionIn(e.cause) === undefined
    ? "error"
    : "rejected";
}
