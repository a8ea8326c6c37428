// Small, honest test doubles: real Worker objects whose start and stop are
// controlled by the test, and a recorder of the runtime's events.
import type {
  Runtime,
  RuntimeEventMap,
  Worker,
  WorkerContext,
} from "../../mod.ts";

/** A promise with its resolvers exposed. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A worker that records its calls and whose steps the test may hold open. */
export class ScriptedWorker implements Worker {
  readonly calls: string[] = [];
  readonly contexts: WorkerContext[] = [];
  /** When set, start waits on it (a queue: one per call). */
  startGates: Array<Deferred<void> | Error | "hang"> = [];
  stopGates: Array<Deferred<void> | Error | "hang"> = [];
  readonly #label: string;
  readonly #log: string[] | undefined;

  constructor(label = "w", log?: string[]) {
    this.#label = label;
    this.#log = log;
  }

  start(ctx: WorkerContext): Promise<void> {
    this.calls.push("start");
    this.#log?.push(`${this.#label}:start`);
    this.contexts.push(ctx);
    return run(this.startGates.shift());
  }

  stop(ctx: WorkerContext): Promise<void> {
    this.calls.push("stop");
    this.#log?.push(`${this.#label}:stop`);
    this.contexts.push(ctx);
    return run(this.stopGates.shift());
  }
}

function run(gate: Deferred<void> | Error | "hang" | undefined): Promise<void> {
  if (gate === undefined) return Promise.resolve();
  if (gate === "hang") return new Promise(() => {});
  if (gate instanceof Error) return Promise.reject(gate);
  return gate.promise;
}

/** Records every event the runtime dispatches, as `type` + detail. */
export function record(
  runtime: Runtime,
  types: Array<keyof RuntimeEventMap> = [
    "transition",
    "readiness",
    "failure",
    "commandstart",
    "commandend",
  ],
): Array<{ type: string; detail: Record<string, unknown> }> {
  const seen: Array<{ type: string; detail: Record<string, unknown> }> = [];
  for (const type of types) {
    runtime.addEventListener(type, (event) => {
      seen.push({
        type,
        detail: (event as unknown as { detail: Record<string, unknown> })
          .detail,
      });
    });
  }
  return seen;
}

/** Waits until `predicate` holds, checking after each macrotask (bounded). */
export async function until(
  predicate: () => boolean,
  what = "condition",
  turns = 2_000,
): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`timed out waiting for ${what}`);
}
