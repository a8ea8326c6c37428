import { clampDelay } from "./_clamp.ts";
import type { RetryPolicy } from "./policy.ts";

/**
 * Asks `policy` for the wait before the next attempt. A policy that throws,
 * or answers anything but a number, stops retrying; a number is clamped to
 * a valid timer delay.
 */
export function nextDelay(
  policy: RetryPolicy,
  failures: number,
  error: unknown,
): number | undefined {
  let wait: unknown;
  try {
    wait = policy.delay(failures, error);
  } catch {
    return undefined;
  }
  return typeof wait === "number" ? clampDelay(wait) : undefined;
}
