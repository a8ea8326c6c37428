import { type CommandEndEvent, OpsCommandError } from "../../mod.ts";

/** `workerkit.outcome` of a dispatch. */
export type CommandOutcome = "ok" | "error" | "rejected";

/**
 * `rejected` for a refusal at admission, a `CommandRejection` or invalid
 * payload (`rejected: true`) and an ops rejection (409); the same rule as
 * the log adapter's, which this layer may not import.
 */
export function commandOutcome(e: CommandEndEvent): CommandOutcome {
  if (e.ok) return "ok";
  const refused = e.attempts === 0 || e.rejected === true ||
    OpsCommandError.rejectionIn(e.cause) !== undefined;
  return refused ? "rejected" : "error";
}
