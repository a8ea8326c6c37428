import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attempts,
  attemptsIf,
  constant,
  OperationalFailure,
  WorkerkitError,
} from "../mod.ts";
import type {
  Command,
  CommandContext,
  CommandEndEvent,
  CommandRequest,
  CommandResult,
  CommandStartEvent,
  FailureEvent,
  Observer,
  Runtime,
  RuntimeEvent,
} from "../mod.ts";
import {
  held,
  inFlight,
  refused,
  rejection,
  running,
} from "./_support/dispatch_setup.ts";
import { code, setup, T0 } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, ScriptedWorker, until } from "./_support/workers.ts";

// ── Helpers ─────────────────────────────────────────────────────────────

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: {
    settled: boolean;
    value?: T;
    error?: unknown;
    rejected: boolean;
  } = { settled: false, rejected: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.rejected = true;
      state.error = error;
    },
  );
  return state;
}

function ok(name = "cache/refresh", result: CommandResult = {}): Command {
  return { name, handler: () => result };
}

/** Records command and failure events from listeners. */
function listen(runtime: Runtime) {
  const starts: CommandStartEvent[] = [];
  const ends: CommandEndEvent[] = [];
  const failures: FailureEvent[] = [];
  runtime.addEventListener("commandstart", (e) => {
    starts.push((e as RuntimeEvent<CommandStartEvent>).detail);
  });
  runtime.addEventListener("commandend", (e) => {
    ends.push((e as RuntimeEvent<CommandEndEvent>).detail);
  });
  runtime.addEventListener("failure", (e) => {
    failures.push((e as RuntimeEvent<FailureEvent>).detail);
  });
  return { starts, ends, failures };
}

/** An Observer that records command starts, ends and failures. */
function observing(extra: Partial<Observer> = {}) {
  const starts: CommandStartEvent[] = [];
  const ends: CommandEndEvent[] = [];
  const failures: FailureEvent[] = [];
  const observer: Observer = {
    commandStart(e) {
      starts.push(e);
      return { end: (end) => void ends.push(end) };
    },
    failure(e) {
      failures.push(e);
    },
    ...extra,
  };
  return { observer, starts, ends, failures };
}

// ── Admission: names and lookup ─────────────────────────────────────────

test("dispatch() refuses a non-object request with invalid_argument", async () => {
  const { runtime } = await running([ok()]);
  for (const bad of [null, undefined, "ingest", 42, true]) {
    await refused(
      runtime.dispatch(bad as unknown as CommandRequest),
      "invalid_argument",
    );
  }
});

test("dispatch() refuses a malformed or non-string worker name with invalid_name", async () => {
  const { runtime } = await running([ok()]);
  const badWorkers: unknown[] = [
    "",
    "Ingest",
    "in gest",
    " ingest",
    "ingest/",
    "/ingest",
    "billing/ingest/x",
    "Billing/ingest",
    42,
    undefined,
    null,
    {},
  ];
  for (const worker of badWorkers) {
    await refused(
      runtime.dispatch({
        worker,
        name: "cache/refresh",
      } as unknown as CommandRequest),
      "invalid_name",
    );
  }
});

test("dispatch() refuses a malformed or non-string command name with invalid_name", async () => {
  const { runtime } = await running([ok()]);
  const badNames: unknown[] = [
    "",
    "Cache/refresh",
    "/cache",
    "cache/",
    "cache//refresh",
    " cache/refresh",
    "cache/refresh ",
    "cache.refresh",
    42,
    undefined,
    null,
  ];
  for (const name of badNames) {
    await refused(
      runtime.dispatch({ worker: "ingest", name } as unknown as CommandRequest),
      "invalid_name",
    );
    await refused(
      runtime.dispatch({
        worker: "billing/ingest",
        name,
      } as unknown as CommandRequest),
      "invalid_name",
    );
  }
});

test("dispatch() checks names first: an unknown worker with a malformed command name is invalid_name", async () => {
  const { runtime } = await running([ok()]);
  await refused(
    runtime.dispatch({ worker: "missing", name: "Bad Name" }),
    "invalid_name",
  );
  await refused(
    runtime.dispatch({ worker: "other/missing", name: "/x" }),
    "invalid_name",
  );
});

test("dispatch() refuses an unknown worker with valid names with worker_not_found", async () => {
  const { runtime } = await running([ok()]);
  await refused(
    runtime.dispatch({ worker: "missing", name: "cache/refresh" }),
    "worker_not_found",
  );
  await refused(
    runtime.dispatch({ worker: "billing/missing", name: "cache/refresh" }),
    "worker_not_found",
  );
});

test("dispatch() refuses the qualified name of another runtime's worker with worker_not_found", async () => {
  const { runtime } = await running([ok()]);
  await refused(
    runtime.dispatch({ worker: "shipping/ingest", name: "cache/refresh" }),
    "worker_not_found",
  );
});

test("dispatch() refuses an unknown command of a known worker with command_not_found", async () => {
  const { runtime } = await running([ok()]);
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/drop" }),
    "command_not_found",
  );
  await refused(
    runtime.dispatch({ worker: "billing/ingest", name: "cache" }),
    "command_not_found",
  );
});

test("dispatch() accepts both the local and the qualified worker name", async () => {
  const seen: string[] = [];
  const { runtime } = await running([{
    name: "cache/refresh",
    handler: (req) => {
      seen.push(req.worker);
      return { message: "refreshed" };
    },
  }]);
  assert.deepEqual(
    await runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    { message: "refreshed" },
  );
  assert.deepEqual(
    await runtime.dispatch({ worker: "billing/ingest", name: "cache/refresh" }),
    { message: "refreshed" },
  );
  assert.deepEqual(seen, ["ingest", "billing/ingest"]);
});

test("dispatch() refuses malformed options with invalid_argument and runs nothing", async () => {
  let calls = 0;
  const { runtime } = await running([{
    name: "cache/refresh",
    handler: () => void calls++,
  }]);
  const request = { worker: "ingest", name: "cache/refresh" };
  await refused(
    runtime.dispatch(request, null as unknown as { signal?: AbortSignal }),
    "invalid_argument",
  );
  await refused(
    runtime.dispatch(request, {
      signal: "soon" as unknown as AbortSignal,
    }),
    "invalid_argument",
  );
  assert.equal(calls, 0);
  assert.equal(runtime.status().inFlight, 0);
});

// ── Admission: runtime and worker state ─────────────────────────────────

test("dispatch() refuses with invalid_worker_state while the worker is registered", async () => {
  const { runtime } = setup();
  runtime.register({
    name: "ingest",
    worker: new ScriptedWorker(),
    commands: [ok()],
  });
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "invalid_worker_state",
  );
});

test("dispatch() refuses with invalid_worker_state while the worker is starting", async () => {
  const { runtime } = setup();
  const worker = new ScriptedWorker();
  const gate = deferred();
  worker.startGates.push(gate);
  runtime.register({ name: "ingest", worker, commands: [ok()] });
  const starting = runtime.start("ingest");
  await until(() => worker.calls.length === 1, "start called");
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "invalid_worker_state",
  );
  gate.resolve();
  await starting;
  await runtime.dispatch({ worker: "ingest", name: "cache/refresh" });
});

test("dispatch() refuses with invalid_worker_state while the worker is draining", async () => {
  const { runtime } = await running([ok()]);
  await runtime.drain("ingest");
  assert.equal(runtime.worker("ingest")!.status.state, "draining");
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "invalid_worker_state",
  );
});

test("dispatch() refuses with invalid_worker_state once the worker is stopped", async () => {
  const { runtime } = await running([ok()]);
  await runtime.stop("ingest");
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "invalid_worker_state",
  );
  await runtime.start("ingest");
  await runtime.dispatch({ worker: "ingest", name: "cache/refresh" });
});

test("dispatch() refuses with invalid_worker_state once the worker has failed", async () => {
  const { runtime, handle } = await running([ok()]);
  handle.reportFailure(new Error("connection lost"));
  assert.equal(runtime.worker("ingest")!.status.state, "failed");
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "invalid_worker_state",
  );
});

test("dispatch() refuses with runtime_not_accepting_work after stopAll(), and a later start reopens admission", async () => {
  const { runtime } = await running([ok()]);
  await runtime.stopAll();
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
  // Names and existence are still checked before runtime admission.
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/drop" }),
    "command_not_found",
  );
  await refused(
    runtime.dispatch({ worker: "missing", name: "cache/refresh" }),
    "worker_not_found",
  );
  await runtime.start("ingest");
  assert.deepEqual(
    await runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    {},
  );
});

test("stopAll() closes admission even for a worker it has not stopped yet", async () => {
  const { runtime } = setup();
  const a = new ScriptedWorker("a");
  const b = new ScriptedWorker("b");
  runtime.register({ name: "a", worker: a, commands: [ok()] });
  runtime.register({ name: "b", worker: b, commands: [ok()] });
  await runtime.startAll();
  const gate = deferred();
  b.stopGates.push(gate); // reverse order: b stops first, and waits
  const stopping = runtime.stopAll();
  await until(() => b.calls.includes("stop"), "b stopping");
  assert.equal(runtime.worker("a")!.status.state, "running");
  await refused(
    runtime.dispatch({ worker: "a", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
  gate.resolve();
  await stopping;
});

test("dispatch() refuses with runtime_not_accepting_work as soon as shutdown begins", async () => {
  const { runtime } = await running([ok()]);
  const shuttingDown = runtime.shutdown();
  assert.equal(runtime.worker("ingest")!.status.state, "running");
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
  await shuttingDown;
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
});

test("dispatch() refuses with runtime_not_accepting_work while shutdown waits for in-flight commands", async () => {
  const h = held();
  const { runtime } = await running([{
    name: "cache/refresh",
    handler: h.handler,
  }]);
  const first = runtime.dispatch({ worker: "ingest", name: "cache/refresh" });
  const shuttingDown = runtime.shutdown();
  await until(
    () => runtime.worker("ingest")!.status.state === "draining",
    "draining",
  );
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
  h.calls[0]!.done.resolve({ message: "done" });
  assert.deepEqual(await first, { message: "done" });
  await shuttingDown;
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
});

test("a failed fail-runtime worker closes runtime-wide admission", async () => {
  const { runtime } = setup();
  const a = new ScriptedWorker("a");
  runtime.register({
    name: "a",
    worker: a,
    failurePolicy: "fail-runtime",
    commands: [ok()],
  });
  runtime.register({
    name: "b",
    worker: new ScriptedWorker("b"),
    commands: [ok()],
  });
  await runtime.startAll();
  await runtime.dispatch({ worker: "b", name: "cache/refresh" });
  a.contexts[0]!.worker.reportFailure(new Error("fatal"));
  assert.equal(runtime.status().state, "failed");
  assert.equal(runtime.worker("b")!.status.state, "running");
  await refused(
    runtime.dispatch({ worker: "b", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
  await refused(
    runtime.dispatch({ worker: "a", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
});

test("isolate and mark-runtime-unready failures leave other workers admitting commands", async () => {
  for (const failurePolicy of ["isolate", "mark-runtime-unready"] as const) {
    const { runtime } = setup();
    const a = new ScriptedWorker("a");
    runtime.register({ name: "a", worker: a, failurePolicy, commands: [ok()] });
    runtime.register({
      name: "b",
      worker: new ScriptedWorker("b"),
      commands: [ok("x", { message: "b" })],
    });
    await runtime.startAll();
    a.contexts[0]!.worker.reportFailure(new Error("fatal"));
    assert.deepEqual(await runtime.dispatch({ worker: "b", name: "x" }), {
      message: "b",
    });
    await refused(
      runtime.dispatch({ worker: "a", name: "cache/refresh" }),
      "invalid_worker_state",
    );
  }
});

test("dispatch() refuses with worker_not_accepting_work after handle.setAcceptingWork(false)", async () => {
  const { runtime, handle } = await running([ok()]);
  handle.setAcceptingWork(false);
  assert.equal(runtime.worker("ingest")!.status.acceptingWork, false);
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "worker_not_accepting_work",
  );
  handle.setAcceptingWork(true);
  await runtime.dispatch({ worker: "ingest", name: "cache/refresh" });
});

test("a worker started with acceptingWorkOnStart: false refuses with worker_not_accepting_work", async () => {
  const { runtime } = await running([ok()], { acceptingWorkOnStart: false });
  assert.equal(runtime.worker("ingest")!.status.state, "running");
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "worker_not_accepting_work",
  );
});

test("worker state is checked before accepting work: a closed worker that is draining is invalid_worker_state", async () => {
  const { runtime, handle } = await running([ok()]);
  handle.setAcceptingWork(false);
  await runtime.drain("ingest");
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "invalid_worker_state",
  );
});

test("runtime admission is checked before worker state: a draining worker after shutdown began is runtime_not_accepting_work", async () => {
  const { runtime } = await running([ok()]);
  await runtime.drain("ingest");
  const done = runtime.shutdown();
  await refused(
    runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    "runtime_not_accepting_work",
  );
  await done;
});

// ── Payload and result ──────────────────────────────────────────────────

test("the payload reaches the handler unchanged: the same object, not a copy", async () => {
  const payload = {
    items: [1, 2, 3],
    nested: { deep: true },
    when: new Date(0),
  };
  let seen: unknown;
  const { runtime } = await running([{
    name: "cache/refresh",
    handler: (req) => {
      seen = req.payload;
      (req.payload as { touched?: boolean }).touched = true;
      return {};
    },
  }]);
  await runtime.dispatch({ worker: "ingest", name: "cache/refresh", payload });
  assert.equal(seen, payload);
  assert.equal((payload as { touched?: boolean }).touched, true);
});

test("non-JSON payloads pass through too: functions, class instances, undefined", async () => {
  const seen: unknown[] = [];
  const { runtime } = await running([{
    name: "echo",
    handler: (req) => void seen.push(req.payload),
  }]);
  const fn = () => 1;
  const map = new Map([["a", 1]]);
  const bytes = new Uint8Array([1, 2]);
  await runtime.dispatch({ worker: "ingest", name: "echo", payload: fn });
  await runtime.dispatch({ worker: "ingest", name: "echo", payload: map });
  await runtime.dispatch({ worker: "ingest", name: "echo", payload: bytes });
  await runtime.dispatch({ worker: "ingest", name: "echo" });
  assert.equal(seen[0], fn);
  assert.equal(seen[1], map);
  assert.equal(seen[2], bytes);
  assert.equal(seen[3], undefined);
});

test("the handler's result is returned to the caller", async () => {
  const resultPayload = { dropped: 12 };
  const { runtime } = await running([{
    name: "cache/refresh",
    handler: async () => {
      await Promise.resolve();
      return { message: "refreshed", payload: resultPayload };
    },
  }]);
  const result = await runtime.dispatch({
    worker: "ingest",
    name: "cache/refresh",
  });
  assert.equal(result.message, "refreshed");
  assert.equal(result.payload, resultPayload);
});

test("a handler returning undefined gives {} (sync and async)", async () => {
  const { runtime } = await running([
    { name: "sync", handler: () => undefined },
    { name: "async", handler: async () => {} },
    { name: "void", handler: () => {} },
  ]);
  for (const name of ["sync", "async", "void"]) {
    assert.deepEqual(await runtime.dispatch({ worker: "ingest", name }), {});
  }
});

test("a synchronous handler's result is returned", async () => {
  const { runtime } = await running([ok("now", { message: "sync" })]);
  assert.deepEqual(
    await runtime.dispatch({ worker: "ingest", name: "now" }),
    { message: "sync" },
  );
  assert.equal(runtime.status().inFlight, 0);
});

test("a synchronous throw rejects with the original error and frees the slot", async () => {
  const boom = new Error("sync boom");
  const { runtime } = await running([{
    name: "explode",
    handler: () => {
      throw boom;
    },
  }], { commandConcurrency: 1 });
  for (let i = 0; i < 3; i++) {
    assert.equal(
      await rejection(runtime.dispatch({ worker: "ingest", name: "explode" })),
      boom,
    );
  }
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
  assert.equal(runtime.worker("ingest")!.status.state, "running");
});

test("an async rejection reaches the caller as the original error", async () => {
  const boom = new TypeError("async boom");
  const { runtime } = await running([{
    name: "explode",
    handler: async () => {
      await Promise.resolve();
      throw boom;
    },
  }]);
  assert.equal(
    await rejection(runtime.dispatch({ worker: "ingest", name: "explode" })),
    boom,
  );
});

test("a thrown non-Error value reaches the caller unchanged and is recorded as panic", async () => {
  const { runtime } = await running([{
    name: "explode",
    handler: () => {
      throw "just a string";
    },
  }]);
  assert.equal(
    await rejection(runtime.dispatch({ worker: "ingest", name: "explode" })),
    "just a string",
  );
  const failure = runtime.worker("ingest")!.status.lastCommandFailure;
  assert.equal(failure?.code, "panic");
  assert.equal(failure?.message, "worker threw a non-error value");
});

// ── Timeouts ────────────────────────────────────────────────────────────

test("a cooperative handler times out at commandTimeout with deadline_exceeded and a TimeoutError signal", async () => {
  let ctxSignal: AbortSignal | undefined;
  const { clock, runtime } = await running([{
    name: "slow",
    handler: (_req, ctx) =>
      new Promise<void>((_resolve, reject) => {
        ctxSignal = ctx.signal;
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
      }),
  }], { commandTimeout: 1_000 });
  const outcome = track(runtime.dispatch({ worker: "ingest", name: "slow" }));
  await clock.advance(999);
  assert.equal(outcome.settled, false);
  assert.equal(ctxSignal!.aborted, false);
  await clock.advance(1);
  assert.equal(outcome.rejected, true);
  assert.equal(code(outcome.error), "deadline_exceeded");
  assert.ok(outcome.error instanceof WorkerkitError);
  assert.equal(ctxSignal!.aborted, true);
  assert.equal((ctxSignal!.reason as Error).name, "TimeoutError");
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
  assert.equal(
    runtime.worker("ingest")!.status.lastCommandFailure?.code,
    "deadline_exceeded",
  );
});

test("a non-cooperative handler: the caller gets deadline_exceeded on time, the slot stays held until the handler settles", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "stuck", handler: h.handler }],
    { commandTimeout: 1_000, commandConcurrency: 1 },
  );
  const outcome = track(runtime.dispatch({ worker: "ingest", name: "stuck" }));
  await clock.advance(1_000);
  assert.equal(code(outcome.error), "deadline_exceeded");
  const ctx = h.calls[0]!.ctx;
  assert.equal(ctx.signal.aborted, true);
  assert.equal((ctx.signal.reason as Error).name, "TimeoutError");
  // The handler is still running: its slot is still taken.
  assert.deepEqual(inFlight(runtime), { worker: 1, runtime: 1 });
  const idle = track(runtime.waitIdle("ingest"));
  const allIdle = track(runtime.waitAllIdle());
  await refused(
    runtime.dispatch({ worker: "ingest", name: "stuck" }),
    "worker_saturated",
  );
  await clock.advance(60_000);
  assert.equal(idle.settled, false);
  assert.equal(allIdle.settled, false);
  assert.equal(h.calls.length, 1);
  // Now it really settles, much later.
  h.calls[0]!.done.resolve({ message: "too late" });
  await until(() => idle.settled && allIdle.settled, "idle");
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
  assert.equal(outcome.value, undefined); // the caller's answer did not change
  const next = runtime.dispatch({ worker: "ingest", name: "stuck" });
  await until(() => h.calls.length === 2, "second call");
  h.calls[1]!.done.resolve({ message: "ok" });
  assert.deepEqual(await next, { message: "ok" });
});

test("a late rejection from a timed-out handler is contained and does not replace the recorded failure", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "stuck", handler: h.handler }],
    { commandTimeout: 500 },
  );
  const error = rejection(
    runtime.dispatch({ worker: "ingest", name: "stuck" }),
  );
  await clock.advance(500);
  assert.equal(code(await error), "deadline_exceeded");
  h.calls[0]!.done.reject(
    new OperationalFailure({ code: "late_failure", message: "late" }),
  );
  await until(() => runtime.status().inFlight === 0, "released");
  assert.equal(
    runtime.worker("ingest")!.status.lastCommandFailure?.code,
    "deadline_exceeded",
  );
});

test("each worker's commandTimeout overrides the runtime default", async () => {
  const h = held();
  const { clock, runtime } = setup({ defaults: { commandTimeout: 5_000 } });
  runtime.register({
    name: "fast",
    worker: new ScriptedWorker(),
    commandTimeout: 100,
    commands: [{ name: "c", handler: h.handler }],
  });
  runtime.register({
    name: "slow",
    worker: new ScriptedWorker(),
    commands: [{ name: "c", handler: h.handler }],
  });
  await runtime.startAll();
  const fast = track(runtime.dispatch({ worker: "fast", name: "c" }));
  const slow = track(runtime.dispatch({ worker: "slow", name: "c" }));
  await clock.advance(100);
  assert.equal(code(fast.error), "deadline_exceeded");
  assert.equal(slow.settled, false);
  await clock.advance(4_899);
  assert.equal(slow.settled, false);
  await clock.advance(1);
  assert.equal(code(slow.error), "deadline_exceeded");
  for (const call of h.calls) call.done.resolve();
});

test("commandTimeout: Infinity never times a command out", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "c", handler: h.handler }],
    { commandTimeout: Infinity },
  );
  const outcome = track(runtime.dispatch({ worker: "ingest", name: "c" }));
  await clock.advance(10 * 24 * 3_600_000);
  assert.equal(outcome.settled, false);
  assert.equal(h.calls[0]!.ctx.signal.aborted, false);
  h.calls[0]!.done.resolve({ message: "eventually" });
  await until(() => outcome.settled, "settled");
  assert.deepEqual(outcome.value, { message: "eventually" });
});

test("a command in flight when shutdown's deadline passes still times out at its commandTimeout", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "stuck", handler: h.handler }],
    { commandTimeout: 1_000 },
  );
  const outcome = track(runtime.dispatch({ worker: "ingest", name: "stuck" }));
  const controller = new AbortController();
  const shuttingDown = rejection(
    runtime.shutdown({ signal: controller.signal }),
  );
  await clock.advance(10);
  controller.abort(new DOMException("shutdown deadline", "TimeoutError"));
  assert.equal(code(await shuttingDown), "deadline_exceeded");
  await clock.advance(990);
  try {
    assert.equal(
      h.calls[0]!.ctx.signal.aborted,
      true,
      "the handler's signal should abort at its commandTimeout",
    );
    assert.equal(
      code(outcome.error),
      "deadline_exceeded",
      "the caller should get deadline_exceeded at commandTimeout",
    );
  } finally {
    h.calls[0]!.done.resolve();
  }
});

// ── The caller's signal ─────────────────────────────────────────────────

test("aborting the caller's signal rejects with its reason and aborts ctx.signal", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  const controller = new AbortController();
  const reason = new Error("caller gave up");
  const outcome = rejection(
    runtime.dispatch({ worker: "ingest", name: "c" }, {
      signal: controller.signal,
    }),
  );
  await until(() => h.calls.length === 1, "handler called");
  const ctx = h.calls[0]!.ctx;
  assert.equal(ctx.signal.aborted, false);
  controller.abort(reason);
  assert.equal(await outcome, reason);
  assert.equal(ctx.signal.aborted, true);
  assert.equal(ctx.signal.reason, reason);
  // The handler ignored the abort: its slot stays taken until it settles.
  assert.deepEqual(inFlight(runtime), { worker: 1, runtime: 1 });
  h.calls[0]!.done.resolve();
  await until(() => runtime.status().inFlight === 0, "released");
});

test("a cooperative handler ends promptly when the caller aborts", async () => {
  const { runtime } = await running([{
    name: "c",
    handler: (_req, ctx) =>
      new Promise<void>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
      }),
  }]);
  const controller = new AbortController();
  const outcome = rejection(
    runtime.dispatch({ worker: "ingest", name: "c" }, {
      signal: controller.signal,
    }),
  );
  const reason = new DOMException("user canceled", "AbortError");
  controller.abort(reason);
  assert.equal(await outcome, reason);
  await until(() => runtime.status().inFlight === 0, "released");
});

test("an already-aborted caller signal rejects with its reason; anything that ran saw an aborted signal and freed its slot", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "c", handler: h.handler }],
    {
      commandTimeout: 1_000,
    },
  );
  const reason = new Error("already gone");
  const error = await rejection(
    runtime.dispatch({ worker: "ingest", name: "c" }, {
      signal: AbortSignal.abort(reason),
    }),
  );
  assert.equal(error, reason);
  // The spec does not say whether the handler runs at all; if it did, its
  // signal was already aborted with the caller's reason.
  for (const call of h.calls) {
    assert.equal(call.ctx.signal.aborted, true);
    assert.equal(call.ctx.signal.reason, reason);
    call.done.resolve();
  }
  await until(() => runtime.status().inFlight === 0, "released");
  assert.equal(runtime.worker("ingest")!.status.inFlight, 0);
  await clock.advance(1);
  assert.equal(clock.pending, 0);
});

test("aborting the caller's signal after the dispatch settled changes nothing", async () => {
  let ctx: CommandContext | undefined;
  const { runtime } = await running([{
    name: "c",
    handler: (_req, c) => {
      ctx = c;
      void c.signal; // created while the attempt runs
      return { message: "done" };
    },
  }]);
  const controller = new AbortController();
  const result = await runtime.dispatch({ worker: "ingest", name: "c" }, {
    signal: controller.signal,
  });
  controller.abort(new Error("too late"));
  assert.deepEqual(result, { message: "done" });
  assert.equal(ctx!.signal.aborted, false);
});

// ── The command context ─────────────────────────────────────────────────

test("ctx.signal never aborts after the attempt settled, even past its timeout", async () => {
  const contexts: CommandContext[] = [];
  const { clock, runtime } = await running([
    {
      name: "read",
      handler: (_req, ctx) => {
        contexts.push(ctx);
        void ctx.signal;
        return {};
      },
    },
    {
      name: "lazy",
      handler: (_req, ctx) => void contexts.push(ctx), // never reads signal
    },
    {
      name: "async",
      handler: async (_req, ctx) => {
        contexts.push(ctx);
        void ctx.signal;
        await Promise.resolve();
      },
    },
  ], { commandTimeout: 100 });
  for (const name of ["read", "lazy", "async"]) {
    await runtime.dispatch({ worker: "ingest", name });
  }
  await clock.advance(10_000);
  for (const ctx of contexts) assert.equal(ctx.signal.aborted, false);
  assert.equal(clock.pending, 0);
});

test("ctx.dispatchId is a non-empty string, the same across retries, different across dispatches", async () => {
  const ids: Array<[string, number]> = [];
  const { clock, runtime } = await running([{
    name: "flaky",
    handler: (_req, ctx) => {
      ids.push([ctx.dispatchId, ctx.attempt]);
      if (ctx.attempt < 3) throw new Error("flaky");
      return {};
    },
  }], { commandRetry: attempts(3) });
  for (let i = 0; i < 3; i++) {
    const done = runtime.dispatch({ worker: "ingest", name: "flaky" });
    await clock.advance(0);
    await done;
  }
  assert.equal(ids.length, 9);
  for (const [id] of ids) {
    assert.equal(typeof id, "string");
    assert.ok(id.length > 0);
  }
  const perDispatch = [0, 3, 6].map((i) => ids[i]![0]);
  for (let d = 0; d < 3; d++) {
    for (let a = 0; a < 3; a++) {
      assert.equal(ids[d * 3 + a]![0], perDispatch[d]);
    }
  }
  assert.equal(new Set(perDispatch).size, 3);
});

test("ctx.attempt counts 1, 2, 3 across retries", async () => {
  const seen: number[] = [];
  const { clock, runtime } = await running([{
    name: "flaky",
    handler: (_req, ctx) => {
      seen.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error("flaky");
      return { message: `attempt ${ctx.attempt}` };
    },
  }], { commandRetry: attempts(3) });
  const done = runtime.dispatch({ worker: "ingest", name: "flaky" });
  await clock.advance(0);
  assert.deepEqual(await done, { message: "attempt 3" });
  assert.deepEqual(seen, [1, 2, 3]);
});

test("ctx.worker is the worker's handle for the current generation", async () => {
  let ctx: CommandContext | undefined;
  const { runtime, handle } = await running([{
    name: "c",
    handler: (_req, c) => {
      ctx = c;
      return {};
    },
  }]);
  await runtime.dispatch({ worker: "ingest", name: "c" });
  assert.equal(ctx!.worker, handle);
  assert.equal(ctx!.worker.name, "ingest");
  assert.equal(ctx!.worker.qualifiedName, "billing/ingest");
  assert.equal(ctx!.worker.status().state, "running");
});

test("ctx.drainSignal aborts on drain while ctx.signal does not, and the command still completes", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  const done = runtime.dispatch({ worker: "ingest", name: "c" });
  await until(() => h.calls.length === 1, "handler called");
  const ctx = h.calls[0]!.ctx;
  assert.equal(ctx.drainSignal.aborted, false);
  await runtime.drain("ingest");
  assert.equal(ctx.drainSignal.aborted, true);
  assert.equal(ctx.signal.aborted, false);
  h.calls[0]!.done.resolve({ message: "finished while draining" });
  assert.deepEqual(await done, { message: "finished while draining" });
  assert.equal(runtime.status().inFlight, 0);
});

// ── Retry ───────────────────────────────────────────────────────────────

test("commandRetry attempts(3, constant(100)) waits 100ms on the clock between attempts, and attempt 3's success is returned", async () => {
  const times: number[] = [];
  const { clock, runtime } = await running([{
    name: "flaky",
    handler: (_req, ctx) => {
      times.push(clock.now() - T0);
      if (ctx.attempt < 3) throw new Error(`failure ${ctx.attempt}`);
      return { message: "third time lucky" };
    },
  }], { commandRetry: attempts(3, { backoff: constant(100) }) });
  const outcome = track(runtime.dispatch({ worker: "ingest", name: "flaky" }));
  await clock.advance(0);
  assert.deepEqual(times, [0]);
  await clock.advance(99);
  assert.deepEqual(times, [0]);
  await clock.advance(1);
  assert.deepEqual(times, [0, 100]);
  await clock.advance(99);
  assert.deepEqual(times, [0, 100]);
  assert.equal(outcome.settled, false);
  await clock.advance(1);
  assert.deepEqual(times, [0, 100, 200]);
  await until(() => outcome.settled, "settled");
  assert.deepEqual(outcome.value, { message: "third time lucky" });
  assert.equal(runtime.status().inFlight, 0);
  assert.equal(runtime.worker("ingest")!.status.state, "running");
});

test("a dispatch holds one slot during retry waits", async () => {
  const { clock, runtime } = await running([{
    name: "flaky",
    handler: (_req, ctx) => {
      if (ctx.attempt < 2) throw new Error("flaky");
      return {};
    },
  }], {
    commandRetry: attempts(2, { backoff: constant(100) }),
    commandConcurrency: 1,
  });
  const done = runtime.dispatch({ worker: "ingest", name: "flaky" });
  await clock.advance(50);
  assert.deepEqual(inFlight(runtime), { worker: 1, runtime: 1 });
  await refused(
    runtime.dispatch({ worker: "ingest", name: "flaky" }),
    "worker_saturated",
  );
  await clock.advance(50);
  await done;
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
});

test("when retries run out the caller gets the last attempt's error", async () => {
  const errors = [new Error("one"), new Error("two"), new Error("three")];
  let calls = 0;
  const { clock, runtime } = await running([{
    name: "broken",
    handler: () => {
      throw errors[calls++];
    },
  }], { commandRetry: attempts(3, { backoff: constant(100) }) });
  const error = rejection(
    runtime.dispatch({ worker: "ingest", name: "broken" }),
  );
  await clock.advance(200);
  assert.equal(await error, errors[2]);
  assert.equal(calls, 3);
  assert.equal(runtime.status().inFlight, 0);
});

test("attemptsIf() retries only the errors its predicate accepts", async () => {
  class Transient extends Error {}
  let plan: Error[] = [];
  let calls = 0;
  const { clock, runtime } = await running([{
    name: "c",
    handler: () => {
      const next = plan[calls++];
      if (next) throw next;
      return { message: "ok" };
    },
  }], {
    commandRetry: attemptsIf(5, (e) => e instanceof Transient, {
      backoff: constant(10),
    }),
  });

  // Transient, transient, then a fatal error: retried twice, then given up.
  const fatal = new Error("fatal");
  plan = [new Transient("t1"), new Transient("t2"), fatal];
  calls = 0;
  let error = rejection(runtime.dispatch({ worker: "ingest", name: "c" }));
  await clock.advance(100);
  assert.equal(await error, fatal);
  assert.equal(calls, 3);

  // A fatal error on the first attempt is not retried at all.
  const fatal2 = new Error("fatal at once");
  plan = [fatal2];
  calls = 0;
  error = rejection(runtime.dispatch({ worker: "ingest", name: "c" }));
  await clock.advance(100);
  assert.equal(await error, fatal2);
  assert.equal(calls, 1);

  // Transient failures then success.
  plan = [new Transient("a"), new Transient("b")];
  calls = 0;
  const done = runtime.dispatch({ worker: "ingest", name: "c" });
  await clock.advance(100);
  assert.deepEqual(await done, { message: "ok" });
  assert.equal(calls, 3);

  // Five transient failures: attemptsIf's limit still applies.
  plan = [1, 2, 3, 4, 5, 6].map((i) => new Transient(`t${i}`));
  calls = 0;
  error = rejection(runtime.dispatch({ worker: "ingest", name: "c" }));
  await clock.advance(100);
  assert.equal(await error, plan[4]);
  assert.equal(calls, 5);
});

test("the retry wait aborts with the caller's signal: the caller gets its reason and no further attempt runs", async () => {
  let calls = 0;
  const { clock, runtime } = await running([{
    name: "c",
    handler: () => {
      calls++;
      throw new Error("fails");
    },
  }], { commandRetry: attempts(5, { backoff: constant(1_000) }) });
  const controller = new AbortController();
  const reason = new Error("stop retrying");
  const outcome = track(
    runtime.dispatch({ worker: "ingest", name: "c" }, {
      signal: controller.signal,
    }),
  );
  await clock.advance(500);
  assert.equal(calls, 1);
  assert.equal(outcome.settled, false);
  controller.abort(reason);
  await until(() => outcome.settled, "settled");
  assert.equal(outcome.error, reason);
  await clock.advance(10_000);
  assert.equal(calls, 1);
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
  assert.equal(clock.pending, 0);
});

test("a retry after a timed-out non-cooperative attempt overlaps it, but the dispatch holds one slot until every attempt settled", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "c", handler: h.handler }],
    {
      commandTimeout: 1_000,
      commandConcurrency: 1,
      commandRetry: attempts(2, { backoff: constant(10) }),
    },
  );
  const outcome = track(runtime.dispatch({ worker: "ingest", name: "c" }));
  await clock.advance(1_000); // attempt 1 times out, but its handler runs on
  assert.equal(h.calls.length, 1);
  assert.equal(h.calls[0]!.ctx.signal.aborted, true);
  await clock.advance(10); // attempt 2 starts alongside it
  assert.equal(h.calls.length, 2);
  assert.equal(h.calls[1]!.ctx.attempt, 2);
  assert.equal(h.calls[1]!.ctx.signal.aborted, false);
  assert.equal(h.calls[1]!.ctx.dispatchId, h.calls[0]!.ctx.dispatchId);
  assert.deepEqual(inFlight(runtime), { worker: 1, runtime: 1 });
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "worker_saturated",
  );

  h.calls[1]!.done.resolve({ message: "second" });
  await until(() => outcome.settled, "answered");
  assert.deepEqual(outcome.value, { message: "second" });
  // Attempt 1 is still running: the slot is still held.
  assert.deepEqual(inFlight(runtime), { worker: 1, runtime: 1 });
  const idle = track(runtime.waitIdle("ingest"));
  await clock.advance(1);
  assert.equal(idle.settled, false);
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "worker_saturated",
  );

  h.calls[0]!.done.resolve({ message: "first, late" });
  await until(() => idle.settled, "idle");
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
  assert.deepEqual(outcome.value, { message: "second" });
});

test("when every overlapping attempt times out the caller gets deadline_exceeded and the slot waits for all of them", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "c", handler: h.handler }],
    {
      commandTimeout: 100,
      commandRetry: attempts(3),
    },
  );
  const outcome = track(runtime.dispatch({ worker: "ingest", name: "c" }));
  await clock.advance(1_000);
  assert.equal(h.calls.length, 3);
  assert.equal(code(outcome.error), "deadline_exceeded");
  assert.equal(runtime.status().inFlight, 1);
  h.calls[2]!.done.resolve();
  h.calls[0]!.done.reject(new Error("late"));
  await clock.advance(1);
  assert.equal(runtime.status().inFlight, 1);
  h.calls[1]!.done.resolve();
  await until(() => runtime.status().inFlight === 0, "released");
  assert.equal(runtime.worker("ingest")!.status.inFlight, 0);
});

// ── Failures ────────────────────────────────────────────────────────────

test("a failing command records lastCommandFailure with the public code and message only", async () => {
  const secret = new Error("POST /charge?key=sk_live_SECRET failed");
  const { runtime } = await running([{
    name: "cache/refresh",
    handler: () => {
      throw secret;
    },
  }]);
  const { failures, ends } = listen(runtime);
  assert.equal(
    await rejection(
      runtime.dispatch({ worker: "ingest", name: "cache/refresh" }),
    ),
    secret,
  );
  const failure = runtime.worker("ingest")!.status.lastCommandFailure!;
  assert.deepEqual(
    { ...failure, at: undefined },
    {
      code: "command_failed",
      message: "command failed",
      command: "cache/refresh",
      at: undefined,
    },
  );
  assert.equal(failure.at, new Date(T0).toISOString());
  for (
    const surface of [
      runtime.workers(),
      runtime.worker("ingest"),
      runtime.status(),
      failures.map(({ cause: _cause, ...rest }) => rest),
      ends.map(({ cause: _cause, ...rest }) => rest),
    ]
  ) {
    assert.ok(!JSON.stringify(surface).includes("sk_live_SECRET"));
  }
  assert.equal(failures[0]!.cause, secret); // private, for observers only
});

test("failed commands never fail the worker", async () => {
  const { runtime } = await running([
    {
      name: "broken",
      handler: () => {
        throw new Error("nope");
      },
    },
    ok("fine", { message: "fine" }),
  ]);
  for (let i = 0; i < 5; i++) {
    await rejection(runtime.dispatch({ worker: "ingest", name: "broken" }));
  }
  const status = runtime.worker("ingest")!.status;
  assert.equal(status.state, "running");
  assert.equal(status.ready, true);
  assert.equal(status.acceptingWork, true);
  assert.equal(status.lastFailure, undefined);
  assert.equal(status.lastCommandFailure?.command, "broken");
  assert.equal(runtime.status().ready, true);
  assert.deepEqual(await runtime.dispatch({ worker: "ingest", name: "fine" }), {
    message: "fine",
  });
});

test("a handler that calls ctx.worker.reportFailure() fails the worker", async () => {
  const fatal = new Error("lost the broker: password=hunter2");
  const { runtime } = await running([{
    name: "c",
    handler: (_req, ctx) => {
      ctx.worker.reportFailure(fatal);
      throw fatal;
    },
  }]);
  assert.equal(
    await rejection(runtime.dispatch({ worker: "ingest", name: "c" })),
    fatal,
  );
  const status = runtime.worker("ingest")!.status;
  assert.equal(status.state, "failed");
  assert.equal(status.lastFailure?.code, "worker_failed");
  assert.ok(!JSON.stringify(runtime.workers()).includes("hunter2"));
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "invalid_worker_state",
  );
});

test("an OperationalFailure thrown by a handler shows its own code and message", async () => {
  const { runtime } = await running([
    {
      name: "direct",
      handler: () => {
        throw new OperationalFailure(
          { code: "upstream_unavailable", message: "payment provider down" },
          { cause: new Error("sk_live_SECRET") },
        );
      },
    },
    {
      name: "wrapped",
      handler: async () => {
        await Promise.resolve();
        throw new Error("outer sk_live_SECRET", {
          cause: new OperationalFailure({
            code: "quota.exceeded",
            message: "quota exceeded",
          }),
        });
      },
    },
  ]);
  const { failures, ends } = listen(runtime);
  await rejection(runtime.dispatch({ worker: "ingest", name: "direct" }));
  assert.deepEqual(
    pick(runtime.worker("ingest")!.status.lastCommandFailure),
    {
      code: "upstream_unavailable",
      message: "payment provider down",
      command: "direct",
    },
  );
  await rejection(runtime.dispatch({ worker: "ingest", name: "wrapped" }));
  assert.deepEqual(
    pick(runtime.worker("ingest")!.status.lastCommandFailure),
    { code: "quota.exceeded", message: "quota exceeded", command: "wrapped" },
  );
  assert.deepEqual(
    failures.map((f) => [f.code, f.message]),
    [
      ["upstream_unavailable", "payment provider down"],
      ["quota.exceeded", "quota exceeded"],
    ],
  );
  assert.deepEqual(
    ends.map((e) => [e.code, e.message]),
    [
      ["upstream_unavailable", "payment provider down"],
      ["quota.exceeded", "quota exceeded"],
    ],
  );
  assert.ok(!JSON.stringify(runtime.workers()).includes("sk_live_SECRET"));
});

function pick(
  f: { code: string; message: string; command: string } | undefined,
) {
  return f && { code: f.code, message: f.message, command: f.command };
}

// ── Late results ────────────────────────────────────────────────────────

test("a command in flight when its worker stops completes: the caller gets its result and the slot is released", async () => {
  const h = held();
  const { runtime, worker } = await running([{
    name: "c",
    handler: h.handler,
  }]);
  const done = runtime.dispatch({ worker: "ingest", name: "c" });
  await until(() => h.calls.length === 1, "handler called");
  await runtime.stop("ingest"); // does not wait for the command
  assert.deepEqual(worker.calls, ["start", "stop"]);
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
  assert.deepEqual(inFlight(runtime), { worker: 1, runtime: 1 });
  assert.equal(h.calls[0]!.ctx.drainSignal.aborted, true);
  assert.equal(h.calls[0]!.ctx.signal.aborted, false); // stop does not cancel
  h.calls[0]!.done.resolve({ message: "late but fine" });
  assert.deepEqual(await done, { message: "late but fine" });
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
  assert.equal(runtime.worker("ingest")!.status.state, "stopped");
});

test("a late failure after a restart does not set lastCommandFailure on the new generation, but is observed", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  const { failures, ends } = listen(runtime);
  const outcome = rejection(runtime.dispatch({ worker: "ingest", name: "c" }));
  await until(() => h.calls.length === 1, "handler called");
  const oldHandle = h.calls[0]!.ctx.worker;
  await runtime.stop("ingest");
  await runtime.start("ingest");
  assert.equal(runtime.worker("ingest")!.status.state, "running");
  const late = new Error("late failure");
  h.calls[0]!.done.reject(late);
  assert.equal(await outcome, late);
  const status = runtime.worker("ingest")!.status;
  assert.equal(status.lastCommandFailure, undefined);
  assert.equal(status.state, "running");
  assert.equal(status.inFlight, 0);
  assert.equal(runtime.status().inFlight, 0);
  // Observed all the same.
  assert.equal(failures.filter((f) => f.kind === "command").length, 1);
  assert.equal(ends.length, 1);
  assert.equal(ends[0]!.ok, false);
  // The old generation's handle is stale and changes nothing.
  assert.throws(
    () => oldHandle.reportFailure(new Error("from the past")),
    (e: unknown) => code(e) === "invalid_worker_state",
  );
  assert.equal(runtime.worker("ingest")!.status.state, "running");
});

test("a late failure from a command of a stopped worker does not change the worker's status", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  const outcome = rejection(runtime.dispatch({ worker: "ingest", name: "c" }));
  await until(() => h.calls.length === 1, "handler called");
  await runtime.stop("ingest");
  const before = runtime.worker("ingest")!.status;
  const late = new Error("late failure");
  h.calls[0]!.done.reject(late);
  assert.equal(await outcome, late);
  const after = runtime.worker("ingest")!.status;
  assert.equal(after.state, "stopped");
  assert.equal(after.inFlight, 0);
  assert.deepEqual(
    after.lastCommandFailure,
    before.lastCommandFailure,
    "a late result from a stopped worker must not change its status",
  );
});

// ── Events and observers ────────────────────────────────────────────────

test("commandstart and commandend pair up with the dispatch's id; a success ends ok with attempts and durationMs", async () => {
  const h = held();
  const { clock, runtime } = await running([{ name: "c", handler: h.handler }]);
  const { starts, ends, failures } = listen(runtime);
  const done = runtime.dispatch({ worker: "ingest", name: "c" });
  await until(() => h.calls.length === 1, "handler called");
  assert.equal(starts.length, 1);
  assert.equal(ends.length, 0);
  const start = starts[0]!;
  assert.equal(start.runtime, "billing");
  assert.equal(start.worker, "billing/ingest");
  assert.equal(start.command, "c");
  assert.equal(start.at, new Date(T0).toISOString());
  assert.equal(start.dispatchId, h.calls[0]!.ctx.dispatchId);
  await clock.advance(250);
  h.calls[0]!.done.resolve({ message: "ok" });
  await done;
  assert.equal(ends.length, 1);
  const end = ends[0]!;
  assert.equal(end.dispatchId, start.dispatchId);
  assert.equal(end.runtime, "billing");
  assert.equal(end.worker, "billing/ingest");
  assert.equal(end.command, "c");
  assert.equal(end.ok, true);
  assert.equal(end.attempts, 1);
  assert.equal(end.durationMs, 250);
  assert.equal(end.code, undefined);
  assert.equal(end.message, undefined);
  assert.equal(failures.length, 0);
});

test("each dispatch gets its own start/end pair and dispatchId", async () => {
  const { runtime } = await running([ok("c")]);
  const { starts, ends } = listen(runtime);
  await Promise.all(
    Array.from(
      { length: 5 },
      () => runtime.dispatch({ worker: "ingest", name: "c" }),
    ),
  );
  assert.equal(starts.length, 5);
  assert.equal(ends.length, 5);
  const ids = starts.map((s) => s.dispatchId);
  assert.equal(new Set(ids).size, 5);
  assert.deepEqual(new Set(ends.map((e) => e.dispatchId)), new Set(ids));
  for (const end of ends) {
    assert.equal(end.ok, true);
    assert.ok(end.durationMs >= 0);
  }
});

test("a failed dispatch ends with ok: false, its attempts and the public code/message; one failure event per failed attempt", async () => {
  const errors = [new Error("e1"), new Error("e2"), new Error("e3")];
  const { clock, runtime } = await running([{
    name: "broken",
    handler: (_req, ctx) => {
      throw errors[ctx.attempt - 1];
    },
  }], { commandRetry: attempts(3, { backoff: constant(10) }) });
  const { starts, ends, failures } = listen(runtime);
  const error = rejection(
    runtime.dispatch({ worker: "ingest", name: "broken" }),
  );
  await clock.advance(20);
  assert.equal(await error, errors[2]);
  assert.equal(starts.length, 1);
  assert.equal(ends.length, 1);
  const end = ends[0]!;
  assert.equal(end.dispatchId, starts[0]!.dispatchId);
  assert.equal(end.ok, false);
  assert.equal(end.attempts, 3);
  assert.equal(end.durationMs, 20);
  assert.equal(end.code, "command_failed");
  assert.equal(end.message, "command failed");
  assert.equal(end.cause, errors[2]);
  assert.deepEqual(
    failures.map((f) => [f.kind, f.worker, f.command, f.attempt, f.code]),
    [
      ["command", "billing/ingest", "broken", 1, "command_failed"],
      ["command", "billing/ingest", "broken", 2, "command_failed"],
      ["command", "billing/ingest", "broken", 3, "command_failed"],
    ],
  );
  assert.deepEqual(failures.map((f) => f.cause), errors);
});

test("a timed-out dispatch ends with deadline_exceeded when the caller is answered, not when the handler settles", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "c", handler: h.handler }],
    {
      commandTimeout: 300,
    },
  );
  const { ends, failures } = listen(runtime);
  const error = rejection(runtime.dispatch({ worker: "ingest", name: "c" }));
  await clock.advance(300);
  assert.equal(code(await error), "deadline_exceeded");
  assert.equal(ends.length, 1);
  assert.equal(ends[0]!.code, "deadline_exceeded");
  assert.equal(ends[0]!.message, "deadline exceeded");
  assert.equal(ends[0]!.durationMs, 300);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.code, "deadline_exceeded");
  assert.equal(failures[0]!.attempt, 1);
  h.calls[0]!.done.resolve();
  await until(() => runtime.status().inFlight === 0, "released");
  assert.equal(ends.length, 1);
});

test("a dispatch canceled by the caller ends with the abort's public code", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  const { ends } = listen(runtime);
  const controller = new AbortController();
  const error = rejection(
    runtime.dispatch({ worker: "ingest", name: "c" }, {
      signal: controller.signal,
    }),
  );
  await until(() => h.calls.length === 1, "handler called");
  controller.abort(new DOMException("user canceled", "AbortError"));
  await error;
  assert.equal(ends.length, 1);
  assert.equal(ends[0]!.ok, false);
  assert.equal(ends[0]!.code, "canceled");
  h.calls[0]!.done.resolve();
});

test("admission refusals of a registered command end with attempts: 0 and emit no failure event", async () => {
  const h = held();
  const { runtime, handle } = await running(
    [{ name: "c", handler: h.handler }],
    {
      commandConcurrency: 1,
    },
  );
  const { starts, ends, failures } = listen(runtime);
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "worker_saturated",
  );
  h.calls[0]!.done.resolve();
  await first;
  handle.setAcceptingWork(false);
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "worker_not_accepting_work",
  );
  handle.setAcceptingWork(true);
  await runtime.drain("ingest");
  await refused(
    runtime.dispatch({ worker: "billing/ingest", name: "c" }),
    "invalid_worker_state",
  );
  await runtime.stopAll();
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "runtime_not_accepting_work",
  );

  assert.equal(starts.length, 5);
  assert.equal(ends.length, 5);
  const refusals = ends.filter((e) => e.attempts === 0);
  assert.deepEqual(
    refusals.map((e) => [e.ok, e.code, e.message, e.durationMs]),
    [
      [false, "worker_saturated", "worker is saturated", 0],
      [false, "worker_not_accepting_work", "worker is not accepting work", 0],
      [false, "invalid_worker_state", "invalid worker state", 0],
      [
        false,
        "runtime_not_accepting_work",
        "runtime is not accepting work",
        0,
      ],
    ],
  );
  for (const end of refusals) {
    assert.equal(end.worker, "billing/ingest");
    assert.equal(end.command, "c");
    assert.ok(end.dispatchId.length > 0);
    assert.ok(starts.some((s) => s.dispatchId === end.dispatchId));
  }
  assert.equal(new Set(ends.map((e) => e.dispatchId)).size, 5);
  assert.equal(failures.filter((f) => f.kind === "command").length, 0);
});

test("unknown or malformed targets emit no events at all", async () => {
  const o = observing();
  const { runtime } = await running([ok("c")], {}, { observer: o.observer });
  const { starts, ends, failures } = listen(runtime);
  const requests: unknown[] = [
    null,
    "ingest",
    { worker: "Bad", name: "c" },
    { worker: "ingest", name: "Bad Name" },
    { worker: "missing", name: "c" },
    { worker: "other/ingest", name: "c" },
    { worker: "ingest", name: "missing" },
    { worker: 7, name: "c" },
  ];
  for (const request of requests) {
    await rejection(runtime.dispatch(request as CommandRequest));
  }
  assert.deepEqual(starts, []);
  assert.deepEqual(ends, []);
  assert.deepEqual(failures, []);
  assert.deepEqual(o.starts, []);
  assert.deepEqual(o.ends, []);
  assert.deepEqual(o.failures, []);
});

test("an Observer sees start/end pairs and failures like listeners do", async () => {
  const o = observing();
  const { clock, runtime } = await running(
    [
      ok("fine", { message: "fine" }),
      {
        name: "flaky",
        handler: (_req, ctx) => {
          if (ctx.attempt < 2) throw new Error("flaky");
          return {};
        },
      },
    ],
    { commandRetry: attempts(2, { backoff: constant(5) }) },
    {
      observer: o.observer,
    },
  );
  await runtime.dispatch({ worker: "ingest", name: "fine" });
  const flaky = runtime.dispatch({ worker: "ingest", name: "flaky" });
  await clock.advance(5);
  await flaky;
  assert.equal(o.starts.length, 2);
  assert.equal(o.ends.length, 2);
  assert.deepEqual(
    o.ends.map((e) => [e.command, e.ok, e.attempts, e.durationMs]),
    [["fine", true, 1, 0], ["flaky", true, 2, 5]],
  );
  assert.deepEqual(
    o.ends.map((e) => e.dispatchId),
    o.starts.map((s) => s.dispatchId),
  );
  assert.deepEqual(
    o.failures.map((f) => [f.kind, f.command, f.attempt]),
    [["command", "flaky", 1]],
  );
});

test("an observer's wrap runs the handler inside it, on every attempt", async () => {
  let context: string | undefined;
  const seen: Array<string | undefined> = [];
  const o = observing({
    commandStart(e) {
      return {
        end() {},
        wrap<T>(fn: () => T): T {
          const previous = context;
          context = `trace:${e.dispatchId}`;
          try {
            return fn();
          } finally {
            context = previous;
          }
        },
      };
    },
  });
  const { clock, runtime } = await running(
    [{
      name: "c",
      handler: (_req, ctx) => {
        seen.push(context);
        if (ctx.attempt < 2) throw new Error("again");
        return { message: String(context) };
      },
    }],
    { commandRetry: attempts(2) },
    { observer: o.observer },
  );
  const done = runtime.dispatch({ worker: "ingest", name: "c" });
  await clock.advance(0);
  const result = await done;
  assert.equal(seen.length, 2);
  assert.ok(seen[0]?.startsWith("trace:"));
  assert.equal(seen[1], seen[0]);
  assert.equal(result.message, seen[0]);
  assert.equal(context, undefined);
});

test("a commandStart observer that throws changes nothing for the caller", async () => {
  const { runtime } = await running([ok("c", { message: "ok" })], {}, {
    observer: {
      commandStart() {
        throw new Error("observer broke");
      },
    },
  });
  const { starts, ends } = listen(runtime);
  assert.deepEqual(await runtime.dispatch({ worker: "ingest", name: "c" }), {
    message: "ok",
  });
  assert.equal(starts.length, 1);
  assert.equal(ends.length, 1);
});

test("an observation whose end throws changes nothing for the caller", async () => {
  const boom = new Error("handler boom");
  const { runtime } = await running(
    [
      ok("c", { message: "ok" }),
      {
        name: "broken",
        handler: () => {
          throw boom;
        },
      },
    ],
    {},
    {
      observer: {
        commandStart: () => ({
          end() {
            throw new Error("end broke");
          },
        }),
        failure() {
          throw new Error("failure hook broke");
        },
      },
    },
  );
  assert.deepEqual(await runtime.dispatch({ worker: "ingest", name: "c" }), {
    message: "ok",
  });
  assert.equal(
    await rejection(runtime.dispatch({ worker: "ingest", name: "broken" })),
    boom,
  );
  assert.equal(runtime.status().inFlight, 0);
});

test("an observation whose end returns a rejected promise is contained", async () => {
  const { runtime } = await running([ok("c", { message: "ok" })], {}, {
    observer: {
      commandStart: () => ({
        end: (() => Promise.reject(new Error("async end broke"))) as () => void,
      }),
    },
  });
  assert.deepEqual(await runtime.dispatch({ worker: "ingest", name: "c" }), {
    message: "ok",
  });
});

test("a wrap that throws without calling fn still runs the handler exactly once", async () => {
  let calls = 0;
  const { runtime } = await running(
    [{
      name: "c",
      handler: () => {
        calls++;
        return { message: "ran" };
      },
    }],
    {},
    {
      observer: {
        commandStart: () => ({
          end() {},
          wrap<T>(_fn: () => T): T {
            throw new Error("wrap broke");
          },
        }),
      },
    },
  );
  assert.deepEqual(await runtime.dispatch({ worker: "ingest", name: "c" }), {
    message: "ran",
  });
  assert.equal(calls, 1);
});

test("a wrap that throws after calling fn still returns the handler's result, handler run once", async () => {
  let calls = 0;
  const { runtime } = await running(
    [{
      name: "c",
      handler: async () => {
        calls++;
        await Promise.resolve();
        return { message: "ran" };
      },
    }],
    {},
    {
      observer: {
        commandStart: () => ({
          end() {},
          wrap<T>(fn: () => T): T {
            fn();
            throw new Error("wrap broke afterwards");
          },
        }),
      },
    },
  );
  assert.deepEqual(await runtime.dispatch({ worker: "ingest", name: "c" }), {
    message: "ran",
  });
  assert.equal(calls, 1);
});

test("a handler's own throw inside wrap reaches the caller unchanged", async () => {
  const boom = new Error("handler threw");
  const { runtime } = await running(
    [{
      name: "c",
      handler: () => {
        throw boom;
      },
    }],
    {},
    {
      observer: {
        commandStart: () => ({
          end() {},
          wrap: <T>(fn: () => T): T => fn(),
        }),
      },
    },
  );
  assert.equal(
    await rejection(runtime.dispatch({ worker: "ingest", name: "c" })),
    boom,
  );
  assert.equal(runtime.status().inFlight, 0);
});

test("throwing commandstart, commandend and failure listeners change nothing for the caller", async () => {
  const boom = new Error("handler boom");
  const { runtime } = await running([
    ok("c", { message: "ok" }),
    {
      name: "broken",
      handler: () => {
        throw boom;
      },
    },
  ]);
  let heard = 0;
  for (const type of ["commandstart", "commandend", "failure"]) {
    runtime.addEventListener(type, () => {
      heard++;
      throw new Error(`${type} listener broke`);
    });
    runtime.addEventListener(type, async () => {
      await Promise.resolve();
      throw new Error(`${type} async listener broke`);
    });
  }
  assert.deepEqual(await runtime.dispatch({ worker: "ingest", name: "c" }), {
    message: "ok",
  });
  assert.equal(
    await rejection(runtime.dispatch({ worker: "ingest", name: "broken" })),
    boom,
  );
  assert.equal(heard, 5); // start+end, then start+failure+end
  assert.equal(runtime.status().inFlight, 0);
  assert.equal(runtime.worker("ingest")!.status.state, "running");
});

test("no unhandled rejections", assertNoUnhandled);
