import { test } from "node:test";
import assert from "node:assert/strict";
import { OperationalFailure, systemClock } from "../mod.ts";
import type {
  Runtime,
  WorkerContext,
  WorkerHandle,
  WorkerStatus,
} from "../mod.ts";
import { type LoopContext, loopWorker } from "../mod.ts";
import { code, setup } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { type Deferred, deferred, record, until } from "./_support/workers.ts";

/** A loop the test steers: it records its contexts and settles on command. */
class ScriptedLoop {
  readonly contexts: LoopContext[] = [];
  readonly runs: Array<Deferred<void>> = [];
  /** When true, each loop ends as soon as its signal aborts. */
  honoursSignal = true;

  readonly loop = (ctx: LoopContext): Promise<void> => {
    this.contexts.push(ctx);
    const run = deferred();
    this.runs.push(run);
    if (this.honoursSignal) {
      ctx.signal.addEventListener(
        "abort",
        () => run.reject(ctx.signal.reason),
        {
          once: true,
        },
      );
    }
    return run.promise;
  };

  get current(): Deferred<void> {
    return this.runs.at(-1)!;
  }
}

/** An onStop hook whose calls the test answers one by one. */
class ScriptedCleanup {
  readonly contexts: WorkerContext[] = [];
  /** Per call: an error to throw, "hang", a gate to wait for, or undefined to succeed. */
  readonly script: Array<Error | "hang" | Deferred<void> | undefined> = [];

  readonly onStop = (ctx: WorkerContext): Promise<void> => {
    this.contexts.push(ctx);
    const step = this.script.shift();
    if (step === "hang") return new Promise(() => {});
    if (step instanceof Error) return Promise.reject(step);
    return step ? step.promise : Promise.resolve();
  };

  get calls(): number {
    return this.contexts.length;
  }
}

/**
 * Registers "ingest" as a loopWorker over a new ScriptedLoop, with a new
 * ScriptedCleanup as its onStop hook.
 */
function registerLoop(
  runtime: Runtime,
  settings: { startTimeout?: number; stopTimeout?: number } = {},
  onStart?: () => Promise<void>,
): { loop: ScriptedLoop; cleanup: ScriptedCleanup } {
  const loop = new ScriptedLoop();
  const cleanup = new ScriptedCleanup();
  runtime.register({
    name: "ingest",
    ...settings,
    worker: loopWorker(
      loop.loop,
      onStart
        ? { onStart, onStop: cleanup.onStop }
        : { onStop: cleanup.onStop },
    ),
  });
  return { loop, cleanup };
}

test("loopWorker() runs onStart, launches the loop with its own signal and heartbeats once", async () => {
  const { runtime } = setup();
  const log: string[] = [];
  const loop = new ScriptedLoop();
  let startCtx: WorkerContext | undefined;
  runtime.register({
    name: "ingest",
    worker: loopWorker((ctx) => {
      log.push("loop");
      return loop.loop(ctx);
    }, {
      onStart: (ctx) => {
        startCtx = ctx;
        log.push("onStart");
      },
      onStop: () => void log.push("onStop"),
    }),
  });
  await runtime.start("ingest");
  assert.deepEqual(log, ["onStart", "loop"]);
  const status = runtime.worker("ingest")!.status;
  assert.equal(status.state, "running");
  assert.equal(status.ready, true, "autoReady defaults to true");
  const ctx = loop.contexts[0]!;
  assert.notEqual(ctx.signal, startCtx!.signal, "the loop's signal is its own");
  assert.equal(ctx.drainSignal, startCtx!.drainSignal);
  assert.equal(ctx.worker, startCtx!.worker);
  assert.equal(ctx.signal.aborted, false);
  await runtime.stop("ingest");
  assert.equal(ctx.signal.aborted, true, "stop aborts the loop's signal");
  assert.deepEqual(log, ["onStart", "loop", "onStop"]);
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
});

test("stop() waits for the loop to settle before it runs onStop", async () => {
  const { runtime } = setup();
  const log: string[] = [];
  const loop = new ScriptedLoop();
  loop.honoursSignal = false;
  runtime.register({
    name: "ingest",
    worker: loopWorker(loop.loop, { onStop: () => void log.push("onStop") }),
  });
  await runtime.start("ingest");
  const stopping = runtime.stop("ingest").then(() => log.push("stopped"));
  await until(() => loop.contexts[0]!.signal.aborted, "loop signal aborted");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(log.length, 0, "onStop waits for the loop");
  log.push("loop done");
  loop.current.resolve();
  await stopping;
  assert.deepEqual(log, ["loop done", "onStop", "stopped"]);
});

test("a loop that returns before stop fails the worker with loop_exited and is cleaned up once", async () => {
  const { runtime } = setup();
  const { loop, cleanup } = registerLoop(runtime);
  await runtime.start("ingest");
  const failures = record(runtime, ["failure"]);
  loop.current.resolve();
  await until(() => cleanup.calls === 1, "automatic cleanup");
  const status = runtime.worker("ingest")!.status;
  assert.equal(status.state, "failed");
  assert.equal(status.lastFailure?.code, "loop_exited");
  assert.equal(status.lastFailure?.message, "loop exited unexpectedly");
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.detail.kind, "background");
  assert.equal(code(failures[0]!.detail.cause), "loop_exited");
  // stop finds the cleanup done and does not run it again
  await runtime.stop("ingest");
  assert.equal(cleanup.calls, 1);
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
});

test("a loop that throws fails the worker with the projected code, never the private text", async () => {
  const { runtime } = setup();
  const loop = new ScriptedLoop();
  runtime.register({ name: "a", worker: loopWorker(loop.loop) });
  runtime.register({ name: "b", worker: loopWorker(loop.loop) });
  await runtime.startAll();
  const failures = record(runtime, ["failure"]);
  const secret = new Error("broker password=hunter2 rejected");
  loop.runs[0]!.reject(secret);
  loop.runs[1]!.reject(
    new OperationalFailure(
      { code: "broker_unavailable", message: "broker unavailable" },
      { cause: secret },
    ),
  );
  await until(
    () => failures.length === 2,
    "both failures reported",
  );
  const a = runtime.worker("a")!.status;
  assert.equal(a.state, "failed");
  assert.equal(a.lastFailure?.code, "worker_failed");
  assert.doesNotMatch(JSON.stringify(a), /hunter2/);
  assert.equal(failures[0]!.detail.cause, secret);
  const b = runtime.worker("b")!.status;
  assert.equal(b.state, "failed");
  assert.equal(b.lastFailure?.code, "broker_unavailable");
  await runtime.stopAll();
});

test("a synchronous loop that throws or returns at once is reported like an async one", async () => {
  const { runtime } = setup();
  runtime.register({
    name: "throws",
    worker: loopWorker(() => {
      throw new Error("boom");
    }),
  });
  runtime.register({ name: "returns", worker: loopWorker(() => {}) });
  await runtime.startAll();
  await until(
    () =>
      runtime.worker("throws")!.status.state === "failed" &&
      runtime.worker("returns")!.status.state === "failed",
    "both failed",
  );
  assert.equal(
    runtime.worker("throws")!.status.lastFailure?.code,
    "worker_failed",
  );
  assert.equal(
    runtime.worker("returns")!.status.lastFailure?.code,
    "loop_exited",
  );
});

test("a loop that ignores its signal: stop returns at stopTimeout with deadline_exceeded", async () => {
  const { runtime, clock } = setup();
  const { loop, cleanup } = registerLoop(runtime, { stopTimeout: 2_000 });
  loop.honoursSignal = false;
  await runtime.start("ingest");
  const stopped = runtime.stop("ingest").then(() => "resolved", (e) => e);
  await until(() => loop.contexts[0]!.signal.aborted, "loop signal aborted");
  await clock.advance(1_999);
  assert.equal(runtime.worker("ingest")!.status.state, "stopping");
  await clock.advance(1);
  assert.equal(code(await stopped), "deadline_exceeded");
  assert.equal(runtime.worker("ingest")!.status.state, "failed");
  assert.equal(cleanup.calls, 0, "no cleanup while the loop still runs");
  // the old loop still runs, so a new one must not start
  await assert.rejects(
    runtime.start("ingest"),
    (e) => code(e) === "loop_worker_active",
  );
  assert.equal(loop.contexts.length, 1);
  // once the loop lets go, its cleanup runs by itself, and start works again
  loop.current.resolve();
  await until(() => cleanup.calls === 1, "cleanup after the loop ended");
  await clock.advance(0);
  loop.honoursSignal = true;
  await runtime.start("ingest");
  assert.equal(loop.contexts.length, 2);
  assert.equal(runtime.worker("ingest")!.status.state, "running");
  await runtime.stop("ingest");
});

test("a cleanup that fails twice then succeeds: start refused until a stop's retry succeeds", async () => {
  const { runtime } = setup();
  const { loop, cleanup } = registerLoop(runtime);
  cleanup.script.push(
    new Error("close failed: token=abc"),
    new Error("close failed again"),
    undefined,
  );
  await runtime.start("ingest");
  const failures = record(runtime, ["failure"]);

  // 1. the loop exits; the automatic cleanup fails and is recorded
  loop.current.resolve();
  await until(() => failures.length === 2, "exit and cleanup failures");
  assert.deepEqual(
    failures.map((f) => [f.detail.kind, f.detail.code]),
    [["background", "loop_exited"], ["loop_cleanup", "loop_cleanup_failed"]],
  );
  let status = runtime.worker("ingest")!.status;
  assert.equal(
    status.state,
    "failed",
    "recording the cleanup failure changes no state",
  );
  assert.equal(status.lastFailure?.code, "loop_cleanup_failed");
  assert.doesNotMatch(JSON.stringify(status), /token=abc/);
  assert.equal(cleanup.calls, 1);
  assert.equal(cleanup.contexts[0]!.signal.aborted, false);

  // 2. start refuses while the cleanup is pending
  await assert.rejects(
    runtime.start("ingest"),
    (e) => code(e) === "loop_worker_active",
  );
  assert.equal(loop.contexts.length, 1, "no second loop");
  assert.equal(
    runtime.worker("ingest")!.status.lastFailure?.code,
    "loop_worker_active",
  );

  // 3. stop retries the cleanup, which fails again: stop throws its error
  await assert.rejects(runtime.stop("ingest"), /close failed again/);
  assert.equal(cleanup.calls, 2);
  status = runtime.worker("ingest")!.status;
  assert.equal(status.state, "failed");
  await assert.rejects(
    runtime.start("ingest"),
    (e) => code(e) === "loop_worker_active",
  );

  // 4. the next stop retries and succeeds
  await runtime.stop("ingest");
  assert.equal(cleanup.calls, 3);
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");

  // 5. start works, with a new loop
  await runtime.start("ingest");
  assert.equal(loop.contexts.length, 2);
  assert.equal(runtime.worker("ingest")!.status.state, "running");
  await runtime.stop("ingest");
  assert.equal(cleanup.calls, 4);
});

test("only one cleanup runs at a time: a stop during the automatic cleanup waits for it", async () => {
  const { runtime } = setup();
  const { loop, cleanup } = registerLoop(runtime);
  const gate = deferred();
  cleanup.script.push(gate);
  await runtime.start("ingest");
  loop.current.resolve();
  await until(() => cleanup.calls === 1, "automatic cleanup running");
  let stopped = false;
  const stopping = runtime.stop("ingest").then(() => {
    stopped = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(cleanup.calls, 1, "the stop does not start a second cleanup");
  assert.equal(stopped, false, "the stop waits for the one in flight");
  gate.resolve();
  await stopping;
  assert.equal(cleanup.calls, 1);
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
});

test("a stop waiting for a failed automatic cleanup retries it once with its own deadline", async () => {
  const { runtime } = setup();
  const { loop, cleanup } = registerLoop(runtime, { stopTimeout: 7_000 });
  const gate = deferred();
  cleanup.script.push(gate, undefined);
  await runtime.start("ingest");
  loop.current.resolve();
  await until(() => cleanup.calls === 1, "automatic cleanup running");
  const stopping = runtime.stop("ingest");
  await new Promise((resolve) => setTimeout(resolve, 0));
  gate.reject(new Error("flush failed"));
  await stopping;
  assert.equal(cleanup.calls, 2);
  assert.notEqual(
    cleanup.contexts[1]!.signal,
    cleanup.contexts[0]!.signal,
    "the retry runs under the stop's own signal",
  );
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
});

test("the automatic cleanup has a fixed 5 s deadline on the runtime's clock", async () => {
  const { runtime, clock } = setup();
  const { loop, cleanup } = registerLoop(runtime);
  cleanup.script.push("hang");
  await runtime.start("ingest");
  const failures = record(runtime, ["failure"]);
  loop.current.resolve();
  await until(() => cleanup.calls === 1, "automatic cleanup running");
  const signal = cleanup.contexts[0]!.signal;
  await clock.advance(4_999);
  assert.equal(signal.aborted, false);
  await clock.advance(1);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason.name, "TimeoutError");
  await until(() => failures.length === 2, "cleanup deadline recorded");
  assert.equal(failures[1]!.detail.kind, "loop_cleanup");
  assert.equal(failures[1]!.detail.code, "deadline_exceeded");
  // the hung attempt is still the one in flight: start and stop wait for it, bounded
  await assert.rejects(
    runtime.start("ingest", {
      signal: AbortSignal.abort(new Error("gave up")),
    }),
    /gave up/,
  );
  assert.equal(cleanup.calls, 1, "no overlapping cleanup");
});

test("a failing onStart fails start; the loop never runs and onStop is not called", async () => {
  const { runtime } = setup();
  const loop = new ScriptedLoop();
  const cleanup = new ScriptedCleanup();
  const boom = new Error("connect refused");
  let fail = true;
  runtime.register({
    name: "ingest",
    worker: loopWorker(loop.loop, {
      onStart: () => {
        if (fail) throw boom;
      },
      onStop: cleanup.onStop,
    }),
  });
  await assert.rejects(runtime.start("ingest"), (e) => e === boom);
  assert.equal(loop.contexts.length, 0);
  assert.equal(runtime.worker("ingest")!.status.state, "failed");
  await runtime.stop("ingest");
  assert.equal(cleanup.calls, 0);
  fail = false;
  await runtime.start("ingest");
  assert.equal(loop.contexts.length, 1);
  await runtime.stop("ingest");
  assert.equal(cleanup.calls, 1);
});

test("a start abandoned at its deadline during onStart never launches the loop and cleans up", async () => {
  const { runtime, clock } = setup();
  const connecting = deferred();
  const { loop, cleanup } = registerLoop(
    runtime,
    { startTimeout: 1_000 },
    () => connecting.promise,
  );
  const started = runtime.start("ingest").then(() => "resolved", (e) => e);
  await clock.advance(1_000);
  assert.equal(code(await started), "deadline_exceeded");
  connecting.resolve();
  await until(() => cleanup.calls === 1, "cleanup of the abandoned start");
  assert.equal(loop.contexts.length, 0, "no loop nobody would stop");
  await runtime.start("ingest");
  assert.equal(loop.contexts.length, 1);
  await runtime.stop("ingest");
});

test("start heartbeats once and, with autoReady: false, marks unready before the loop runs", async () => {
  const log: string[] = [];
  const handle: WorkerHandle = {
    name: "a",
    qualifiedName: "test/a",
    setReady: (ready) => void log.push(`setReady(${ready})`),
    setAcceptingWork: () => {},
    reportFailure: () => void log.push("reportFailure"),
    heartbeat: () => void log.push("heartbeat"),
    recordFailure: () => void log.push("recordFailure"),
    beginCheck: () => undefined,
    status: () => ({}) as WorkerStatus,
  };
  const worker = loopWorker(({ signal }) => {
    log.push("loop");
    return new Promise((resolve) =>
      signal.addEventListener("abort", () => resolve())
    );
  }, { autoReady: false, onStart: () => void log.push("onStart") });
  const ctx: WorkerContext = {
    signal: new AbortController().signal,
    drainSignal: new AbortController().signal,
    worker: handle,
    clock: systemClock,
  };
  await worker.start(ctx);
  assert.deepEqual(log, ["onStart", "heartbeat", "setReady(false)", "loop"]);
  await worker.stop(ctx);
  assert.deepEqual(log, ["onStart", "heartbeat", "setReady(false)", "loop"]);
});

test("a stop that arrives during an abandoned start waits for it and runs the cleanup once", async () => {
  const { runtime, clock } = setup();
  const connecting = deferred();
  const { loop, cleanup } = registerLoop(
    runtime,
    { startTimeout: 1_000 },
    () => connecting.promise,
  );
  const started = runtime.start("ingest").catch((e) => e);
  await clock.advance(1_000);
  assert.equal(code(await started), "deadline_exceeded");
  let stopped = false;
  const stopping = runtime.stop("ingest").then(() => {
    stopped = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(stopped, false, "stop waits for the start still running");
  connecting.resolve();
  await stopping;
  assert.equal(cleanup.calls, 1);
  assert.equal(loop.contexts.length, 0);
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
});

test("autoReady: false leaves the worker unready until the loop marks itself ready", async () => {
  const { runtime } = setup();
  const warm = deferred();
  runtime.register({
    name: "slow",
    worker: loopWorker(async ({ signal, worker }) => {
      await warm.promise;
      worker.setReady(true);
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
    }, { autoReady: false }),
  });
  runtime.register({
    name: "eager",
    worker: loopWorker(async ({ signal, worker }) => {
      worker.setReady(true); // before its first await: still during start
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
    }, { autoReady: false }),
  });
  await runtime.startAll();
  assert.equal(runtime.worker("slow")!.status.state, "running");
  assert.equal(runtime.worker("slow")!.status.ready, false);
  assert.equal(runtime.worker("eager")!.status.ready, true);
  assert.equal(runtime.status().ready, false);
  warm.resolve();
  await until(() => runtime.worker("slow")!.status.ready, "slow ready");
  assert.equal(runtime.status().ready, true);
  await runtime.stopAll();
});

test("a loop that ends because drain began is not a failure; its cleanup runs at stop", async () => {
  const { runtime } = setup();
  const cleanup = new ScriptedCleanup();
  let ended = false;
  runtime.register({
    name: "a",
    worker: loopWorker(async ({ drainSignal }) => {
      await new Promise((resolve) =>
        drainSignal.addEventListener("abort", resolve)
      );
      ended = true;
    }, { onStop: cleanup.onStop }),
  });
  runtime.register({
    name: "b",
    worker: loopWorker(({ drainSignal }) =>
      new Promise((_, reject) =>
        drainSignal.addEventListener("abort", () => reject(drainSignal.reason))
      )
    ),
  });
  await runtime.startAll();
  const failures = record(runtime, ["failure"]);
  await runtime.drainAll();
  await until(() => ended, "loop ended on drain");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(runtime.worker("a")!.status.state, "draining");
  assert.equal(runtime.worker("b")!.status.state, "draining");
  assert.equal(failures.length, 0);
  assert.equal(cleanup.calls, 0, "cleanup belongs to the stop");
  await runtime.stopAll();
  assert.equal(cleanup.calls, 1);
  assert.equal(runtime.worker("a")!.status.state, "stopped");
});

test("a loop error thrown while stopping is recorded; stop still completes and cleans up", async () => {
  const { runtime } = setup();
  const cleanup = new ScriptedCleanup();
  runtime.register({
    name: "a",
    worker: loopWorker(
      ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener(
            "abort",
            () => reject(new Error("flush lost rows")),
          )
        ),
      { onStop: cleanup.onStop },
    ),
  });
  await runtime.start("a");
  const failures = record(runtime, ["failure"]);
  await runtime.stop("a");
  assert.equal(runtime.worker("a")!.status.state, "stopped");
  assert.equal(runtime.worker("a")!.status.lastFailure?.code, "worker_failed");
  assert.equal(failures.length, 1);
  assert.equal(cleanup.calls, 1);
});

test("a loop worker starts again after stop with a new loop and a new signal", async () => {
  const { runtime } = setup();
  const loop = new ScriptedLoop();
  runtime.register({ name: "a", worker: loopWorker(loop.loop) });
  await runtime.start("a");
  await runtime.stop("a");
  await runtime.start("a");
  assert.equal(loop.contexts.length, 2);
  assert.equal(loop.contexts[0]!.signal.aborted, true);
  assert.equal(loop.contexts[1]!.signal.aborted, false);
  assert.throws(
    () => loop.contexts[0]!.worker.status(),
    (e) => code(e) === "invalid_worker_state",
  );
  assert.equal(loop.contexts[1]!.worker.status().state, "running");
  await runtime.stop("a");
});

test("a loop that calls a stale handle after its generation ended causes no unhandled rejection", async () => {
  const { runtime, clock } = setup();
  const loop = new ScriptedLoop();
  loop.honoursSignal = false;
  runtime.register({
    name: "a",
    stopTimeout: 100,
    worker: loopWorker(loop.loop),
  });
  await runtime.start("a");
  const stopped = runtime.stop("a").catch((e) => e);
  await until(() => loop.contexts[0]!.signal.aborted, "stop began");
  await clock.advance(100);
  assert.equal(code(await stopped), "deadline_exceeded");
  // the loop ends long after its generation: it throws, and nothing escapes
  loop.current.reject(new Error("late"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(runtime.worker("a")!.status.state, "failed");
  assert.throws(() => loop.contexts[0]!.worker.heartbeat());
});

test("shutdown with an expired signal starts the cleanup as soon as the loop lets go", async () => {
  const { runtime } = setup();
  const cleanup = new ScriptedCleanup();
  let loopSignal: AbortSignal | undefined;
  runtime.register({
    name: "a",
    worker: loopWorker(async ({ signal }) => {
      loopSignal = signal;
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
      await Promise.resolve(); // a little work on the way out
    }, { onStop: cleanup.onStop }),
  });
  await runtime.start("a");
  await assert.rejects(
    runtime.shutdown({ signal: AbortSignal.abort(new Error("no time")) }),
    (e) => code(e) === "deadline_exceeded",
  );
  assert.equal(loopSignal!.aborted, true);
  await until(() => cleanup.calls === 1, "cleanup after a forced stop");
});

test("with a restart policy a loop exit restarts the worker with a new loop", async () => {
  const { runtime, clock } = setup();
  const loop = new ScriptedLoop();
  const cleanup = new ScriptedCleanup();
  runtime.register({
    name: "a",
    restart: { backoff: { delay: () => 1_000 } },
    worker: loopWorker(loop.loop, { onStop: cleanup.onStop }),
  });
  await runtime.start("a");
  loop.current.resolve();
  await until(() => cleanup.calls === 1, "old loop cleaned up");
  await clock.advance(1_000);
  await until(() => loop.contexts.length === 2, "a new loop");
  await until(
    () => runtime.worker("a")!.status.state === "running",
    "running again",
  );
  assert.equal(runtime.worker("a")!.status.restarts, 1);
  assert.equal(cleanup.calls, 1);
  await runtime.stop("a");
  assert.equal(cleanup.calls, 2);
});

test("loopWorker() rejects bad arguments with invalid_argument", () => {
  for (
    const make of [
      () => loopWorker(42 as never),
      () => loopWorker(() => {}, null as never),
      () => loopWorker(() => {}, { onStart: "x" as never }),
      () => loopWorker(() => {}, { onStop: 1 as never }),
      () => loopWorker(() => {}, { autoReady: "no" as never }),
    ]
  ) {
    assert.throws(make, (e) => code(e) === "invalid_argument");
  }
});

test("no unhandled rejections", assertNoUnhandled);
