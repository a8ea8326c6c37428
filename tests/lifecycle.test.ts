import { test } from "node:test";
import assert from "node:assert/strict";
import { attempts, constant } from "../mod.ts";
import type { WorkerContext } from "../mod.ts";
import { code, setup } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, record, ScriptedWorker, until } from "./_support/workers.ts";

test("start() moves registered → starting → running with ready and accepting defaults", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  const gate = deferred();
  worker.startGates.push(gate);
  runtime.register({ name: "ingest", worker });
  const events = record(runtime, ["transition"]);
  const starting = runtime.start("ingest");
  await until(() => worker.calls.length === 1, "start called");
  assert.equal(runtime.worker("ingest")?.status.state, "starting");
  assert.equal(runtime.status().state, "starting");
  gate.resolve();
  await starting;
  const status = runtime.worker("ingest")!.status;
  assert.equal(status.state, "running");
  assert.equal(status.ready, true);
  assert.equal(status.acceptingWork, true);
  assert.deepEqual(
    events.filter((e) => e.detail.worker).map((e) =>
      `${e.detail.from}>${e.detail.to}`
    ),
    ["registered>starting", "starting>running"],
  );
  assert.equal(runtime.status().ready, true);
  await runtime.shutdown();
});

test("readyOnStart and acceptingWorkOnStart false leave the worker unready and closed", async () => {
  const { runtime } = setup({
    defaults: { readyOnStart: false, acceptingWorkOnStart: false },
  });
  runtime.register({ name: "a", worker: new ScriptedWorker() });
  await runtime.start("a");
  const status = runtime.worker("a")!.status;
  assert.equal(status.ready, false);
  assert.equal(status.acceptingWork, false);
  assert.equal(runtime.status().ready, false);
  await runtime.shutdown();
});

test("handle calls during start win over the start defaults", async () => {
  const { runtime } = setup();
  runtime.register({
    name: "a",
    readyOnStart: true,
    worker: {
      start(ctx: WorkerContext) {
        ctx.worker.setReady(false);
        ctx.worker.setAcceptingWork(false);
      },
      stop() {},
    },
  });
  runtime.register({
    name: "b",
    readyOnStart: false,
    worker: {
      start(ctx: WorkerContext) {
        ctx.worker.setReady(true);
      },
      stop() {},
    },
  });
  await runtime.startAll();
  assert.equal(runtime.worker("a")!.status.ready, false);
  assert.equal(runtime.worker("a")!.status.acceptingWork, false);
  assert.equal(runtime.worker("b")!.status.ready, true);
  await runtime.shutdown();
});

test("start() is refused unless the worker is registered, stopped or failed", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  runtime.register({ name: "a", worker });
  await runtime.start("a");
  await assert.rejects(
    runtime.start("a"),
    (e) => code(e) === "invalid_worker_state",
  );
  await runtime.drain("a");
  await assert.rejects(
    runtime.start("a"),
    (e) => code(e) === "invalid_worker_state",
  );
  await runtime.stop("a");
  await runtime.start("a");
  assert.deepEqual(worker.calls, ["start", "stop", "start"]);
  await runtime.shutdown();
});

test("a failing start ends failed with the original error and lastFailure", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  const boom = new Error("db password=hunter2 refused");
  worker.startGates.push(boom);
  runtime.register({ name: "a", worker });
  const failures = record(runtime, ["failure"]);
  await assert.rejects(runtime.start("a"), (e) => e === boom);
  const status = runtime.worker("a")!.status;
  assert.equal(status.state, "failed");
  assert.equal(status.ready, false);
  assert.equal(status.lastFailure?.code, "worker_failed");
  assert.equal(status.lastFailure?.message, "worker operation failed");
  assert.doesNotMatch(JSON.stringify(status), /hunter2/);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.detail.kind, "lifecycle");
  assert.equal(failures[0]!.detail.cause, boom);
  // failed → start again works and clears lastFailure on success
  await runtime.start("a");
  assert.equal(runtime.worker("a")!.status.state, "running");
  assert.equal(runtime.worker("a")!.status.lastFailure, undefined);
  await runtime.shutdown();
});

test("start retries failed attempts per startRetry, waiting the backoff on the clock", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  worker.startGates.push(new Error("one"), new Error("two"));
  runtime.register({
    name: "a",
    worker,
    startRetry: attempts(3, { backoff: constant(1_000) }),
  });
  const started = runtime.start("a");
  await until(() => worker.calls.length === 1, "first attempt");
  await clock.advance(999);
  assert.equal(worker.calls.length, 1, "waits the whole backoff");
  await clock.advance(1);
  await until(() => worker.calls.length === 2, "second attempt");
  await clock.advance(1_000);
  await started;
  assert.equal(worker.calls.length, 3);
  assert.equal(runtime.worker("a")!.status.state, "running");
  // each attempt is its own generation: the first attempts' handles are stale
  const [first, second, third] = worker.contexts;
  assert.throws(
    () => first!.worker.setReady(true),
    (e) => code(e) === "invalid_worker_state",
  );
  assert.throws(
    () => second!.worker.status(),
    (e) => code(e) === "invalid_worker_state",
  );
  assert.equal(third!.worker.status().state, "running");
  await runtime.shutdown();
});

test("start gives up after the last attempt and rethrows its error", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  const last = new Error("three");
  worker.startGates.push(new Error("one"), new Error("two"), last);
  runtime.register({
    name: "a",
    worker,
    startRetry: attempts(3, { backoff: constant(10) }),
  });
  const failures = record(runtime, ["failure"]);
  const started = runtime.start("a").then(() => "resolved", (e) => e);
  await clock.advance(100);
  assert.equal(await started, last);
  assert.deepEqual(failures.map((f) => f.detail.attempt), [1, 2, 3]);
  assert.equal(runtime.worker("a")!.status.state, "failed");
});

test("each start attempt has its own deadline, even when the worker ignores its signal", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  worker.startGates.push("hang");
  runtime.register({ name: "a", worker, startTimeout: 5_000 });
  const started = runtime.start("a").then(() => undefined, (e) => e);
  await until(() => worker.calls.length === 1, "start called");
  const signal = worker.contexts[0]!.signal;
  await clock.advance(4_999);
  assert.equal(signal.aborted, false);
  await clock.advance(1);
  const error = await started;
  assert.equal(code(error), "deadline_exceeded");
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason.name, "TimeoutError");
  const status = runtime.worker("a")!.status;
  assert.equal(status.state, "failed");
  assert.equal(status.lastFailure?.code, "deadline_exceeded");
});

test("a later start waits for the abandoned attempt so generations never overlap", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  const slow = deferred();
  worker.startGates.push(slow);
  runtime.register({ name: "a", worker, startTimeout: 1_000 });
  const first = runtime.start("a").catch((e) => e);
  await until(() => worker.calls.length === 1, "first start");
  await clock.advance(1_000);
  assert.equal(code(await first), "deadline_exceeded");
  const second = runtime.start("a");
  await clock.advance(10);
  assert.equal(
    worker.calls.length,
    1,
    "no second start while the first is pending",
  );
  slow.resolve();
  await until(
    () => worker.calls.length === 2,
    "second start after the first settled",
  );
  await second;
  assert.equal(runtime.worker("a")!.status.state, "running");
  await runtime.shutdown();
});

test("waiting for an abandoned attempt is bounded by the new call's deadline", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  worker.startGates.push("hang");
  runtime.register({ name: "a", worker, startTimeout: 1_000 });
  const first = runtime.start("a").catch((e) => e);
  await until(() => worker.calls.length === 1, "first start");
  await clock.advance(1_000);
  await first;
  const second = runtime.start("a").catch((e) => e);
  await clock.advance(1_000);
  assert.equal(code(await second), "deadline_exceeded");
  assert.equal(
    worker.calls.length,
    1,
    "start never ran over the abandoned one",
  );
});

test("the attempt signal never aborts after the attempt settles", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  runtime.register({ name: "a", worker, startTimeout: 100, stopTimeout: 100 });
  await runtime.start("a");
  assert.equal(clock.pending, 0, "the attempt timer is cleared");
  await clock.advance(1_000);
  assert.equal(worker.contexts[0]!.signal.aborted, false);
  await runtime.stop("a");
  await clock.advance(1_000);
  assert.equal(worker.contexts[1]!.signal.aborted, false);
});

test("the caller's signal cancels start and the caller gets its reason", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  worker.startGates.push("hang");
  runtime.register({ name: "a", worker });
  const controller = new AbortController();
  const started = runtime.start("a", { signal: controller.signal }).catch((e) =>
    e
  );
  await until(() => worker.calls.length === 1, "start called");
  const reason = new Error("caller gave up");
  controller.abort(reason);
  assert.equal(await started, reason);
  assert.equal(worker.contexts[0]!.signal.reason, reason);
  assert.equal(runtime.worker("a")!.status.state, "failed");
});

test("reportFailure during start keeps starting, then start resolves and the worker ends failed", async () => {
  const { runtime } = setup();
  const gate = deferred();
  let ctx: WorkerContext | undefined;
  runtime.register({
    name: "a",
    worker: {
      start(c: WorkerContext) {
        ctx = c;
        return gate.promise;
      },
      stop() {},
    },
  });
  const started = runtime.start("a");
  await until(() => ctx !== undefined, "start called");
  ctx!.worker.reportFailure(new Error("broker lost"));
  assert.equal(runtime.worker("a")!.status.state, "starting");
  assert.equal(runtime.worker("a")!.status.lastFailure?.code, "worker_failed");
  gate.resolve();
  await started;
  assert.equal(runtime.worker("a")!.status.state, "failed");
  assert.equal(runtime.worker("a")!.status.lastFailure?.code, "worker_failed");
});

test("reportFailure on a running worker fails it and records the public failure", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  runtime.register({ name: "a", worker });
  await runtime.start("a");
  const failures = record(runtime, ["failure"]);
  worker.contexts[0]!.worker.reportFailure("not an error");
  const status = runtime.worker("a")!.status;
  assert.equal(status.state, "failed");
  assert.equal(status.ready, false);
  assert.equal(status.lastFailure?.code, "panic");
  assert.equal(failures[0]!.detail.kind, "background");
  await runtime.stop("a");
  assert.equal(runtime.worker("a")!.status.state, "stopped");
});

test("drain() moves running → draining, unready and closed, and aborts drainSignal", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  runtime.register({ name: "a", worker });
  await assert.rejects(
    runtime.drain("a"),
    (e) => code(e) === "invalid_worker_state",
  );
  await runtime.start("a");
  const ctx = worker.contexts[0]!;
  assert.equal(ctx.drainSignal.aborted, false);
  await runtime.drain("a");
  const status = runtime.worker("a")!.status;
  assert.equal(status.state, "draining");
  assert.equal(status.ready, false);
  assert.equal(status.acceptingWork, false);
  assert.equal(ctx.drainSignal.aborted, true);
  assert.equal(ctx.signal.aborted, false, "the hard signal is separate");
  await assert.rejects(
    runtime.drain("a"),
    (e) => code(e) === "invalid_worker_state",
  );
  await runtime.stop("a");
});

test("stop() is allowed from running, draining and failed only", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  runtime.register({ name: "a", worker });
  await assert.rejects(
    runtime.stop("a"),
    (e) => code(e) === "invalid_worker_state",
  );
  await runtime.start("a");
  await runtime.stop("a");
  assert.equal(runtime.worker("a")!.status.state, "stopped");
  await assert.rejects(
    runtime.stop("a"),
    (e) => code(e) === "invalid_worker_state",
  );
  await runtime.start("a");
  await runtime.drain("a");
  await runtime.stop("a");
  worker.startGates.push(new Error("x"));
  await assert.rejects(runtime.start("a"));
  await runtime.stop("a");
  assert.equal(runtime.worker("a")!.status.state, "stopped");
  assert.deepEqual(worker.calls, [
    "start",
    "stop",
    "start",
    "stop",
    "start",
    "stop",
  ]);
});

test("a failing stop leaves the worker failed and throws the original error", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  const boom = new Error("close failed");
  worker.stopGates.push(boom);
  runtime.register({ name: "a", worker });
  await runtime.start("a");
  await assert.rejects(runtime.stop("a"), (e) => e === boom);
  assert.equal(runtime.worker("a")!.status.state, "failed");
  assert.equal(runtime.worker("a")!.status.lastFailure?.code, "worker_failed");
});

test("a stop that ignores its signal returns at stopTimeout with deadline_exceeded", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  worker.stopGates.push("hang");
  runtime.register({ name: "a", worker, stopTimeout: 2_000 });
  await runtime.start("a");
  const stopped = runtime.stop("a").catch((e) => e);
  await until(() => worker.calls.length === 2, "stop called");
  await clock.advance(2_000);
  assert.equal(code(await stopped), "deadline_exceeded");
  assert.equal(runtime.worker("a")!.status.state, "failed");
});

test("failures reported while stopping are recorded without changing stopping → stopped", async () => {
  const { runtime } = setup();
  const gate = deferred();
  const worker = new ScriptedWorker();
  worker.stopGates.push(gate);
  runtime.register({ name: "a", worker });
  await runtime.start("a");
  const stopping = runtime.stop("a");
  await until(() => worker.calls.length === 2, "stop called");
  worker.contexts[1]!.worker.reportFailure(new Error("flush lost 3 rows"));
  assert.equal(runtime.worker("a")!.status.state, "stopping");
  gate.resolve();
  await stopping;
  assert.equal(runtime.worker("a")!.status.state, "stopped");
  assert.equal(runtime.worker("a")!.status.lastFailure?.code, "worker_failed");
});

test("handles go stale after stop and after restart, and change nothing", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  runtime.register({ name: "a", worker });
  await runtime.start("a");
  const old = worker.contexts[0]!.worker;
  await runtime.stop("a");
  for (
    const call of [
      () => old.setReady(true),
      () => old.setAcceptingWork(true),
      () => old.reportFailure(new Error("late")),
      () => old.heartbeat(),
      () => old.status(),
    ]
  ) {
    assert.throws(call, (e) => code(e) === "invalid_worker_state");
  }
  assert.equal(runtime.worker("a")!.status.state, "stopped");
  assert.equal(runtime.worker("a")!.status.lastFailure, undefined);
  await runtime.start("a");
  assert.throws(
    () => old.reportFailure(new Error("late")),
    (e) => code(e) === "invalid_worker_state",
  );
  assert.equal(runtime.worker("a")!.status.state, "running");
  assert.equal(old.name, "a");
  assert.equal(old.qualifiedName, "billing/a");
  await runtime.shutdown();
});

test("lifecycle operations run one at a time in call order", async () => {
  const { runtime } = setup();
  const log: string[] = [];
  const a = new ScriptedWorker("a", log);
  const gate = deferred();
  a.startGates.push(gate);
  runtime.register({ name: "a", worker: a });
  const calls = [
    runtime.start("a").then(() => log.push("start done")),
    runtime.drain("a").then(() => log.push("drain done")),
    runtime.stop("a").then(() => log.push("stop done")),
  ];
  await until(() => log.length === 1, "start called");
  assert.deepEqual(log, ["a:start"], "drain and stop wait for start");
  gate.resolve();
  await Promise.all(calls);
  assert.deepEqual(log, [
    "a:start",
    "start done",
    "drain done",
    "a:stop",
    "stop done",
  ]);
});

test("waiting for the gate counts against the caller's signal", async () => {
  const { runtime } = setup();
  const a = new ScriptedWorker();
  const gate = deferred();
  a.startGates.push(gate);
  runtime.register({ name: "a", worker: a });
  const starting = runtime.start("a");
  const controller = new AbortController();
  const queued = runtime.stop("a", { signal: controller.signal }).catch((e) =>
    e
  );
  controller.abort(new Error("gave up waiting"));
  assert.equal((await queued).message, "gave up waiting");
  gate.resolve();
  await starting;
  assert.deepEqual(a.calls, ["start"], "the abandoned stop never ran");
  assert.equal(runtime.worker("a")!.status.state, "running");
  await runtime.shutdown();
});

test("status reads, handle calls and idle waits do not wait for the gate", async () => {
  const { runtime } = setup();
  const a = new ScriptedWorker();
  const b = new ScriptedWorker();
  const gate = deferred();
  b.startGates.push(gate);
  runtime.register({ name: "a", worker: a });
  runtime.register({ name: "b", worker: b });
  await runtime.start("a");
  const starting = runtime.start("b");
  await until(() => b.calls.length === 1, "b starting");
  a.contexts[0]!.worker.setReady(false);
  assert.equal(runtime.worker("a")!.status.ready, false);
  await runtime.waitIdle("a");
  await runtime.waitAllIdle();
  gate.resolve();
  await starting;
  await runtime.shutdown();
});

test("startAll() starts in registration order, fails fast and does not roll back", async () => {
  const { runtime } = setup();
  const log: string[] = [];
  const a = new ScriptedWorker("a", log);
  const b = new ScriptedWorker("b", log);
  const c = new ScriptedWorker("c", log);
  const boom = new Error("b broke");
  b.startGates.push(boom);
  runtime.register({ name: "a", worker: a });
  runtime.register({ name: "b", worker: b });
  runtime.register({ name: "c", worker: c });
  await assert.rejects(runtime.startAll(), (e) => e === boom);
  assert.deepEqual(log, ["a:start", "b:start"]);
  assert.equal(runtime.worker("a")!.status.state, "running");
  assert.equal(runtime.worker("b")!.status.state, "failed");
  assert.equal(runtime.worker("c")!.status.state, "registered");
  // a second startAll skips the running worker and starts the rest
  await runtime.startAll();
  assert.deepEqual(log, ["a:start", "b:start", "b:start", "c:start"]);
  await runtime.shutdown();
});

test("stopAll() stops in reverse order, continues past failures and throws an AggregateError", async () => {
  const { runtime } = setup();
  const log: string[] = [];
  const a = new ScriptedWorker("a", log);
  const b = new ScriptedWorker("b", log);
  const c = new ScriptedWorker("c", log);
  const boom = new Error("b stop broke");
  b.stopGates.push(boom);
  runtime.register({ name: "a", worker: a });
  runtime.register({ name: "b", worker: b });
  runtime.register({ name: "c", worker: c });
  runtime.register({ name: "idle", worker: new ScriptedWorker() });
  await runtime.start("a");
  await runtime.start("b");
  await runtime.start("c");
  await runtime.drain("c");
  log.length = 0;
  const error = await runtime.stopAll().catch((e) => e);
  assert.ok(error instanceof AggregateError);
  assert.deepEqual(error.errors, [boom]);
  assert.deepEqual(log, ["c:stop", "b:stop", "a:stop"]);
  assert.equal(runtime.worker("idle")!.status.state, "registered");
  assert.equal(runtime.status().state, "failed");
});

test("drainAll() drains running workers; drainAllBestEffort() does too", async () => {
  const { runtime } = setup();
  runtime.register({ name: "a", worker: new ScriptedWorker() });
  runtime.register({ name: "b", worker: new ScriptedWorker() });
  runtime.register({ name: "c", worker: new ScriptedWorker() });
  await runtime.start("a");
  await runtime.start("b");
  await runtime.drainAll();
  assert.deepEqual(runtime.workers().map((w) => w.status.state), [
    "draining",
    "draining",
    "registered",
  ]);
  await runtime.stopAll();
  await runtime.startAll();
  await runtime.drainAllBestEffort();
  assert.deepEqual(runtime.workers().map((w) => w.status.state), [
    "draining",
    "draining",
    "draining",
  ]);
  await runtime.shutdown();
});

test("a failed start's handle is dead: late calls from the abandoned attempt change nothing", async () => {
  const { runtime, clock } = setup();
  const worker = new ScriptedWorker();
  worker.startGates.push("hang");
  runtime.register({ name: "a", worker, startTimeout: 100 });
  const started = runtime.start("a").catch((e) => e);
  await until(() => worker.calls.length === 1, "start called");
  await clock.advance(100);
  await started;
  const late = worker.contexts[0]!.worker;
  assert.throws(
    () => late.reportFailure(new Error("late")),
    (e) => code(e) === "invalid_worker_state",
  );
  assert.equal(
    runtime.worker("a")!.status.lastFailure?.code,
    "deadline_exceeded",
  );
  // stop of the failed worker gets a fresh, live handle
  await runtime.stop("a");
  assert.equal(worker.contexts[1]!.worker.qualifiedName, "billing/a");
});

test("canceling the wait between start attempts rejects with the signal's reason", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  worker.startGates.push(new Error("first"));
  runtime.register({
    name: "a",
    worker,
    startRetry: attempts(3, { backoff: constant(60_000) }),
  });
  const controller = new AbortController();
  const started = runtime.start("a", { signal: controller.signal }).catch((e) =>
    e
  );
  await until(
    () => runtime.worker("a")!.status.lastFailure !== undefined,
    "first attempt failed",
  );
  const reason = new Error("operator gave up");
  controller.abort(reason);
  assert.equal(await started, reason);
  assert.equal(runtime.worker("a")!.status.state, "failed");
});

test("a second stop after a failed stop gets a live handle", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  worker.stopGates.push(new Error("flush failed"));
  runtime.register({ name: "a", worker });
  await runtime.start("a");
  await assert.rejects(runtime.stop("a"));
  const gate = deferred();
  worker.stopGates.push(gate);
  const stopping = runtime.stop("a");
  await until(() => worker.calls.length === 3, "second stop");
  const seen = worker.contexts[2]!.worker.status().state;
  gate.resolve();
  await stopping;
  assert.equal(seen, "stopping");
  assert.equal(runtime.worker("a")!.status.state, "stopped");
});

test("stopAll() rejects when its signal aborts part-way, leaving the rest running", async () => {
  const { runtime } = setup();
  const b = new ScriptedWorker();
  const gate = deferred();
  b.stopGates.push(gate);
  runtime.register({ name: "a", worker: new ScriptedWorker() });
  runtime.register({ name: "b", worker: b });
  await runtime.startAll();
  const controller = new AbortController();
  const stopping = runtime.stopAll({ signal: controller.signal }).catch((e) =>
    e
  );
  await until(() => b.calls.length === 2, "b stopping");
  const reason = new Error("enough");
  controller.abort(reason);
  assert.equal(await stopping, reason);
  assert.equal(runtime.worker("a")!.status.state, "running");
  assert.equal(
    runtime.worker("b")!.status.state,
    "stopping",
    "b's stop goes on, tracked",
  );
  gate.resolve();
  await until(
    () => runtime.worker("b")!.status.state === "stopped",
    "b stopped",
  );
  await runtime.shutdown();
});

test("no unhandled rejections", assertNoUnhandled);
