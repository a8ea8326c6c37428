// Shutdown: its phases in order, the deadline naming the phase it hit,
// the forced stop, and a second caller.
import { test } from "node:test";
import assert from "node:assert/strict";
import { code } from "../_support/runtime_setup.ts";
import { startedParts } from "../_support/parts.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";
import { deferred, until } from "../_support/workers.ts";

test("shutdown drains, waits for in-flight commands, then stops", async () => {
  const hold = deferred<void>();
  const order: string[] = [];
  const { shutdown, dispatcher, w } = await startedParts({
    worker: {
      start() {},
      stop: () => void order.push("stop"),
    },
    commands: [{ name: "hold", handler: () => hold.promise.then(() => ({})) }],
  });
  const held = dispatcher.dispatch({ worker: "w", name: "hold" }, undefined)
    .then(() => order.push("command done"));
  const done = shutdown.run(undefined);
  await until(() => w.state === "draining", "the drain phase");
  assert.equal(dispatcher.inFlight, 1);
  hold.resolve();
  await done;
  await held;
  assert.deepEqual(order, ["command done", "stop"]);
  assert.equal(w.state, "stopped");
});

test("shutdown closes the gate and admission for good", async () => {
  const { shutdown, lifecycle, dispatcher, reporter } = await startedParts({
    commands: [{ name: "ok", handler: () => ({}) }],
  });
  await shutdown.run(undefined);
  assert.equal(reporter.shuttingDown, true);
  await assert.rejects(
    lifecycle.run(undefined, () => Promise.resolve()),
    (e) => code(e) === "runtime_shut_down",
  );
  await assert.rejects(
    dispatcher.dispatch({ worker: "w", name: "ok" }, undefined),
    (e) => code(e) === "runtime_not_accepting_work",
  );
});

test("a deadline names the phase and forces the stop", async () => {
  const stops: boolean[] = [];
  const hold = deferred<void>();
  const { shutdown, dispatcher, w } = await startedParts({
    worker: { start() {}, stop: (ctx) => void stops.push(ctx.signal.aborted) },
    commands: [{ name: "hold", handler: () => hold.promise.then(() => ({})) }],
  });
  const held = dispatcher.dispatch({ worker: "w", name: "hold" }, undefined);
  const deadline = new AbortController();
  const done = shutdown.run(deadline.signal);
  await until(() => w.state === "draining", "the idle phase");
  deadline.abort();
  await assert.rejects(
    done,
    (e) => code(e) === "deadline_exceeded" && /idle phase/.test(String(e)),
  );
  assert.deepEqual(stops, [true]);
  hold.resolve();
  await held;
});

test("a second caller waits for the same shutdown under its own signal", async () => {
  const { shutdown } = await startedParts();
  const first = shutdown.run(undefined);
  await shutdown.run(AbortSignal.timeout(5_000));
  await first;
  const late = new AbortController();
  late.abort();
  await assert.rejects(
    shutdown.run(late.signal),
    (e) => code(e) === "deadline_exceeded",
  );
});

test("no unhandled rejections", assertNoUnhandled);
