// Shared arrange code for the observer tests (observer, logObserver and
// otelObserver): a runtime "billing" on a manual clock, its "prices" worker
// with one command slot and a retry on Transient errors, an "ingest" worker
// that can report background failures, and check runs driven by hand.
import { attempts, Runtime } from "../../mod.ts";
import type {
  CheckEndEvent,
  Command,
  Observer,
  RuntimeEventMap,
  WorkerContext,
} from "../../mod.ts";
import { ManualClock } from "./manual_clock.ts";

/** The time every story runs at: the manual clock never moves far from it. */
export const AT = "2026-01-01T00:00:00.000Z";

/** The one error the "prices" worker retries. */
export class Transient extends Error {}

/** A runtime "billing" on a manual clock at AT, observed by `observer`. */
export function observedRuntime(
  observer?: Observer,
): { clock: ManualClock; runtime: Runtime } {
  const clock = new ManualClock(Date.parse(AT));
  const runtime = new Runtime(
    observer
      ? { name: "billing", clock, observer }
      : { name: "billing", clock },
  );
  return { clock, runtime };
}

/** Registers "prices": one command slot, one retry of a Transient, `commands`. */
export function registerPrices(runtime: Runtime, commands: Command[]): void {
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commandConcurrency: 1,
    commandRetry: attempts(2, { retryIf: (e) => e instanceof Transient }),
    commands,
  });
}

/** Registers an idle worker "ingest"; the result gives its context once started. */
export function registerIngest(runtime: Runtime): () => WorkerContext {
  let ctx: WorkerContext | undefined;
  runtime.register({
    name: "ingest",
    worker: {
      start(c: WorkerContext) {
        ctx = c;
      },
      stop() {},
    },
  });
  return () => ctx!;
}

/** What a hand-driven check run ends with, beyond the check's identity. */
export type CheckRunEnd = Omit<
  CheckEndEvent,
  "runtime" | "worker" | "check" | "at"
>;

/** Drives one run of check "database" on "billing/health" per entry of `ends`. */
export function driveCheckRuns(observer: Observer, ends: CheckRunEnd[]): void {
  const base = {
    runtime: "billing",
    worker: "billing/health",
    check: "database",
    at: AT,
  };
  for (const end of ends) {
    const observation = observer.checkStart?.(base);
    observation?.end({ ...base, ...end });
  }
}

/** Every event type a `Runtime` dispatches. */
export const EVENT_TYPES: Array<keyof RuntimeEventMap> = [
  "transition",
  "readiness",
  "failure",
  "commandstart",
  "commandend",
  "checkstart",
  "checkend",
];

/** One observer call, named by the `EventTarget` type it matches. */
export interface Seen {
  type: string;
  detail: Record<string, unknown>;
}

/** An observer that records every call as the `EventTarget` type it matches. */
export function recordingObserver(seen: Seen[]): Observer {
  const push = (type: string) => (detail: object) =>
    void seen.push({ type, detail: detail as Record<string, unknown> });
  return {
    transition: push("transition"),
    readiness: push("readiness"),
    failure: push("failure"),
    commandStart(e) {
      push("commandstart")(e);
      return { end: push("commandend") };
    },
    checkStart(e) {
      push("checkstart")(e);
      return { end: push("checkend") };
    },
  };
}
