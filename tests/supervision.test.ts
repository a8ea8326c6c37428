import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attempts,
  constant,
  exponential,
  Runtime,
  WorkerkitError,
} from "../mod.ts";
import type { FailurePolicy, WorkerContext, WorkerHandle } from "../mod.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { record, until } from "./_support/workers.ts";

/** A worker that keeps every generation's context so the test can fail it. */
class Flaky {
  readonly contexts: WorkerContext[] = [];
  starts = 0;
  stops = 0;
  failStarts = 0;
  start = (ctx: WorkerContext): void => {
    this.starts++;
    this.contexts.push(ctx);
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new Error("connect refused");
    }
  };
  stop = (): void => {
    this.stops++;
  };
  get handle(): WorkerHandle {
    return this.contexts.at(-1)!.worker;
  }
}

function setup(
  restart = {
    backoff: attempts(100, { backoff: exponential(100, 2) }),
    maxRestarts: 3,
    withinMs: 60_000,
  },
  failurePolicy: FailurePolicy = "isolate",
) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const runtime = new Runtime({ name: "svc", clock });
  const flaky = new Flaky();
  runtime.register({ name: "sub", worker: flaky, restart, failurePolicy });
  return { clock, runtime, flaky };
}

test("a worker that crashes three times restarts three times with the backoff, then runs", async () => {
  const { clock, runtime, flaky } = setup();
  const events = record(runtime, ["transition"]);
  await runtime.start("sub");
  for (let crash = 1; crash <= 3; crash++) {
    flaky.handle.reportFailure(new Error(`crash ${crash}`));
    assert.equal(runtime.worker("sub")!.status.state, "starting");
    await until(() => flaky.stops === crash, `stop of generation ${crash}`);
    const wait = 100 * 2 ** (crash - 1);
    await clock.advance(wait - 1);
    assert.equal(
      flaky.starts,
      crash,
      `no restart before the ${wait} ms backoff`,
    );
    await clock.advance(1);
    await until(() => flaky.starts === crash + 1, `restart ${crash}`);
    await until(
      () => runtime.worker("sub")!.status.state === "running",
      "running",
    );
  }
  const status = runtime.worker("sub")!.status;
  assert.equal(status.restarts, 3);
  assert.equal(status.lastTransition?.to, "running");
  const restarts = events.filter((e) =>
    e.detail.worker && e.detail.reason === "restart"
  );
  assert.equal(restarts.length, 3);
  assert.deepEqual(
    events.filter((e) => e.detail.worker).slice(2, 5).map((e) =>
      `${e.detail.from}>${e.detail.to}`
    ),
    ["running>failed", "failed>starting", "starting>running"],
  );
  await runtime.shutdown();
});

test("the aggregate does not count a supervised worker as failed while it restarts", async () => {
  const { runtime, flaky } = setup(undefined, "fail-runtime");
  const states = record(runtime, ["transition"]);
  await runtime.start("sub");
  flaky.handle.reportFailure(new Error("crash"));
  const runtimeStates = states.filter((e) => !e.detail.worker).map((e) =>
    e.detail.to
  );
  assert.ok(!runtimeStates.includes("failed"), runtimeStates.join(","));
  assert.equal(runtime.status().state, "starting");
  await runtime.shutdown();
});

test("more than maxRestarts within the window leaves the worker failed and the policy applies", async () => {
  for (
    const policy of ["isolate", "mark-runtime-unready", "fail-runtime"] as const
  ) {
    const { clock, runtime, flaky } = setup(
      {
        backoff: attempts(100, { backoff: constant(10) }),
        maxRestarts: 2,
        withinMs: 60_000,
      },
      policy,
    );
    runtime.register({
      name: "other",
      contributesToReadiness: false,
      worker: { start() {}, stop() {} },
    });
    await runtime.startAll();
    for (let crash = 1; crash <= 2; crash++) {
      flaky.handle.reportFailure(new Error("crash"));
      await until(() => flaky.stops === crash, "stop");
      await clock.advance(10);
      await until(
        () => runtime.worker("sub")!.status.state === "running",
        "running",
      );
    }
    flaky.handle.reportFailure(new Error("crash 3"));
    const status = runtime.worker("sub")!.status;
    assert.equal(status.state, "failed", policy);
    assert.equal(status.restarts, 2);
    const expected = {
      "isolate": { state: "running", ready: false },
      "mark-runtime-unready": { state: "running", ready: false },
      "fail-runtime": { state: "failed", ready: false },
    }[policy];
    assert.equal(runtime.status().state, expected.state, policy);
    assert.equal(runtime.status().ready, expected.ready, policy);
    await runtime.shutdown();
  }
});

test("restarts outside the window do not count toward the intensity", async () => {
  const { clock, runtime, flaky } = setup({
    backoff: attempts(100, { backoff: constant(10) }),
    maxRestarts: 1,
    withinMs: 1_000,
  });
  await runtime.start("sub");
  for (let crash = 1; crash <= 3; crash++) {
    flaky.handle.reportFailure(new Error("crash"));
    await until(() => flaky.stops === crash, "stop");
    await clock.advance(10);
    await until(
      () => runtime.worker("sub")!.status.state === "running",
      "running",
    );
    await clock.advance(1_000);
  }
  assert.equal(runtime.worker("sub")!.status.restarts, 3);
  await runtime.shutdown();
});

test("a failed start during a restart counts toward the intensity", async () => {
  const { clock, runtime, flaky } = setup({
    backoff: attempts(100, { backoff: constant(10) }),
    maxRestarts: 2,
    withinMs: 60_000,
  });
  await runtime.start("sub");
  flaky.failStarts = 5;
  flaky.handle.reportFailure(new Error("crash"));
  await until(() => flaky.stops === 1, "stop");
  await clock.advance(10);
  await until(() => flaky.starts === 2, "first restart");
  await clock.advance(10);
  await until(
    () => runtime.worker("sub")!.status.state === "failed",
    "gave up",
  );
  assert.equal(flaky.starts, 3);
  assert.equal(runtime.worker("sub")!.status.restarts, 2);
});

test("a start called by the application that throws is not supervised", async () => {
  const { runtime, flaky } = setup();
  flaky.failStarts = 1;
  await assert.rejects(runtime.start("sub"), /connect refused/);
  assert.equal(runtime.worker("sub")!.status.state, "failed");
  assert.equal(runtime.worker("sub")!.status.restarts, 0);
});

test("a failure reported while start was running is supervised once start succeeds", async () => {
  const clock = new ManualClock();
  const runtime = new Runtime({ name: "svc", clock });
  let starts = 0;
  runtime.register({
    name: "w",
    restart: { backoff: attempts(10, { backoff: constant(5) }) },
    worker: {
      start(ctx) {
        if (++starts === 1) {
          ctx.worker.reportFailure(new Error("lost during start"));
        }
      },
      stop() {},
    },
  });
  await runtime.start("w");
  assert.equal(runtime.worker("w")!.status.state, "starting");
  await clock.advance(5);
  await until(
    () => runtime.worker("w")!.status.state === "running",
    "restarted",
  );
  assert.equal(starts, 2);
  await runtime.shutdown();
});

test("a crash during shutdown is not restarted, and shutdown cuts a restart short", async () => {
  const { clock, runtime, flaky } = setup({
    backoff: attempts(100, { backoff: constant(60_000) }),
    maxRestarts: 5,
    withinMs: 60_000,
  });
  await runtime.start("sub");
  flaky.handle.reportFailure(new Error("crash"));
  await until(() => flaky.stops === 1, "stop of the failed generation");
  // the restart now waits a 60 s backoff; shutdown must not wait for it
  await runtime.shutdown();
  assert.equal(flaky.starts, 1);
  assert.equal(runtime.worker("sub")!.status.state, "stopped");
  await clock.advance(60_000);
  assert.equal(flaky.starts, 1, "no restart after shutdown");
});

test("a stalled worker is flagged, unready and reported once; a heartbeat clears it", async () => {
  const clock = new ManualClock();
  const runtime = new Runtime({ name: "svc", clock });
  let handle: WorkerHandle | undefined;
  runtime.register({
    name: "w",
    stallTimeout: 1_000,
    livenessOnStall: true,
    worker: { start: (ctx) => void (handle = ctx.worker), stop() {} },
  });
  const failures = record(runtime, ["failure"]);
  await runtime.start("w");
  assert.equal(runtime.live(), true);
  await clock.advance(600);
  handle!.heartbeat();
  await clock.advance(600);
  assert.equal(
    runtime.worker("w")!.status.stalled,
    false,
    "the heartbeat counted",
  );
  await clock.advance(400);
  let status = runtime.worker("w")!.status;
  assert.equal(status.stalled, true);
  assert.equal(status.ready, false, "a stalled worker shows unready");
  assert.equal(
    runtime.status().ready,
    false,
    "a stalled worker counts as unready",
  );
  assert.equal(
    status.state,
    "running",
    "without a restart policy stalled is a flag",
  );
  assert.equal(status.lastFailure?.code, "stalled");
  assert.equal(runtime.live(), false);
  await clock.advance(10_000);
  assert.equal(failures.length, 1, "one failure event per stall");
  assert.equal(failures[0]!.detail.kind, "stall");
  handle!.heartbeat();
  status = runtime.worker("w")!.status;
  assert.equal(status.stalled, false);
  assert.equal(
    status.ready,
    true,
    "the heartbeat restores the readiness it had",
  );
  assert.equal(runtime.status().ready, true);
  assert.equal(runtime.live(), true);
  await runtime.shutdown();
});

test("a stalled worker with a restart policy is restarted", async () => {
  const clock = new ManualClock();
  const runtime = new Runtime({ name: "svc", clock });
  let starts = 0;
  runtime.register({
    name: "w",
    stallTimeout: 1_000,
    restart: { backoff: attempts(10, { backoff: constant(1) }) },
    worker: { start: () => void starts++, stop() {} },
  });
  await runtime.start("w");
  await clock.advance(1_000);
  await clock.advance(1);
  await until(() => starts === 2, "restarted");
  await until(() => runtime.worker("w")!.status.state === "running", "running");
  assert.equal(runtime.worker("w")!.status.restarts, 1);
  assert.equal(runtime.worker("w")!.status.stalled, false);
  await runtime.shutdown();
});

test("a stall once the restart intensity is spent fails the worker", async () => {
  const clock = new ManualClock();
  const runtime = new Runtime({ name: "svc", clock });
  runtime.register({
    name: "w",
    stallTimeout: 1_000,
    restart: {
      backoff: attempts(10, { backoff: constant(1) }),
      maxRestarts: 0,
    },
    worker: { start() {}, stop() {} },
  });
  await runtime.start("w");
  await clock.advance(1_000);
  const status = runtime.worker("w")!.status;
  assert.equal(status.state, "failed");
  assert.equal(status.lastFailure?.code, "stalled");
  assert.equal(status.restarts, 0);
});

test("drainSignal fires at drain while signal does not until the deadline", async () => {
  const clock = new ManualClock();
  const runtime = new Runtime({ name: "svc", clock });
  const seen: { drain?: AbortSignal; hard?: AbortSignal } = {};
  runtime.register({
    name: "w",
    commandTimeout: 5_000,
    worker: { start() {}, stop() {} },
    commands: [{
      name: "long",
      handler: (_req, ctx) =>
        new Promise((resolve) => {
          seen.drain = ctx.drainSignal;
          seen.hard = ctx.signal;
          ctx.drainSignal.addEventListener("abort", () =>
            resolve({ message: "checkpointed" }));
        }),
    }],
  });
  await runtime.start("w");
  const result = runtime.dispatch({ worker: "w", name: "long" });
  await until(() => seen.drain !== undefined, "handler running");
  assert.equal(seen.drain!.aborted, false);
  await runtime.drain("w");
  assert.equal(seen.drain!.aborted, true);
  assert.equal(seen.hard!.aborted, false);
  assert.equal((await result).message, "checkpointed");
  await runtime.shutdown();
});

test("a storm of failing dispatches with attempts(5) performs at most the budgeted retries", async () => {
  const clock = new ManualClock();
  const runtime = new Runtime({
    name: "svc",
    clock,
    retryBudget: { ratio: 0.2, minPerSecond: 1 },
  });
  let calls = 0;
  runtime.register({
    name: "w",
    commandRetry: attempts(5),
    worker: { start() {}, stop() {} },
    commands: [{
      name: "flaky",
      handler: () => {
        calls++;
        throw new Error("down");
      },
    }],
  });
  await runtime.start("w");
  const ends = record(runtime, ["commandend"]);
  let settled = false;
  const all = Promise.allSettled(
    Array.from(
      { length: 1_000 },
      () => runtime.dispatch({ worker: "w", name: "flaky" }),
    ),
  ).finally(() => settled = true);
  // retries wait a zero backoff on the manual clock: let those timers fire
  for (let turn = 0; turn < 50 && !settled; turn++) await clock.advance(0);
  const results = await all;
  assert.ok(results.every((r) => r.status === "rejected"));
  const retries = calls - 1_000;
  // 20% of 1,000 first attempts plus a floor of 1/s over the 10 s window
  assert.ok(retries <= 210, `retries ${retries}`);
  assert.ok(retries >= 200, `retries ${retries}`);
  const exhausted = ends.filter((e) =>
    e.detail.code === "retry_budget_exhausted"
  );
  assert.ok(
    exhausted.length >= 1_000 - 210,
    `${exhausted.length} ended by the budget`,
  );
  const last = results.at(-1) as PromiseRejectedResult;
  assert.ok(last.reason instanceof WorkerkitError);
  assert.equal(last.reason.code, "retry_budget_exhausted");
  await runtime.shutdown();
});

test("no unhandled rejections", assertNoUnhandled);
