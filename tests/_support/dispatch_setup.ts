// Shared arrange code for the dispatch tests: one running worker that owns
// the commands under test, handlers the test settles by hand, and assertions
// on WorkerkitError refusals.
import assert from "node:assert/strict";
import { WorkerkitError } from "../../mod.ts";
import type {
  Command,
  CommandContext,
  CommandRequest,
  CommandResult,
  Runtime,
  RuntimeOptions,
  WorkerDefaults,
  WorkerHandle,
} from "../../mod.ts";
import { setup } from "./runtime_setup.ts";
import { type Deferred, deferred, ScriptedWorker } from "./workers.ts";

/** The rejection reason of `promise`; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return assert.fail("expected the promise to reject");
}

/** Asserts that `promise` rejects with a WorkerkitError of `expected` code. */
export async function refused(
  promise: Promise<unknown>,
  expected: string,
): Promise<WorkerkitError> {
  const error = await rejection(promise);
  assert.ok(
    error instanceof WorkerkitError,
    `expected a WorkerkitError ${expected}, got ${String(error)}`,
  );
  assert.equal(error.code, expected);
  return error;
}

/** One call to a held handler, with the deferred that settles it. */
export interface Call {
  request: CommandRequest;
  ctx: CommandContext;
  done: Deferred<CommandResult | void>;
}

/** A handler whose every call waits until the test settles it. */
export function held(): { calls: Call[]; handler: Command["handler"] } {
  const calls: Call[] = [];
  return {
    calls,
    handler: (request, ctx) => {
      const done = deferred<CommandResult | void>();
      calls.push({ request, ctx, done });
      return done.promise;
    },
  };
}

/** A runtime with one running worker "ingest" that owns `commands`. */
export async function running(
  commands: Command[],
  settings: WorkerDefaults = {},
  options: Partial<Omit<RuntimeOptions, "name">> = {},
) {
  const { clock, runtime } = setup(options);
  const worker = new ScriptedWorker();
  runtime.register({ name: "ingest", worker, commands, ...settings });
  await runtime.start("ingest");
  const handle: WorkerHandle = worker.contexts[0]!.worker;
  return { clock, runtime, worker, handle };
}

/** The in-flight counts of one worker and of the whole runtime. */
export function inFlight(runtime: Runtime, worker = "ingest") {
  return {
    worker: runtime.worker(worker)!.status.inFlight,
    runtime: runtime.status().inFlight,
  };
}
