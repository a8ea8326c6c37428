// Regressions for the lifecycle defects of issue 12 (items 1–7): each test
// reproduces the defect as the issue describes it, through the public API,
// on a manual clock or by aborting signals by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attempts, constant, WorkerkitError } from "../mod.ts";
import type { WorkerContext, WorkerHandle } from "../mod.ts";
import { settle } from "./_support/manual_clock.ts";
import { code, setup } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, record, ScriptedWorker, until } from "./_support/workers.ts";

/** A worker whose first start succeeds and whose later starts do what `later` says. */
class Supervised {
  readonly contexts: WorkerContext[] = [];
  starts = 0;
  stops = 0;
  readonly later: (n: number) => void | Promise<void>;
  constructor(later: (n: number) => void | Promise<void> = () => {}) {
    this.later = later;
  }
  start = (ctx: WorkerContext): void | Promise<void> => {
    this.starts++;
    this.contexts.push(ctx);
    if (this.starts > 1) return this.later(this.starts);
  };
  stop = (): void => {
    this.stops++;
  };
  get handle(): WorkerHandle {
    return this.contexts.at(-1)!.worker;
  }
}

/** Whether `promise` has settled, checked without waiting on it. */
function tracked(promise: Promise<unknown>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => void (state.settled = true),
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

test(
  "regression: a crash-looping supervised worker does not starve other lifecycle calls",
  async () => {
    const { clock, runtime } = setup();
    const a = new Supervised(() => {
      throw new Error("connect refused");
    });
    runtime.register({
      name: "a",
      worker: a,
      restart: {
        backoff: attempts(1000, { backoff: constant(30) }),
        maxRestarts: 1,
        withinMs: 20,
      },
    });
    runtime.register({ name: "b", worker: { start() {}, stop() {} } });
    await runtime.startAll();
    a.handle.reportFailure(new Error("crash"));
    const stopB = tracked(runtime.stop("b"));
    for (let i = 0; i < 10 && !stopB.settled; i++) await clock.advance(30);
    await until(() => stopB.settled, "stop(b) between restart attempts", 200);
    assert.equal(stopB.error, undefined);
    assert.equal(runtime.worker("b")!.status.state, "stopped");
    await runtime.shutdown();
  },
);

test("regression: stopAll cancels a restart that became pending while it ran", async () => {
  const { clock, runtime } = setup();
  const s = new Supervised();
  runtime.register({
    name: "s",
    worker: s,
    restart: { backoff: attempts(100, { backoff: constant(10) }) },
  });
  const other = new ScriptedWorker();
  runtime.register({ name: "other", worker: other });
  await runtime.startAll();
  const gate = deferred();
  other.stopGates.push(gate);
  const stopping = runtime.stopAll();
  await until(() => other.calls.includes("stop"), "other stopping");
  s.handle.reportFailure(new Error("crash"));
  gate.resolve();
  await stopping.catch(() => {});
  for (let i = 0; i < 10; i++) await clock.advance(10);
  for (const w of runtime.workers()) {
    assert.ok(
      w.status.state !== "running" && w.status.state !== "starting",
      `${w.name} is ${w.status.state} after stopAll() resolved`,
    );
  }
  assert.equal(s.starts, 1, "no restart after stopAll()");
  await runtime.shutdown();
});

test(
  "regression: stop() of a worker waiting out its restart backoff cancels the restart",
  async () => {
    const { clock, runtime } = setup();
    const s = new Supervised();
    runtime.register({
      name: "s",
      worker: s,
      restart: { backoff: attempts(100, { backoff: constant(1_000) }) },
    });
    await runtime.start("s");
    s.handle.reportFailure(new Error("crash"));
    await until(() => s.stops === 1, "the failed generation stopped");
    const stop = tracked(runtime.stop("s"));
    for (let i = 0; i < 5; i++) await clock.advance(1_000);
    await until(() => stop.settled, "stop() settled");
    assert.equal(stop.error, undefined);
    assert.equal(s.starts, 1, "no restart after stop()");
    assert.equal(runtime.worker("s")!.status.state, "stopped");
    await runtime.shutdown();
  },
);

test(
  "regression: restarts equals the restart transitions when restarted starts fail first",
  async () => {
    const { clock, runtime } = setup();
    const s = new Supervised((n) => {
      if (n <= 3) throw new Error("connect refused");
    });
    runtime.register({
      name: "s",
      worker: s,
      restart: {
        backoff: attempts(100, { backoff: constant(10) }),
        maxRestarts: 10,
      },
    });
    const events = record(runtime, ["transition"]);
    await runtime.start("s");
    s.handle.reportFailure(new Error("crash"));
    for (let i = 0; i < 20 && s.starts < 4; i++) await clock.advance(10);
    await until(
      () => runtime.worker("s")!.status.state === "running",
      "running again",
    );
    const transitions =
      events.filter((e) => e.detail.worker && e.detail.reason === "restart")
        .length;
    const { restarts } = runtime.worker("s")!.status;
    assert.equal(s.starts, 4);
    assert.equal(restarts, transitions);
    assert.equal(restarts, s.starts - 1, "one restart per restarted start");
    await runtime.shutdown();
  },
);

test("regression: restarts counts only restart attempts that call start", async () => {
  const { clock, runtime } = setup();
  const s = new Supervised(() => new Promise<void>(() => {}));
  runtime.register({
    name: "s",
    worker: s,
    startTimeout: 20,
    restart: {
      backoff: attempts(100_000, { backoff: constant(1) }),
      maxRestarts: 100_000,
    },
  });
  const events = record(runtime, ["transition"]);
  await runtime.start("s");
  s.handle.reportFailure(new Error("crash"));
  for (let i = 0; i < 50; i++) await clock.advance(20);
  const { restarts } = runtime.worker("s")!.status;
  const transitions =
    events.filter((e) => e.detail.worker && e.detail.reason === "restart")
      .length;
  assert.ok(
    restarts <= s.starts - 1,
    `${restarts} restarts counted, start called ${s.starts} times`,
  );
  assert.equal(restarts, transitions);
  await runtime.shutdown({ signal: AbortSignal.abort() }).catch(() => {});
});

test(
  "regression: a forced stop at the shutdown deadline calls stop once per generation",
  async () => {
    const { runtime } = setup();
    let stops = 0;
    const hung = deferred();
    runtime.register({
      name: "a",
      worker: {
        start() {},
        stop() {
          stops++;
          throw new Error("stop failed");
        },
      },
      commands: [{ name: "hang", handler: () => hung.promise }],
    });
    await runtime.start("a");
    const command = runtime.dispatch({ worker: "a", name: "hang" });
    command.catch(() => {});
    const deadline = new AbortController();
    const shutdown = runtime.shutdown({ signal: deadline.signal });
    await settle();
    deadline.abort(new DOMException("deadline", "TimeoutError"));
    const error = await shutdown.then(() => undefined, (e: unknown) => e);
    assert.equal(code(error), "deadline_exceeded");
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(stops, 1);
    hung.resolve();
  },
);

test("regression: generations of one name never overlap across unregister", async () => {
  const { clock, runtime } = setup();
  let active = 0;
  let most = 0;
  const gates = [deferred(), deferred()];
  let n = 0;
  const worker = {
    async start() {
      active++;
      most = Math.max(most, active);
      try {
        await gates[n++]!.promise;
      } finally {
        active--;
      }
    },
    stop() {},
  };
  runtime.register({ name: "a", worker, startTimeout: 20 });
  const first = runtime.start("a").then(() => undefined, (e: unknown) => e);
  await settle();
  await clock.advance(20);
  assert.equal(code(await first), "deadline_exceeded");
  const removed = await runtime.unregister("a").then(
    () => true,
    (error: unknown) => {
      assert.equal(code(error), "invalid_worker_state");
      return false;
    },
  );
  if (removed) {
    runtime.register({ name: "a", worker, startTimeout: 20 });
    const second = runtime.start("a");
    second.catch(() => {});
    await settle();
    await clock.advance(5);
  }
  assert.equal(most, 1, "two start calls ran at once");
  gates[0]!.resolve();
  gates[1]!.resolve();
  await until(() => active === 0, "starts settled");
  await runtime.unregister("a").catch(() => {});
  await runtime.shutdown({ signal: AbortSignal.abort() }).catch(() => {});
});

test(
  "regression: a stop cancelled by its caller still ends at the worker's stop deadline",
  async () => {
    const { clock, runtime } = setup();
    const worker = new ScriptedWorker();
    runtime.register({ name: "a", worker, stopTimeout: 50 });
    await runtime.start("a");
    worker.stopGates.push("hang");
    const caller = new AbortController();
    const stop = runtime.stop("a", { signal: caller.signal });
    await clock.advance(10);
    caller.abort(new DOMException("caller gave up", "TimeoutError"));
    await assert.rejects(stop);
    assert.equal(runtime.worker("a")!.status.state, "stopping");
    await clock.advance(40);
    await settle();
    const status = runtime.worker("a")!.status;
    assert.equal(status.state, "failed");
    assert.equal(status.lastFailure?.code, "deadline_exceeded");
    await runtime.shutdown({ signal: AbortSignal.abort() }).catch(() => {});
  },
);

test("regression: every call shutdown preempts rejects with a WorkerkitError", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  runtime.register({ name: "a", worker });
  runtime.register({ name: "b", worker: new ScriptedWorker() });
  worker.startGates.push("hang");
  const outcome = (call: Promise<void>) =>
    call.then(() => undefined, (error: unknown) => error);
  const running = outcome(runtime.start("a"));
  const queued = outcome(runtime.start("b"));
  await until(() => worker.calls.includes("start"), "start of a");
  const shutdown = outcome(runtime.shutdown({ signal: AbortSignal.abort() }));
  for (const [what, call] of [["running", running], ["queued", queued]]) {
    const error = await call;
    assert.ok(
      error instanceof WorkerkitError,
      `the ${what} call rejected with ${String(error)}`,
    );
    assert.equal(error.code, "runtime_shut_down", `the ${what} call`);
  }
  await shutdown;
});

test("regression: a stopAll preempted by shutdown rejects with shutdown's WorkerkitError", async () => {
  const { runtime } = setup();
  const a = new ScriptedWorker();
  runtime.register({ name: "a", worker: a });
  runtime.register({ name: "b", worker: new ScriptedWorker() });
  await runtime.startAll();
  a.stopGates.push("hang");
  // Reverse order: b stops first, then a's stop hangs until shutdown preempts.
  const stopping = runtime.stopAll().then(() => undefined, (e: unknown) => e);
  await until(() => a.calls.includes("stop"), "stop of a");
  const shutdown = runtime.shutdown({ signal: AbortSignal.abort() })
    .catch(() => {});
  const error = await stopping;
  assert.ok(error instanceof WorkerkitError, `got ${String(error)}`);
  assert.equal(error.code, "runtime_shut_down");
  await shutdown;
});

test("no unhandled rejections", assertNoUnhandled);
