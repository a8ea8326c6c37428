// The runtime's parts, wired as a Runtime wires them, for the parts' own
// unit tests: a manual clock and a recording observer.
import type {
  Observer,
  RuntimeEventMap,
  RuntimeOptions,
  WorkerRegistration,
} from "../../mod.ts";
import { type Parts, wireParts } from "../../src/runtime/_parts.ts";
import { ManualClock } from "./manual_clock.ts";
import { T0 } from "./runtime_setup.ts";

/** What the recording observer saw: `type` and the event, in order. */
export type Seen = Array<[keyof RuntimeEventMap, unknown]>;

/** Parts for a runtime named "rt" on a manual clock, with every event recorded. */
export function parts(
  options: Partial<Omit<RuntimeOptions, "name" | "clock" | "observer">> = {},
): Parts & { manual: ManualClock; seen: Seen } {
  const manual = new ManualClock(T0);
  const seen: Seen = [];
  const observer: Observer = {
    transition: (e) => void seen.push(["transition", e]),
    readiness: (e) => void seen.push(["readiness", e]),
    failure: (e) => void seen.push(["failure", e]),
  };
  const wired = wireParts(
    { name: "rt", clock: manual, observer, ...options },
    { listening: () => false, dispatch: () => {} },
  );
  return { ...wired, manual, seen };
}

/** A worker that starts and stops at once. */
export const idle = { start() {}, stop() {} };

/** Parts with one worker "w" registered from `registration` and started. */
export async function startedParts(
  registration: Partial<WorkerRegistration> = {},
  options: Parameters<typeof parts>[0] = {},
) {
  const p = parts(options);
  const w = p.table.add({ name: "w", worker: idle, ...registration });
  p.reporter.count(w, 1);
  await p.lifecycle.run(
    undefined,
    (preempt) => p.lifecycle.start(w, undefined, preempt),
  );
  return { ...p, w };
}
