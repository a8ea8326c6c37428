// The smallest shared arrange code: a runtime "billing" on a manual clock,
// and the code of a WorkerkitError for comparing refusals.
import { Runtime, WorkerkitError } from "../../mod.ts";
import type { RuntimeOptions } from "../../mod.ts";
import { ManualClock } from "./manual_clock.ts";

/** The manual clock's starting time. */
export const T0 = Date.UTC(2026, 0, 1);

/** The code of a WorkerkitError, or undefined for anything else. */
export function code(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

/** A runtime named "billing" on a manual clock that starts at T0. */
export function setup(options: Partial<Omit<RuntimeOptions, "name">> = {}) {
  const clock = new ManualClock(T0);
  const runtime = new Runtime({ name: "billing", clock, ...options });
  return { clock, runtime };
}
