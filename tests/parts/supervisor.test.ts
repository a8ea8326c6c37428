// Supervisor: routing of reported failures, stalls, the restart with its
// intensity, and the backoff step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attempts, constant } from "../../mod.ts";
import { idle, parts, startedParts } from "../_support/parts.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";
import { until } from "../_support/workers.ts";

const restart = {
  backoff: attempts(10, { backoff: constant(100) }),
  maxRestarts: 2,
  withinMs: 60_000,
};

test("an unsupervised reported failure moves the worker to failed", async () => {
  const { supervisor, w } = await startedParts();
  supervisor.reportFailure(w, new Error("lost"));
  assert.equal(w.state, "failed");
  assert.equal(w.lastFailure?.code, "worker_failed");
});

test("a failure reported during start is kept for when start lands", () => {
  const p = parts();
  const w = p.table.add({ name: "w", worker: idle });
  p.reporter.count(w, 1);
  p.reporter.move(w, "start");
  p.lifecycle.newGeneration(w);
  p.supervisor.reportFailure(w, new Error("early"));
  assert.equal(w.state, "starting");
  assert.ok(w.generation?.startFailure);
});

test("a supervised failure restarts after the backoff: failed, then starting with reason restart", async () => {
  const { supervisor, w, manual, seen } = await startedParts({ restart });
  seen.length = 0;
  supervisor.reportFailure(w, new Error("lost"));
  assert.equal(w.state, "starting");
  const moves = seen.filter(([type, e]) =>
    type === "transition" && (e as { worker?: string }).worker
  ).map(([, e]) => {
    const t = e as { from: string; to: string; reason?: string };
    return [t.from, t.to, t.reason];
  });
  assert.deepEqual(moves, [
    ["running", "failed", undefined],
    ["failed", "starting", "restart"],
  ]);
  await until(() => manual.pending > 0, "the backoff timer");
  await manual.advance(100);
  await until(() => w.state === "running", "the restart");
  assert.equal(w.restarts, 1);
});

test("past the intensity, supervision gives up and the worker stays failed", async () => {
  const { supervisor, w, manual } = await startedParts({
    restart: { ...restart, maxRestarts: 1 },
  });
  supervisor.reportFailure(w, new Error("lost"));
  await until(() => manual.pending > 0, "the backoff timer");
  await manual.advance(100);
  await until(() => w.state === "running", "the restart");
  supervisor.reportFailure(w, new Error("lost again"));
  assert.equal(w.state, "failed");
});

test("an unsupervised stall shows stalled; a heartbeat ends it", async () => {
  const { supervisor, w, reporter, manual } = await startedParts({
    stallTimeout: 1_000,
  });
  await manual.advance(1_000); // the watchdog calls supervisor.stalled(w)
  assert.equal(w.stalled, true);
  assert.equal(w.lastFailure?.code, "stalled");
  assert.equal(reporter.status(0).ready, false);
  supervisor.heartbeat(w);
  assert.equal(w.stalled, false);
});

test("backoff() waits the policy's delay, and answers false when aborted or told to stop", async () => {
  const { supervisor, w, manual } = await startedParts({ restart });
  const waited = supervisor.backoff(
    w,
    1,
    new Error("x"),
    new AbortController().signal,
  );
  await manual.advance(100);
  assert.equal(await waited, true);
  const aborted = new AbortController();
  const gaveUp = supervisor.backoff(w, 1, new Error("x"), aborted.signal);
  aborted.abort();
  assert.equal(await gaveUp, false);
});

test("no unhandled rejections", assertNoUnhandled);
