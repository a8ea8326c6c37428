// Dispatcher: admission in its documented order, in-flight slots and idle
// waits, dispatch ids, and command failure records.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { WorkerRegistration } from "../../mod.ts";
import { code } from "../_support/runtime_setup.ts";
import { idle, parts } from "../_support/parts.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";
import { deferred } from "../_support/workers.ts";

async function withWorker(
  registration: Partial<WorkerRegistration> = {},
  options: Parameters<typeof parts>[0] = {},
) {
  const p = parts(options);
  const hold = deferred<void>();
  const w = p.table.add({
    name: "w",
    worker: idle,
    commands: [
      { name: "ok", handler: () => ({ message: "done" }) },
      { name: "hold", handler: () => hold.promise.then(() => ({})) },
      {
        name: "boom",
        handler: () => {
          throw new Error("secret");
        },
      },
    ],
    ...registration,
  });
  p.reporter.count(w, 1);
  await p.lifecycle.run(
    undefined,
    (preempt) => p.lifecycle.start(w, undefined, preempt),
  );
  return { ...p, w, hold };
}

test("dispatch() runs an admitted command and gives the slot back", async () => {
  const { dispatcher, w } = await withWorker();
  const result = await dispatcher.dispatch(
    { worker: "w", name: "ok" },
    undefined,
  );
  assert.equal(result.message, "done");
  assert.equal(dispatcher.inFlight, 0);
  assert.equal(w.inFlight, 0);
});

test("lookup refusals come first: request, names, worker, command", async () => {
  const { dispatcher } = await withWorker();
  const refusal = (request: unknown) =>
    dispatcher.dispatch(request as never, undefined).then(
      () => "admitted",
      (e) => code(e),
    );
  assert.equal(await refusal(null), "invalid_argument");
  assert.equal(await refusal({ worker: "W", name: "ok" }), "invalid_name");
  assert.equal(await refusal({ worker: "x", name: "ok" }), "worker_not_found");
  assert.equal(await refusal({ worker: "w", name: "x" }), "command_not_found");
});

test("admission order: closed runtime, worker state, accepting, runtime cap, worker cap", async () => {
  const { dispatcher, reporter, w, hold } = await withWorker(
    { commandConcurrency: 2 },
    { commandConcurrency: 1 },
  );
  const request = { worker: "w", name: "hold" };
  const refusal = () =>
    dispatcher.dispatch(request, undefined).then(() => "ok", (e) => code(e));
  const held = dispatcher.dispatch(request, undefined);
  assert.equal(await refusal(), "runtime_saturated");
  reporter.setAccepting(w, false);
  assert.equal(await refusal(), "worker_not_accepting_work");
  dispatcher.close();
  assert.equal(await refusal(), "runtime_not_accepting_work");
  dispatcher.open();
  reporter.setAccepting(w, true);
  hold.resolve();
  await held;
  assert.equal(dispatcher.inFlight, 0);
});

test("waitIdle() resolves when the worker's and the runtime's slots are free", async () => {
  const { dispatcher, w, hold } = await withWorker();
  const held = dispatcher.dispatch({ worker: "w", name: "hold" }, undefined);
  const order: string[] = [];
  const worker = dispatcher.waitIdle(w, undefined).then(() => order.push("w"));
  const all = dispatcher.waitIdle(undefined, undefined).then(() =>
    order.push("all")
  );
  assert.equal(dispatcher.inFlight, 1);
  hold.resolve();
  await Promise.all([held, worker, all]);
  assert.deepEqual(order, ["w", "all"]);
});

test("dispatch ids share one prefix per runtime and never repeat", () => {
  const { dispatcher } = parts();
  const a = dispatcher.nextDispatchId();
  const b = dispatcher.nextDispatchId();
  assert.notEqual(a, b);
  assert.equal(a.split("-")[0], b.split("-")[0]);
});

test("a failed command is recorded with its public projection only", async () => {
  const { dispatcher, w, seen } = await withWorker();
  await assert.rejects(
    dispatcher.dispatch({ worker: "w", name: "boom" }, undefined),
  );
  assert.equal(w.lastCommandFailure?.code, "command_failed");
  assert.equal(w.lastCommandFailure?.command, "boom");
  const failure = seen.find(([type]) => type === "failure")?.[1] as {
    kind: string;
    message: string;
  };
  assert.equal(failure.kind, "command");
  assert.equal(failure.message, "command failed");
});

test("no unhandled rejections", assertNoUnhandled);
