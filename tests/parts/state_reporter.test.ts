// StateReporter: the aggregate, the runtime's own transitions and
// readiness, the stopping phase, and failure records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { idle, parts } from "../_support/parts.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";

function running() {
  const p = parts();
  const w = p.table.add({ name: "w", worker: idle });
  p.reporter.count(w, 1);
  p.reporter.move(w, "start");
  p.reporter.move(w, "started", { readySet: false, acceptingSet: false });
  p.seen.length = 0;
  return { ...p, w };
}

test("count() adds and removes a worker from the aggregate", () => {
  const { reporter, table } = parts();
  const w = table.add({ name: "w", worker: idle });
  reporter.count(w, 1);
  assert.equal(reporter.status(0).workers, 1);
  reporter.count(w, -1);
  assert.equal(reporter.status(0).workers, 0);
});

test("a move reports the worker, then the runtime, in that order", () => {
  const { reporter, w, seen } = running();
  reporter.move(w, "drain");
  assert.deepEqual(
    seen.map(([type, e]) => [type, (e as { worker?: string }).worker]),
    [
      ["transition", "rt/w"],
      ["readiness", "rt/w"],
      ["transition", undefined],
      ["readiness", undefined],
    ],
  );
  assert.equal(reporter.status(3).state, "draining");
  assert.equal(reporter.status(3).inFlight, 3);
});

test("the status seen by a transition listener already counts the worker", () => {
  const { reporter, w } = running();
  const totals: number[] = [];
  reporter.emitter.transition = ((original) => (e) => {
    totals.push(reporter.status(0).workers);
    original.call(reporter.emitter, e);
  })(reporter.emitter.transition);
  reporter.move(w, ["fail", "restart"]);
  assert.ok(totals.length >= 2);
  assert.ok(totals.every((n) => n === 1));
});

test("setReady() and setStalled() move readiness without a transition", () => {
  const { reporter, w, seen } = running();
  reporter.setStalled(w, true);
  assert.equal(reporter.status(0).ready, false);
  reporter.setStalled(w, false);
  reporter.setReady(w, false);
  reporter.setReady(w, true);
  assert.equal(seen.filter(([type]) => type === "transition").length, 0);
  assert.equal(reporter.status(0).ready, true);
});

test("beginStopping() holds readiness false and aborts stopping once", () => {
  const { reporter, seen } = running();
  assert.equal(reporter.winding, false);
  reporter.beginStopping();
  reporter.beginStopping();
  assert.equal(reporter.stopping.aborted, true);
  assert.equal(reporter.status(0).ready, false);
  assert.equal(reporter.shuttingDown, false);
  assert.equal(seen.length, 1);
  reporter.beginShutdown();
  assert.equal(reporter.shuttingDown, true);
});

test("recordFailure() keeps only the public projection", () => {
  const { reporter, w, seen } = running();
  reporter.recordFailure(w, new Error("password=1"), "background");
  assert.equal(w.lastFailure?.code, "worker_failed");
  const [[type, e]] = seen as [[string, { message: string; at: string }]];
  assert.equal(type, "failure");
  assert.equal(e.message, "worker operation failed");
  assert.equal(e.at, reporter.at());
});

test("no unhandled rejections", assertNoUnhandled);
