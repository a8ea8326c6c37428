import { type CommandEndEvent, OpsCommandError } from "../../mod.ts";

/** What a dispatch came to, as logs and metrics name it. */
export type CommandOutcome = "ok" | "error" | "rejected";

/**
 * `"rejected"` when the command was refused: at admission (no attempt
 * made) or by its handler with an `OpsCommandError` of kind `rejected`
 * (HTTP 409). The cause is only tested for its class, never read for text.
 */
export function commandOutcome(e: CommandEndEvent): CommandOutcome {
  if (e.ok) return "ok";
  if (e.attempts === 0) return "rejected";
  return rejectedByHandler(e.cause) ? "rejected" : "error";
}

function rejectedByHandler(cause: unknown): boolean {
  try {
    return cause instanceof OpsCommandError && cause.kind === "rejected";
  } catch {
    // A hostile cause (a Proxy) is simply not a rejection.
    return false;
  }
}
