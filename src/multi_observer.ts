import type {
  CheckObservation,
  CheckStartEvent,
  CommandObservation,
  CommandStartEvent,
  FailureEvent,
  Observer,
  ReadinessEvent,
  TransitionEvent,
} from "./events.ts";
import type { Runtime } from "./runtime.ts";
import { ignoreRejection } from "./base/_promise.ts";
import { safeWrap } from "./runtime/_safe_wrap.ts";

/**
 * Fans events out to several observers. Calls go in the given order;
 * command and check `wrap`s nest in that order (the first observer's wrap is the
 * outermost) and `end`s run in reverse, like nested scopes. Every call is
 * isolated: an observer that throws is skipped and the others still run.
 *
 * @param observers The observers; `undefined` entries are ignored.
 * @returns One observer.
 *
 * @example Logs and metrics together
 * ```ts
 * import { multiObserver, Runtime, type Observer } from "@workerkit/core";
 *
 * const logs: Observer = { failure: (e) => console.error(e.code) };
 * const metrics: Observer = { commandStart: () => ({ end: () => {} }) };
 * const runtime = new Runtime({ name: "billing", observer: multiObserver(logs, metrics) });
 * console.log(runtime.name);
 * ```
 */
export function multiObserver(
  ...observers: Array<Observer | undefined>
): Observer {
  const list = observers.filter((o): o is Observer => o !== undefined);
  return {
    transition: (e: TransitionEvent) => each(list, "transition", e),
    readiness: (e: ReadinessEvent) => each(list, "readiness", e),
    failure: (e: FailureEvent) => each(list, "failure", e),
    commandStart: (e: CommandStartEvent): CommandObservation | void =>
      combine(starts(list, "commandStart", e) as CommandObservation[]),
    checkStart: (e: CheckStartEvent): CheckObservation | void =>
      combine(starts(list, "checkStart", e) as CheckObservation[]),
    attach: (runtime: Runtime) => each(list, "attach", runtime),
  };
}

type Simple = "transition" | "readiness" | "failure" | "attach";

function each<K extends Simple>(
  list: Observer[],
  key: K,
  e: Parameters<NonNullable<Observer[K]>>[0],
): void {
  for (const observer of list) {
    try {
      const method = observer[key] as ((e: unknown) => unknown) | undefined;
      if (typeof method === "function") {
        ignoreRejection(method.call(observer, e));
      }
    } catch {
      // One observer's failure must not silence the others.
    }
  }
}

function starts(
  list: Observer[],
  key: "commandStart" | "checkStart",
  e: unknown,
): Array<{ end(e: unknown): void }> {
  const found: Array<{ end(e: unknown): void }> = [];
  for (const observer of list) {
    try {
      const method = observer[key] as ((e: unknown) => unknown) | undefined;
      if (typeof method !== "function") continue;
      const observation = method.call(observer, e) as
        | { end?: unknown }
        | undefined;
      ignoreRejection(observation);
      if (observation && typeof observation.end === "function") {
        found.push(observation as { end(e: unknown): void });
      }
    } catch {
      // Skipped: this observer does not follow this run.
    }
  }
  return found;
}

/** A command or check observation. */
interface Observation<E> {
  end(e: E): void;
  wrap?<T>(fn: () => T): T;
}

function combine<E>(list: Observation<E>[]): Observation<E> | void {
  if (list.length === 0) return;
  const wrappers = list.filter((o) => typeof o.wrap === "function");
  const observation: Observation<E> = {
    end: (e: E) => endAll(list, e),
  };
  if (wrappers.length > 0) {
    observation.wrap = <T>(fn: () => T): T => nest(wrappers, 0, fn);
  }
  return observation;
}

/** Runs `fn` inside every wrap from `index` on, the first outermost. */
function nest<T>(
  wrappers: Observation<unknown>[],
  index: number,
  fn: () => T,
): T {
  const observation = wrappers[index];
  if (!observation) return fn();
  return safeWrap(
    observation.wrap,
    observation,
    () => nest(wrappers, index + 1, fn),
  );
}

function endAll<E>(list: Array<{ end(e: E): void }>, e: E): void {
  for (let i = list.length - 1; i >= 0; i--) {
    try {
      ignoreRejection(list[i]!.end(e));
    } catch {
      // Keep ending the rest.
    }
  }
}
