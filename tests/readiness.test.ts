import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime } from "../mod.ts";
import type { FailurePolicy, ReadinessPolicy, WorkerHandle } from "../mod.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, record, ScriptedWorker, until } from "./_support/workers.ts";

/** A runtime whose workers' handles the test keeps, to drive states directly. */
function harness(readinessPolicy: ReadinessPolicy = "contributing") {
  const runtime = new Runtime({ name: "svc", readinessPolicy });
  const handles = new Map<string, WorkerHandle>();
  const add = (
    name: string,
    options: { contributes?: boolean; policy?: FailurePolicy } = {},
  ) => {
    runtime.register({
      name,
      contributesToReadiness: options.contributes ?? true,
      failurePolicy: options.policy ?? "isolate",
      worker: {
        start(ctx) {
          handles.set(name, ctx.worker);
        },
        stop() {},
      },
    });
  };
  const fail = (name: string) =>
    handles.get(name)!.reportFailure(new Error("x"));
  const state = () => runtime.status().state;
  const ready = () => runtime.status().ready;
  return { runtime, handles, add, fail, state, ready };
}

test("a runtime with no workers is registered and not ready", () => {
  const { state, ready } = harness();
  assert.equal(state(), "registered");
  assert.equal(ready(), false);
});

test("aggregate state: all registered → registered; a mix of registered and stopped → stopped", async () => {
  const h = harness();
  h.add("a");
  h.add("b");
  assert.equal(h.state(), "registered");
  await h.runtime.start("a");
  await h.runtime.stop("a");
  assert.equal(h.state(), "stopped");
});

test("aggregate state: starting beats draining beats stopping beats running beats failed", async () => {
  const runtime = new Runtime({ name: "svc" });
  const slowStart = new ScriptedWorker();
  const slowStop = new ScriptedWorker();
  runtime.register({ name: "run", worker: new ScriptedWorker() });
  runtime.register({ name: "drn", worker: new ScriptedWorker() });
  runtime.register({ name: "stp", worker: slowStop });
  runtime.register({ name: "fld", worker: new ScriptedWorker() });
  runtime.register({ name: "str", worker: slowStart });
  const failing = new ScriptedWorker();
  failing.startGates.push(new Error("boom"));
  runtime.register({ name: "fld2", worker: failing });
  await runtime.start("run");
  await runtime.start("drn");
  await runtime.start("stp");
  await assert.rejects(runtime.start("fld2"));
  assert.equal(runtime.status().state, "running", "running beats failed");
  await runtime.drain("drn");
  assert.equal(runtime.status().state, "draining");
  const stopGate = deferred();
  slowStop.stopGates.push(stopGate);
  const stopping = runtime.stop("stp");
  await until(
    () => runtime.worker("stp")!.status.state === "stopping",
    "stopping",
  );
  assert.equal(runtime.status().state, "draining", "draining beats stopping");
  stopGate.resolve();
  await stopping;
  await runtime.stop("drn");
  await runtime.stop("run");
  assert.equal(
    runtime.status().state,
    "failed",
    "only a failed worker is left active",
  );
  const startGate = deferred();
  slowStart.startGates.push(startGate);
  const starting = runtime.start("str");
  await until(
    () => runtime.worker("str")!.status.state === "starting",
    "starting",
  );
  assert.equal(
    runtime.status().state,
    "starting",
    "starting beats everything but fail-runtime",
  );
  startGate.resolve();
  await starting;
  await runtime.shutdown();
});

test("aggregate state: a failed fail-runtime worker makes the runtime failed and closes admission", async () => {
  const h = harness();
  h.add("a");
  h.add("critical", { policy: "fail-runtime" });
  await h.runtime.startAll();
  assert.equal(h.state(), "running");
  h.fail("critical");
  assert.equal(h.state(), "failed");
  assert.equal(h.ready(), false);
  await h.runtime.stop("critical");
  assert.equal(
    h.state(),
    "running",
    "a stopped worker no longer fails the runtime",
  );
  await h.runtime.shutdown();
});

test("contributing policy: every contributing worker must be running and ready", async () => {
  const h = harness();
  h.add("a");
  h.add("b");
  h.add("side", { contributes: false });
  await h.runtime.start("a");
  assert.equal(h.ready(), false, "b has not started");
  await h.runtime.start("b");
  assert.equal(h.ready(), true, "the non-contributing worker does not matter");
  h.handles.get("a")!.setReady(false);
  assert.equal(h.ready(), false);
  h.handles.get("a")!.setReady(true);
  assert.equal(h.ready(), true);
  await h.runtime.start("side");
  h.handles.get("side")!.setReady(false);
  assert.equal(h.ready(), true);
  h.fail("side");
  assert.equal(
    h.ready(),
    true,
    "an isolated non-contributing failure does not matter",
  );
  await h.runtime.drain("b");
  assert.equal(h.ready(), false);
  await h.runtime.shutdown();
});

test("contributing policy with no contributing worker: ready iff some worker runs and none is in transition", async () => {
  const runtime = new Runtime({ name: "svc" });
  const b = new ScriptedWorker();
  runtime.register({
    name: "a",
    contributesToReadiness: false,
    worker: new ScriptedWorker(),
  });
  runtime.register({ name: "b", contributesToReadiness: false, worker: b });
  assert.equal(runtime.status().ready, false);
  await runtime.start("a");
  assert.equal(runtime.status().ready, true);
  const gate = deferred();
  b.startGates.push(gate);
  const starting = runtime.start("b");
  await until(
    () => runtime.worker("b")!.status.state === "starting",
    "starting",
  );
  assert.equal(runtime.status().ready, false, "a worker is starting");
  gate.resolve();
  await starting;
  assert.equal(runtime.status().ready, true);
  await runtime.drain("b");
  assert.equal(runtime.status().ready, false, "a worker is draining");
  await runtime.shutdown();
});

test("all policy: there are workers and every one is running and ready", async () => {
  const h = harness("all");
  assert.equal(h.ready(), false);
  h.add("a");
  h.add("side", { contributes: false });
  await h.runtime.start("a");
  assert.equal(h.ready(), false, "side counts under all");
  await h.runtime.start("side");
  assert.equal(h.ready(), true);
  h.handles.get("side")!.setReady(false);
  assert.equal(h.ready(), false);
  await h.runtime.shutdown();
});

test("mark-runtime-unready: readiness is false while the worker is failed, whatever it contributes", async () => {
  for (const policy of ["contributing", "all"] as const) {
    const h = harness(policy);
    h.add("a");
    h.add("side", { contributes: false, policy: "mark-runtime-unready" });
    await h.runtime.startAll();
    assert.equal(h.ready(), true);
    h.fail("side");
    assert.equal(h.ready(), false, policy);
    assert.equal(h.state(), "running", "the state is not failed");
    await h.runtime.stop("side");
    assert.equal(h.ready(), policy === "contributing", "stopped is not failed");
    await h.runtime.shutdown();
  }
});

test("isolate: only the worker fails; admission of other workers stays open", async () => {
  const runtime = new Runtime({ name: "svc" });
  let handle: WorkerHandle | undefined;
  runtime.register({
    name: "a",
    contributesToReadiness: false,
    worker: { start: (ctx) => void (handle = ctx.worker), stop() {} },
  });
  runtime.register({
    name: "b",
    worker: { start() {}, stop() {} },
    commands: [{ name: "ping", handler: () => ({ message: "pong" }) }],
  });
  await runtime.startAll();
  handle!.reportFailure(new Error("x"));
  assert.equal(runtime.status().ready, true);
  assert.equal(runtime.status().state, "running");
  assert.equal(
    (await runtime.dispatch({ worker: "b", name: "ping" })).message,
    "pong",
  );
  await runtime.shutdown();
});

test("readiness and transition events fire once per change, for workers and the runtime", async () => {
  const h = harness();
  h.add("a");
  const events = record(h.runtime, ["readiness"]);
  await h.runtime.start("a");
  h.handles.get("a")!.setReady(true); // no change, no event
  h.handles.get("a")!.setReady(false);
  h.handles.get("a")!.setReady(false);
  h.handles.get("a")!.setReady(true);
  assert.deepEqual(
    events.map((e) => `${e.detail.worker ?? "runtime"}=${e.detail.ready}`),
    [
      "svc/a=true",
      "runtime=true",
      "svc/a=false",
      "runtime=false",
      "svc/a=true",
      "runtime=true",
    ],
  );
  await h.runtime.shutdown();
});

test("setReady and setAcceptingWork are ignored outside starting and running", async () => {
  const h = harness();
  h.add("a");
  await h.runtime.start("a");
  await h.runtime.drain("a");
  h.handles.get("a")!.setReady(true);
  h.handles.get("a")!.setAcceptingWork(true);
  const status = h.runtime.worker("a")!.status;
  assert.equal(status.ready, false);
  assert.equal(status.acceptingWork, false);
  assert.throws(() => h.handles.get("a")!.setReady("yes" as never), /boolean/);
  await h.runtime.shutdown();
});

test("readiness costs O(1): ten thousand workers register, start and shut down", async () => {
  const runtime = new Runtime({ name: "big" });
  let last: WorkerHandle | undefined;
  for (let i = 0; i < 10_000; i++) {
    runtime.register({
      name: `w${i}`,
      worker: { start: (ctx) => void (last = ctx.worker), stop() {} },
    });
  }
  await runtime.startAll();
  assert.equal(runtime.status().ready, true);
  last!.setReady(false);
  assert.equal(runtime.status().ready, false);
  last!.setReady(true);
  assert.equal(runtime.status().ready, true);
  await runtime.shutdown();
  assert.equal(runtime.status().state, "stopped");
});

test("no unhandled rejections", assertNoUnhandled);
