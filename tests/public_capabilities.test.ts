// The capabilities that replaced the symbol back doors: what runService, the
// dashboard and the built-in workers use is public, so a user can build the
// same things.
import { test } from "node:test";
import assert from "node:assert/strict";
import type {
  CheckEndEvent,
  FailureEvent,
  WorkerContext,
  WorkerHandle,
} from "../mod.ts";
import { systemClock } from "../mod.ts";
import { code, setup } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

function capture() {
  let ctx: WorkerContext | undefined;
  return {
    worker: {
      start(c: WorkerContext) {
        ctx = c;
      },
      stop() {},
    },
    get ctx(): WorkerContext {
      assert.ok(ctx, "the worker has started");
      return ctx;
    },
  };
}

test("runtime.clock is the injected clock, and the system clock by default", () => {
  const { clock, runtime } = setup();
  assert.equal(runtime.clock, clock);
  const plain = setup({ clock: systemClock }).runtime;
  assert.equal(plain.clock, systemClock);
});

test("WorkerContext.clock is the runtime's clock on start and stop", async () => {
  const { clock, runtime } = setup();
  const seen: unknown[] = [];
  runtime.register({
    name: "w",
    worker: {
      start: (ctx) => void seen.push(ctx.clock),
      stop: (ctx) => void seen.push(ctx.clock),
    },
  });
  await runtime.start("w");
  await runtime.stop("w");
  assert.deepEqual(seen, [clock, clock]);
});

test("runtime.failing turns true when a fail-runtime worker fails", async () => {
  const { runtime } = setup();
  const w = capture();
  runtime.register({
    name: "core",
    failurePolicy: "fail-runtime",
    worker: w.worker,
  });
  await runtime.start("core");
  assert.equal(runtime.failing, false);
  w.ctx.worker.reportFailure(new Error("lost the broker"));
  assert.equal(runtime.failing, true);
  assert.equal(runtime.status().state, "failed");
});

test("beginStopping() turns readiness false, keeps liveness and workers, and aborts runtime.stopping", async () => {
  const { runtime } = setup();
  runtime.register({ name: "w", worker: { start() {}, stop() {} } });
  await runtime.start("w");
  const readiness: boolean[] = [];
  runtime.addEventListener("readiness", (event) => {
    const detail = (event as CustomEvent).detail as {
      worker?: string;
      ready: boolean;
    };
    if (detail.worker === undefined) readiness.push(detail.ready);
  });
  assert.equal(runtime.stopping.aborted, false);
  assert.equal(runtime.status().ready, true);
  runtime.beginStopping();
  runtime.beginStopping(); // idempotent: one readiness event
  assert.equal(runtime.stopping.aborted, true);
  assert.equal(runtime.status().ready, false);
  assert.deepEqual(readiness, [false]);
  assert.equal(runtime.live(), true);
  assert.equal(runtime.worker("w")?.status.state, "running");
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("shutdown aborts runtime.stopping too", async () => {
  const { runtime } = setup();
  await runtime.shutdown();
  assert.equal(runtime.stopping.aborted, true);
});

test("handle.recordFailure() records and emits without changing state", async () => {
  const { runtime } = setup();
  const w = capture();
  runtime.register({ name: "poll", worker: w.worker });
  await runtime.start("poll");
  const failures: FailureEvent[] = [];
  runtime.addEventListener(
    "failure",
    (event) => failures.push((event as CustomEvent).detail as FailureEvent),
  );
  w.ctx.worker.recordFailure(new Error("secret=1"));
  w.ctx.worker.recordFailure(new Error("cleanup"), { kind: "loop_cleanup" });
  const status = runtime.worker("poll")!.status;
  assert.equal(status.state, "running");
  assert.equal(status.lastFailure?.code, "loop_cleanup_failed");
  assert.deepEqual(
    failures.map((f) => [f.kind, f.code]),
    [["background", "worker_failed"], ["loop_cleanup", "loop_cleanup_failed"]],
  );
  assert.throws(
    () =>
      w.ctx.worker.recordFailure(new Error("x"), {
        kind: "lifecycle" as "background",
      }),
    (e) => code(e) === "invalid_argument",
  );
});

test("handle.recordFailure() still works after stop, until a newer generation begins", async () => {
  const { runtime } = setup();
  const handles: WorkerHandle[] = [];
  runtime.register({
    name: "w",
    worker: { start: (ctx) => void handles.push(ctx.worker), stop() {} },
  });
  await runtime.start("w");
  await runtime.stop("w");
  handles[0]!.recordFailure(new Error("late cleanup"), {
    kind: "loop_cleanup",
  });
  assert.equal(
    runtime.worker("w")!.status.lastFailure?.code,
    "loop_cleanup_failed",
  );
  assert.equal(runtime.worker("w")!.status.state, "stopped");
  await runtime.start("w");
  handles[0]!.recordFailure(new Error("too late"));
  assert.equal(runtime.worker("w")!.status.lastFailure, undefined);
});

test("handle.beginCheck() is undefined unobserved, and emits checkstart/checkend when observed", async () => {
  const { runtime } = setup();
  const w = capture();
  runtime.register({ name: "probe", worker: w.worker });
  await runtime.start("probe");
  assert.equal(w.ctx.worker.beginCheck("db"), undefined);
  const events: string[] = [];
  let end: CheckEndEvent | undefined;
  runtime.addEventListener("checkstart", () => events.push("checkstart"));
  runtime.addEventListener("checkend", (event) => {
    events.push("checkend");
    end = (event as CustomEvent).detail as CheckEndEvent;
  });
  const run = w.ctx.worker.beginCheck("db");
  assert.ok(run);
  assert.equal(run.wrap(() => 7), 7);
  run.end({ outcome: "ready", at: "2026-01-01T00:00:00.000Z", durationMs: 3 });
  run.end({ outcome: "error", at: "2026-01-01T00:00:00.000Z", durationMs: 4 });
  assert.deepEqual(events, ["checkstart", "checkend"]);
  assert.equal(end?.runtime, "billing");
  assert.equal(end?.worker, "billing/probe");
  assert.equal(end?.check, "db");
  assert.equal(end?.outcome, "ready");
});

test("no unhandled rejections", assertNoUnhandled);
