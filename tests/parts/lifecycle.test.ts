// Lifecycle: the gate's order, start attempts and their retries, drain,
// stop, stopAll's order, and the forced stop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attempts, constant } from "../../mod.ts";
import type { Worker, WorkerRegistration } from "../../mod.ts";
import { code } from "../_support/runtime_setup.ts";
import { idle, parts } from "../_support/parts.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";
import { until } from "../_support/workers.ts";

function setup(registrations: Array<Partial<WorkerRegistration>>) {
  const p = parts();
  const ws = registrations.map((r, i) => {
    const w = p.table.add({ name: `w${i}`, worker: idle, ...r });
    p.reporter.count(w, 1);
    return w;
  });
  const run = (op: (preempt: AbortSignal) => Promise<void>) =>
    p.lifecycle.run(undefined, op);
  return { ...p, ws, run };
}

test("run() takes operations one at a time, in call order", async () => {
  const { run } = setup([]);
  const order: string[] = [];
  let release!: () => void;
  const first = run(() =>
    new Promise<void>((resolve) => {
      order.push("first begins");
      release = () => {
        order.push("first ends");
        resolve();
      };
    })
  );
  const second = run(() => {
    order.push("second");
    return Promise.resolve();
  });
  await until(() => order.length === 1, "the first operation to begin");
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ["first begins", "first ends", "second"]);
});

test("start() retries per startRetry and lands in running", async () => {
  let calls = 0;
  const worker: Worker = {
    start() {
      if (++calls < 3) throw new Error("not yet");
    },
    stop() {},
  };
  const { ws, run, lifecycle, manual } = setup([
    { worker, startRetry: attempts(3, { backoff: constant(10) }) },
  ]);
  const w = ws[0]!;
  const started = run((preempt) => lifecycle.start(w, undefined, preempt));
  await manual.advance(10);
  await manual.advance(10);
  await started;
  assert.equal(calls, 3);
  assert.equal(w.state, "running");
  assert.equal(w.lastFailure, undefined);
});

test("a start that keeps failing ends failed with the last error", async () => {
  const { ws, run, lifecycle } = setup([{
    worker: {
      start() {
        throw new Error("down");
      },
      stop() {},
    },
  }]);
  const w = ws[0]!;
  await assert.rejects(
    run((preempt) => lifecycle.start(w, undefined, preempt)),
    /down/,
  );
  assert.equal(w.state, "failed");
  assert.equal(w.generation?.alive, false);
});

test("drain() and stop() refuse a worker in the wrong state", async () => {
  const { ws, run, lifecycle } = setup([{}]);
  const w = ws[0]!;
  assert.throws(
    () => lifecycle.drain(w),
    (e) => code(e) === "invalid_worker_state",
  );
  await assert.rejects(
    run((preempt) => lifecycle.stop(w, undefined, preempt)),
    (e) => code(e) === "invalid_worker_state",
  );
});

test("stopAll() closes admission and stops in reverse registration order", async () => {
  const order: string[] = [];
  const named = (name: string): Worker => ({
    start() {},
    stop: () => void order.push(name),
  });
  const { ws, run, lifecycle } = setup([
    { worker: named("a") },
    { worker: named("b") },
  ]);
  await run((preempt) => lifecycle.startAll(undefined, preempt));
  await run((preempt) => lifecycle.stopAll(undefined, preempt));
  assert.deepEqual(order, ["b", "a"]);
  assert.deepEqual(ws.map((w) => w.state), ["stopped", "stopped"]);
});

test("forceStopAll() calls stop with an aborted signal and settles later", async () => {
  const signals: AbortSignal[] = [];
  const { ws, run, lifecycle } = setup([{
    worker: { start() {}, stop: (ctx) => void signals.push(ctx.signal) },
  }]);
  await run((preempt) => lifecycle.startAll(undefined, preempt));
  lifecycle.forceStopAll();
  assert.equal(ws[0]!.state, "stopping");
  assert.equal(signals[0]?.aborted, true);
  await until(() => ws[0]!.state === "stopped", "the forced stop to settle");
});

test("no unhandled rejections", assertNoUnhandled);
