import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime, WorkerkitError } from "../mod.ts";
import type { WorkerContext, WorkerHandle, WorkerStatus } from "../mod.ts";
import { intervalWorker } from "../src/workers/interval_worker.ts";
import type { LoopContext } from "../src/workers/loop_worker.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { type Deferred, deferred, record, until } from "./_support/workers.ts";

const T0 = Date.UTC(2026, 0, 1);

function code(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

function setup() {
  const clock = new ManualClock(T0);
  const runtime = new Runtime({ name: "billing", clock });
  return { clock, runtime };
}

/** A task that records when each run starts and may hold runs open. */
class ScriptedTask {
  /** Start time of each run, ms since T0. */
  readonly starts: number[] = [];
  readonly contexts: LoopContext[] = [];
  /** Per run: a gate to wait for, an error to throw, or undefined for at once. */
  readonly script: Array<Deferred<void> | Error | undefined> = [];
  readonly #clock: ManualClock;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  readonly task = (ctx: LoopContext): Promise<void> => {
    this.starts.push(this.#clock.now() - T0);
    this.contexts.push(ctx);
    const step = this.script.shift();
    if (step instanceof Error) return Promise.reject(step);
    return step ? step.promise : Promise.resolve();
  };
}

test("intervalWorker() runs at once, then waits the interval after each completion", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, { interval: 1_000 }),
  });
  await runtime.start("poll");
  assert.deepEqual(task.starts, [0], "the first run starts right away");
  await clock.advance(3_500);
  assert.deepEqual(task.starts, [0, 1_000, 2_000, 3_000]);
  assert.equal(runtime.worker("poll")!.status.ready, true);
  await runtime.stop("poll");
  await clock.advance(5_000);
  assert.equal(task.starts.length, 4, "no run after stop");
});

test("a slow run is never overlapped: the interval counts from its completion", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  const slow = deferred();
  task.script.push(slow);
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, { interval: 1_000 }),
  });
  await runtime.start("poll");
  await clock.advance(5_000);
  assert.deepEqual(task.starts, [0], "no second run while the first runs");
  slow.resolve();
  await clock.advance(999);
  assert.deepEqual(task.starts, [0]);
  await clock.advance(1);
  assert.deepEqual(task.starts, [0, 6_000]);
  await runtime.stop("poll");
});

test("initialDelay delays the first run; runImmediately: false adds one interval", async () => {
  const { runtime, clock } = setup();
  const a = new ScriptedTask(clock);
  const b = new ScriptedTask(clock);
  runtime.register({
    name: "a",
    worker: intervalWorker(a.task, { interval: 1_000, initialDelay: 500 }),
  });
  runtime.register({
    name: "b",
    worker: intervalWorker(b.task, {
      interval: 1_000,
      initialDelay: 200,
      runImmediately: false,
    }),
  });
  await runtime.startAll();
  assert.deepEqual([a.starts, b.starts], [[], []]);
  await clock.advance(499);
  assert.deepEqual(a.starts, []);
  await clock.advance(1);
  assert.deepEqual(a.starts, [500]);
  await clock.advance(699);
  assert.deepEqual(b.starts, []);
  await clock.advance(1);
  assert.deepEqual(b.starts, [1_200]);
  await clock.advance(1_000);
  assert.deepEqual(a.starts, [500, 1_500]);
  assert.deepEqual(b.starts, [1_200, 2_200]);
  await runtime.stopAll();
});

test("jitter(interval) returns the whole wait, including the first one with runImmediately: false", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  const asked: number[] = [];
  const waits = [300, 2_500, 0, 700];
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, {
      interval: 1_000,
      runImmediately: false,
      jitter: (interval) => {
        asked.push(interval);
        return waits.shift() ?? 1_000;
      },
    }),
  });
  await runtime.start("poll");
  await clock.advance(3_500);
  // waits 300, then 2 500, then 0 (a timer turn), then 700
  assert.deepEqual(task.starts, [300, 2_800, 2_800, 3_500]);
  assert.ok(asked.every((interval) => interval === 1_000));
  await runtime.stop("poll");
});

test("a run past its timeout has its signal aborted but must settle before the next run", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  const stuck = deferred();
  task.script.push(stuck);
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, {
      interval: 1_000,
      timeout: 500,
      continueOnError: true,
    }),
  });
  await runtime.start("poll");
  const failures = record(runtime, ["failure"]);
  const signal = task.contexts[0]!.signal;
  await clock.advance(499);
  assert.equal(signal.aborted, false);
  await clock.advance(1);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason.name, "TimeoutError");
  assert.equal(failures.length, 1, "the timeout is recorded at once");
  assert.equal(failures[0]!.detail.code, "deadline_exceeded");
  assert.equal(failures[0]!.detail.kind, "background");
  assert.equal(runtime.worker("poll")!.status.state, "running");
  await clock.advance(5_000);
  assert.deepEqual(task.starts, [0], "the next run waits for the stuck one");
  stuck.resolve();
  await clock.advance(1_000);
  assert.deepEqual(task.starts, [0, 6_500]);
  assert.equal(
    task.contexts[1]!.signal.aborted,
    false,
    "each run has its own deadline",
  );
  await runtime.stop("poll");
});

test("a timeout fails the worker with deadline_exceeded; the schedule ends once the run settles", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  const stuck = deferred();
  task.script.push(stuck);
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, { interval: 1_000, timeout: 500 }),
  });
  await runtime.start("poll");
  const failures = record(runtime, ["failure"]);
  await clock.advance(500);
  const status = runtime.worker("poll")!.status;
  assert.equal(
    status.state,
    "failed",
    "failed at the timeout, not when the run settles",
  );
  assert.equal(status.lastFailure?.code, "deadline_exceeded");
  stuck.resolve();
  await clock.advance(10_000);
  assert.deepEqual(task.starts, [0]);
  assert.equal(failures.length, 1, "reported once");
  await runtime.stop("poll");
  assert.equal(runtime.worker("poll")!.status.state, "stopped");
});

test("a task error fails the worker and ends the schedule", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  task.script.push(undefined, new Error("upstream password=hunter2 says 503"));
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, { interval: 1_000 }),
  });
  await runtime.start("poll");
  const failures = record(runtime, ["failure"]);
  await clock.advance(1_000);
  await until(
    () => runtime.worker("poll")!.status.state === "failed",
    "failed",
  );
  const status = runtime.worker("poll")!.status;
  assert.equal(status.lastFailure?.code, "worker_failed");
  assert.doesNotMatch(JSON.stringify(status), /hunter2/);
  await clock.advance(10_000);
  assert.deepEqual(task.starts, [0, 1_000]);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.detail.kind, "background");
});

test("continueOnError: a task error is recorded and the schedule goes on", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  task.script.push(new Error("one"), undefined, new Error("three"));
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, {
      interval: 1_000,
      continueOnError: true,
    }),
  });
  const failures = record(runtime, ["failure"]);
  await runtime.start("poll");
  await clock.advance(3_000);
  assert.deepEqual(task.starts, [0, 1_000, 2_000, 3_000]);
  const status = runtime.worker("poll")!.status;
  assert.equal(status.state, "running");
  assert.equal(status.ready, true);
  assert.deepEqual(
    failures.map((f) => [f.detail.kind, f.detail.code]),
    [["background", "worker_failed"], ["background", "worker_failed"]],
  );
  await runtime.stop("poll");
});

test("stop aborts the run in progress and waits for it; no failure is reported", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  let settled = false;
  runtime.register({
    name: "poll",
    worker: intervalWorker(
      (ctx) =>
        new Promise<void>((_, reject) => {
          task.contexts.push(ctx);
          ctx.signal.addEventListener("abort", () => {
            settled = true;
            reject(ctx.signal.reason);
          });
        }),
      { interval: 1_000, timeout: 60_000 },
    ),
  });
  await runtime.start("poll");
  const failures = record(runtime, ["failure"]);
  await runtime.stop("poll");
  assert.equal(settled, true);
  assert.equal(task.contexts[0]!.signal.reason.name, "AbortError");
  assert.equal(runtime.worker("poll")!.status.state, "stopped");
  assert.equal(failures.length, 0);
  assert.equal(clock.pending, 0, "no timer left behind");
});

test("drain ends the schedule: the run in progress finishes, no new run starts", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  const running = deferred();
  task.script.push(undefined, running);
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, { interval: 1_000 }),
  });
  await runtime.start("poll");
  await clock.advance(1_000);
  assert.deepEqual(task.starts, [0, 1_000]);
  const failures = record(runtime, ["failure"]);
  await runtime.drain("poll");
  assert.equal(task.contexts[1]!.drainSignal.aborted, true);
  assert.equal(task.contexts[1]!.signal.aborted, false);
  running.resolve();
  await clock.advance(5_000);
  assert.deepEqual(task.starts, [0, 1_000]);
  assert.equal(runtime.worker("poll")!.status.state, "draining");
  assert.equal(failures.length, 0);
  await runtime.stop("poll");
  assert.equal(runtime.worker("poll")!.status.state, "stopped");
});

test("a jitter that returns a bad wait fails the worker with invalid_argument", async () => {
  const { runtime, clock } = setup();
  const task = new ScriptedTask(clock);
  runtime.register({
    name: "poll",
    worker: intervalWorker(task.task, { interval: 1_000, jitter: () => NaN }),
  });
  await runtime.start("poll");
  await until(
    () => runtime.worker("poll")!.status.state === "failed",
    "failed",
  );
  assert.equal(
    runtime.worker("poll")!.status.lastFailure?.code,
    "invalid_argument",
  );
  assert.deepEqual(task.starts, [0]);
});

test("the clock option and heartbeats: every run heartbeats, timers come from options.clock", async () => {
  const clock = new ManualClock(T0);
  const log: string[] = [];
  const handle: WorkerHandle = {
    name: "poll",
    qualifiedName: "test/poll",
    setReady: (ready) => void log.push(`ready:${ready}`),
    setAcceptingWork: () => {},
    reportFailure: () => void log.push("failure"),
    heartbeat: () => void log.push("heartbeat"),
    recordFailure: () => void log.push("recordFailure"),
    beginCheck: () => undefined,
    status: () => ({}) as WorkerStatus,
  };
  const worker = intervalWorker(() => void log.push("run"), {
    interval: 1_000,
    clock,
  });
  const ctx: WorkerContext = {
    signal: new AbortController().signal,
    drainSignal: new AbortController().signal,
    worker: handle,
    clock: clock,
  };
  await worker.start(ctx);
  await clock.advance(2_000);
  assert.deepEqual(log, [
    "heartbeat", // once at launch (loopWorker)
    "heartbeat",
    "run",
    "heartbeat",
    "run",
    "heartbeat",
    "run",
  ]);
  await worker.stop({ ...ctx, signal: new AbortController().signal });
  assert.equal(clock.pending, 0);
});

test("intervalWorker() rejects bad arguments with invalid_argument", () => {
  const ok = () => {};
  const bad: Array<() => unknown> = [
    () => intervalWorker("x" as never, { interval: 1 }),
    () => intervalWorker(ok, undefined as never),
    () => intervalWorker(ok, { interval: 0 }),
    () => intervalWorker(ok, { interval: -5 }),
    () => intervalWorker(ok, { interval: NaN }),
    () => intervalWorker(ok, { interval: Infinity }),
    () => intervalWorker(ok, { interval: "1000" as never }),
    () => intervalWorker(ok, { interval: 1, initialDelay: -1 }),
    () => intervalWorker(ok, { interval: 1, initialDelay: Infinity }),
    () => intervalWorker(ok, { interval: 1, timeout: 0 }),
    () => intervalWorker(ok, { interval: 1, timeout: 2 ** 31 }),
    () => intervalWorker(ok, { interval: 1, jitter: 3 as never }),
    () => intervalWorker(ok, { interval: 1, continueOnError: "yes" as never }),
    () => intervalWorker(ok, { interval: 1, runImmediately: 1 as never }),
    () => intervalWorker(ok, { interval: 1, clock: {} as never }),
  ];
  for (const make of bad) {
    assert.throws(make, (e) => code(e) === "invalid_argument", String(make));
  }
});

test("no unhandled rejections", assertNoUnhandled);
