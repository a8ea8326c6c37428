import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime, WorkerkitError } from "../mod.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, record, ScriptedWorker, until } from "./_support/workers.ts";

function code(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

test("shutdown() drains, waits for in-flight commands, then stops in reverse order", async () => {
  const runtime = new Runtime({ name: "billing" });
  const log: string[] = [];
  const a = new ScriptedWorker("a", log);
  const b = new ScriptedWorker("b", log);
  const release = deferred();
  runtime.register({ name: "a", worker: a });
  runtime.register({
    name: "b",
    worker: b,
    commands: [{
      name: "slow",
      handler: async () => {
        log.push("command running");
        await release.promise;
        log.push("command done");
        return { message: "ok" };
      },
    }],
  });
  await runtime.startAll();
  const result = runtime.dispatch({ worker: "b", name: "slow" });
  await until(() => log.includes("command running"), "command running");
  const shutdown = runtime.shutdown();
  await until(() => runtime.worker("b")!.status.state === "draining", "drain");
  assert.equal(runtime.worker("a")!.status.state, "draining");
  assert.equal(runtime.status().ready, false);
  assert.deepEqual(
    log,
    ["a:start", "b:start", "command running"],
    "no stop before idle",
  );
  await assert.rejects(
    runtime.dispatch({ worker: "a", name: "slow" }),
    (e) => code(e) === "command_not_found",
  );
  release.resolve();
  await shutdown;
  assert.deepEqual((await result).message, "ok");
  assert.deepEqual(log.slice(3), ["command done", "b:stop", "a:stop"]);
  assert.equal(runtime.status().state, "stopped");
});

test("shutdown() closes admission at once: dispatch is refused during and after it", async () => {
  const runtime = new Runtime({ name: "billing" });
  runtime.register({
    name: "a",
    worker: new ScriptedWorker(),
    commands: [{ name: "c", handler: () => ({}) }],
  });
  await runtime.startAll();
  const shutdown = runtime.shutdown();
  await assert.rejects(
    runtime.dispatch({ worker: "a", name: "c" }),
    (e) => code(e) === "runtime_not_accepting_work",
  );
  await shutdown;
  await assert.rejects(
    runtime.dispatch({ worker: "a", name: "c" }),
    (e) => code(e) === "runtime_not_accepting_work",
  );
});

test("shutdown() preempts the running operation and rejects queued ones", async () => {
  const runtime = new Runtime({ name: "billing" });
  const a = new ScriptedWorker();
  a.startGates.push("hang");
  runtime.register({ name: "a", worker: a });
  runtime.register({ name: "b", worker: new ScriptedWorker() });
  const starting = runtime.start("a").catch((e) => e);
  const queued = runtime.start("b").catch((e) => e);
  await until(() => a.calls.length === 1, "a starting");
  const shutdown = runtime.shutdown();
  const startError = await starting;
  // Preempted, it rejects like the queued call (issue 12 item 7).
  assert.equal(code(startError), "runtime_shut_down");
  assert.equal(a.contexts[0]!.signal.aborted, true);
  assert.equal(code(await queued), "runtime_shut_down");
  await shutdown;
  await assert.rejects(
    runtime.start("b"),
    (e) => code(e) === "runtime_shut_down",
  );
  await assert.rejects(
    runtime.stopAll(),
    (e) => code(e) === "runtime_shut_down",
  );
  assert.equal(runtime.worker("b")!.status.state, "registered");
});

test("a worker whose start never settles does not hold shutdown past its signal", async () => {
  const runtime = new Runtime({ name: "billing" });
  const stuck = new ScriptedWorker();
  stuck.startGates.push("hang");
  stuck.stopGates.push("hang");
  runtime.register({ name: "stuck", worker: stuck });
  const starting = runtime.start("stuck").catch((e) => e);
  await until(() => stuck.calls.length === 1, "starting");
  const controller = new AbortController();
  const shutdown = runtime.shutdown({ signal: controller.signal }).catch((e) =>
    e
  );
  await starting;
  await until(() => stuck.calls.length === 2, "stop called");
  controller.abort();
  const error = await shutdown;
  assert.equal(code(error), "deadline_exceeded");
  assert.match(error.message, /stop phase/);
});

test("when the signal fires, shutdown calls stop on every worker with an aborted signal and rejects", async () => {
  const runtime = new Runtime({ name: "billing" });
  const a = new ScriptedWorker();
  const b = new ScriptedWorker();
  const cleanup = deferred();
  b.stopGates.push(cleanup);
  runtime.register({
    name: "a",
    worker: a,
    commands: [{ name: "forever", handler: () => new Promise(() => {}) }],
  });
  runtime.register({ name: "b", worker: b });
  await runtime.startAll();
  void runtime.dispatch({ worker: "a", name: "forever" }).catch(() => {});
  const controller = new AbortController();
  const shutdown = runtime.shutdown({ signal: controller.signal }).catch((e) =>
    e
  );
  await until(() => runtime.status().state === "draining", "draining");
  controller.abort();
  const error = await shutdown;
  assert.equal(code(error), "deadline_exceeded");
  assert.match(error.message, /idle phase/);
  assert.deepEqual(a.calls, ["start", "stop"]);
  assert.deepEqual(b.calls, ["start", "stop"]);
  assert.equal(
    a.contexts[1]!.signal.aborted,
    true,
    "stop got an aborted signal",
  );
  assert.equal(b.contexts[1]!.signal.aborted, true);
  assert.equal(
    runtime.worker("b")!.status.state,
    "stopping",
    "tracked until it settles",
  );
  cleanup.resolve();
  await until(
    () => runtime.worker("b")!.status.state === "stopped",
    "b stopped",
  );
  assert.equal(runtime.worker("a")!.status.state, "stopped");
});

test("shutdown() with an already-aborted signal rejects at once and still starts cleanup", async () => {
  const runtime = new Runtime({ name: "billing" });
  const a = new ScriptedWorker();
  runtime.register({ name: "a", worker: a });
  await runtime.startAll();
  const error = await runtime.shutdown({ signal: AbortSignal.abort() }).catch((
    e,
  ) => e);
  assert.equal(code(error), "deadline_exceeded");
  await until(() => runtime.worker("a")!.status.state === "stopped", "stopped");
  assert.deepEqual(a.calls, ["start", "stop"]);
});

test("shutdown() called twice shares one shutdown", async () => {
  const runtime = new Runtime({ name: "billing" });
  const a = new ScriptedWorker();
  runtime.register({ name: "a", worker: a });
  await runtime.startAll();
  await Promise.all([runtime.shutdown(), runtime.shutdown()]);
  await runtime.shutdown();
  assert.deepEqual(a.calls, ["start", "stop"]);
});

test("shutdown() reports stop failures as an AggregateError after stopping the rest", async () => {
  const runtime = new Runtime({ name: "billing" });
  const a = new ScriptedWorker();
  const b = new ScriptedWorker();
  const boom = new Error("b stop");
  b.stopGates.push(boom);
  runtime.register({ name: "a", worker: a });
  runtime.register({ name: "b", worker: b });
  await runtime.startAll();
  const error = await runtime.shutdown().catch((e) => e);
  assert.ok(error instanceof AggregateError);
  assert.deepEqual(error.errors, [boom]);
  assert.deepEqual(a.calls, ["start", "stop"]);
});

test("shutdown emits the runtime's transitions and ends unready", async () => {
  const runtime = new Runtime({ name: "billing" });
  runtime.register({ name: "a", worker: new ScriptedWorker() });
  await runtime.startAll();
  const events = record(runtime, ["transition", "readiness"]);
  await runtime.shutdown();
  const runtimeEvents = events.filter((e) => e.detail.worker === undefined)
    .map((e) =>
      e.type === "readiness"
        ? `ready=${e.detail.ready}`
        : `${e.detail.from}>${e.detail.to}`
    );
  assert.deepEqual(runtimeEvents, [
    "ready=false",
    "running>draining",
    "draining>stopping",
    "stopping>stopped",
  ]);
});

test("a stop cut short by the shutdown deadline is not called twice", async () => {
  const runtime = new Runtime({ name: "billing" });
  const a = new ScriptedWorker();
  const cleanup = deferred();
  a.stopGates.push(cleanup);
  runtime.register({ name: "a", worker: a });
  await runtime.startAll();
  const controller = new AbortController();
  const shutdown = runtime.shutdown({ signal: controller.signal }).catch((e) =>
    e
  );
  await until(() => a.calls.length === 2, "stop called");
  controller.abort();
  assert.equal(code(await shutdown), "deadline_exceeded");
  assert.deepEqual(a.calls, ["start", "stop"], "one stop only");
  assert.equal(a.contexts[1]!.signal.aborted, true);
  assert.equal(runtime.worker("a")!.status.state, "stopping");
  cleanup.resolve();
  await until(() => runtime.worker("a")!.status.state === "stopped", "stopped");
});

test("no unhandled rejections", assertNoUnhandled);
