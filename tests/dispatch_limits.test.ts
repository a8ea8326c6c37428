import { test } from "node:test";
import assert from "node:assert/strict";
import { attempts, constant } from "../mod.ts";
import type {
  Command,
  CommandRequest,
  CommandResult,
  Runtime,
  WorkerDefaults,
} from "../mod.ts";
import { held, inFlight, refused, running } from "./_support/dispatch_setup.ts";
import { code, setup } from "./_support/runtime_setup.ts";
import { settle } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { ScriptedWorker, until } from "./_support/workers.ts";

// ── Helpers ─────────────────────────────────────────────────────────────

/** Dispatches and records each outcome as it happens. */
function launch(runtime: Runtime, requests: CommandRequest[]) {
  const outcomes: Array<
    { ok: true; value: CommandResult } | { ok: false; error: unknown }
  > = [];
  const promises = requests.map((request) =>
    runtime.dispatch(request).then(
      (value) => void outcomes.push({ ok: true, value }),
      (error: unknown) => void outcomes.push({ ok: false, error }),
    )
  );
  return { outcomes, all: Promise.all(promises) };
}

/** Registers workers "a" and "b", each owning command "c", and starts them. */
async function startPair(
  runtime: Runtime,
  handler: Command["handler"],
  settings: WorkerDefaults = {},
): Promise<void> {
  for (const name of ["a", "b"]) {
    runtime.register({
      name,
      worker: new ScriptedWorker(name),
      ...settings,
      commands: [{ name: "c", handler }],
    });
  }
  await runtime.startAll();
}

/**
 * Wraps one AbortSignal's addEventListener/removeEventListener to count the
 * abort listeners that are live on it.
 */
function countListeners(signal: AbortSignal) {
  const live = new Set<EventListenerOrEventListenerObject>();
  const counts = { added: 0, removed: 0, live };
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ) => {
    if (type === "abort" && listener && !live.has(listener)) {
      counts.added++;
      live.add(listener);
    }
    add(type, listener as EventListenerOrEventListenerObject, options);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ) => {
    if (type === "abort" && listener && live.delete(listener)) {
      counts.removed++;
    }
    remove(type, listener as EventListenerOrEventListenerObject, options);
  }) as typeof signal.removeEventListener;
  return counts;
}

// ── Caps ────────────────────────────────────────────────────────────────

test("dispatch() refuses with worker_saturated when the worker cap is full", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }], {
    commandConcurrency: 2,
  });
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  const second = runtime.dispatch({ worker: "billing/ingest", name: "c" });
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "worker_saturated",
  );
  assert.equal(h.calls.length, 2);
  assert.deepEqual(inFlight(runtime), { worker: 2, runtime: 2 });
  for (const call of h.calls) call.done.resolve();
  await Promise.all([first, second]);
});

test("1,000 parallel dispatches at worker cap 10: exactly 10 run, 990 get worker_saturated at once, and all 10 complete", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }], {
    commandConcurrency: 10,
  });
  const { outcomes, all } = launch(
    runtime,
    Array.from({ length: 1_000 }, (_, i) => ({
      worker: "ingest",
      name: "c",
      payload: i,
    })),
  );
  await settle(); // no slot is released, no time passes
  assert.equal(h.calls.length, 10);
  assert.equal(outcomes.length, 990);
  assert.ok(
    outcomes.every((o) => !o.ok && code(o.error) === "worker_saturated"),
  );
  assert.deepEqual(inFlight(runtime), { worker: 10, runtime: 10 });

  for (const call of h.calls) {
    call.done.resolve({ payload: call.request.payload });
  }
  await all;
  assert.equal(outcomes.length, 1_000); // nothing lost
  const results = outcomes.filter((o) => o.ok);
  assert.equal(results.length, 10);
  assert.deepEqual(
    new Set(results.map((o) => (o.ok ? o.value.payload : undefined))),
    new Set(h.calls.map((c) => c.request.payload)),
  );
  assert.equal(h.calls.length, 10); // refused dispatches never ran later
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
});

test("the runtime-wide commandConcurrency caps dispatches across two workers: 10 of 1,000 run, 990 get runtime_saturated", async () => {
  const h = held();
  const { runtime } = setup({ commandConcurrency: 10 });
  await startPair(runtime, h.handler);
  const { outcomes, all } = launch(
    runtime,
    Array.from({ length: 1_000 }, (_, i) => ({
      worker: i % 2 === 0 ? "a" : "b",
      name: "c",
    })),
  );
  await settle();
  assert.equal(h.calls.length, 10);
  assert.equal(outcomes.length, 990);
  assert.ok(
    outcomes.every((o) => !o.ok && code(o.error) === "runtime_saturated"),
  );
  assert.equal(runtime.status().inFlight, 10);
  assert.equal(
    runtime.worker("a")!.status.inFlight + runtime.worker("b")!.status.inFlight,
    10,
  );
  assert.ok(runtime.worker("a")!.status.inFlight > 0);
  assert.ok(runtime.worker("b")!.status.inFlight > 0);

  for (const call of h.calls) call.done.resolve({ message: "done" });
  await all;
  assert.equal(outcomes.length, 1_000);
  assert.equal(outcomes.filter((o) => o.ok).length, 10);
  assert.equal(h.calls.length, 10);
  assert.equal(runtime.status().inFlight, 0);
});

test("commandConcurrency 0 (the default) is unbounded: 1,000 parallel dispatches all run", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  const { outcomes, all } = launch(
    runtime,
    Array.from({ length: 1_000 }, () => ({ worker: "ingest", name: "c" })),
  );
  await settle();
  assert.equal(h.calls.length, 1_000);
  assert.equal(outcomes.length, 0);
  assert.deepEqual(inFlight(runtime), { worker: 1_000, runtime: 1_000 });
  for (const call of h.calls) call.done.resolve();
  await all;
  assert.ok(outcomes.every((o) => o.ok));
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
});

test("a slot frees when a dispatch finishes, so a later dispatch is admitted", async () => {
  const h = held();
  const boom = new Error("boom");
  const { runtime } = await running([
    { name: "held", handler: h.handler },
    {
      name: "throws",
      handler: () => {
        throw boom;
      },
    },
    {
      name: "rejects",
      handler: () => Promise.reject(boom),
    },
  ], { commandConcurrency: 1 });

  // A success frees the slot.
  const first = runtime.dispatch({ worker: "ingest", name: "held" });
  await refused(
    runtime.dispatch({ worker: "ingest", name: "held" }),
    "worker_saturated",
  );
  h.calls[0]!.done.resolve();
  await first;
  const second = runtime.dispatch({ worker: "ingest", name: "held" });
  assert.equal(runtime.worker("ingest")!.status.inFlight, 1);

  // A failure frees it too.
  h.calls[1]!.done.reject(boom);
  await assert.rejects(second, (e) => e === boom);
  await assert.rejects(
    runtime.dispatch({ worker: "ingest", name: "throws" }),
    (e) => e === boom,
  );
  await assert.rejects(
    runtime.dispatch({ worker: "ingest", name: "rejects" }),
    (e) => e === boom,
  );
  const third = runtime.dispatch({ worker: "ingest", name: "held" });
  assert.equal(h.calls.length, 3);
  h.calls[2]!.done.resolve({ message: "third" });
  assert.deepEqual(await third, { message: "third" });
  assert.deepEqual(inFlight(runtime), { worker: 0, runtime: 0 });
});

test("the worker cap is per worker: a full worker does not block another", async () => {
  const h = held();
  const { runtime } = setup();
  await startPair(runtime, h.handler, { commandConcurrency: 1 });
  const a = runtime.dispatch({ worker: "a", name: "c" });
  await refused(
    runtime.dispatch({ worker: "a", name: "c" }),
    "worker_saturated",
  );
  const b = runtime.dispatch({ worker: "b", name: "c" });
  assert.equal(h.calls.length, 2);
  assert.equal(runtime.status().inFlight, 2);
  for (const call of h.calls) call.done.resolve();
  await Promise.all([a, b]);
});

test("a runtime slot released by one worker admits a dispatch to another", async () => {
  const h = held();
  const { runtime } = setup({ commandConcurrency: 1 });
  await startPair(runtime, h.handler);
  const a = runtime.dispatch({ worker: "a", name: "c" });
  await refused(
    runtime.dispatch({ worker: "b", name: "c" }),
    "runtime_saturated",
  );
  h.calls[0]!.done.resolve();
  await a;
  const b = runtime.dispatch({ worker: "b", name: "c" });
  assert.equal(h.calls.length, 2);
  assert.equal(runtime.worker("b")!.status.inFlight, 1);
  h.calls[1]!.done.resolve();
  await b;
});

test("saturation has no hidden queue: a refused dispatch never runs, even after slots free up", async () => {
  let runs = 0;
  const h = held();
  const { clock, runtime } = await running([{
    name: "c",
    handler: (req, ctx) => {
      runs++;
      return h.handler(req, ctx);
    },
  }], { commandConcurrency: 1 });
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  for (let i = 0; i < 20; i++) {
    await refused(
      runtime.dispatch({ worker: "ingest", name: "c" }),
      "worker_saturated",
    );
  }
  h.calls[0]!.done.resolve();
  await first;
  await clock.advance(60_000);
  assert.equal(runs, 1);
  assert.equal(runtime.status().inFlight, 0);
});

// ── Admission order around the caps ─────────────────────────────────────

test("runtime_saturated comes before worker_saturated when both caps are full", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }], {
    commandConcurrency: 1,
  }, { commandConcurrency: 1 });
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "runtime_saturated",
  );
  h.calls[0]!.done.resolve();
  await first;
});

test("worker_not_accepting_work comes before runtime_saturated", async () => {
  const h = held();
  const { runtime } = setup({ commandConcurrency: 1 });
  const closed = new ScriptedWorker("closed");
  runtime.register({
    name: "busy",
    worker: new ScriptedWorker("busy"),
    commands: [{ name: "c", handler: h.handler }],
  });
  runtime.register({
    name: "closed",
    worker: closed,
    commands: [{ name: "c", handler: h.handler }],
  });
  await runtime.startAll();
  closed.contexts[0]!.worker.setAcceptingWork(false);
  const first = runtime.dispatch({ worker: "busy", name: "c" });
  await refused(
    runtime.dispatch({ worker: "closed", name: "c" }),
    "worker_not_accepting_work",
  );
  h.calls[0]!.done.resolve();
  await first;
});

test("worker_not_accepting_work comes before worker_saturated", async () => {
  const h = held();
  const { runtime, handle } = await running(
    [{ name: "c", handler: h.handler }],
    {
      commandConcurrency: 1,
    },
  );
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  handle.setAcceptingWork(false);
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "worker_not_accepting_work",
  );
  h.calls[0]!.done.resolve();
  await first;
});

test("a draining worker that is also at its cap refuses with invalid_worker_state", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }], {
    commandConcurrency: 1,
  });
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  await runtime.drain("ingest");
  assert.equal(runtime.worker("ingest")!.status.inFlight, 1);
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "invalid_worker_state",
  );
  h.calls[0]!.done.resolve({ message: "finished" });
  assert.deepEqual(await first, { message: "finished" });
});

test("a saturated runtime after stopAll() refuses with runtime_not_accepting_work", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }], {
    commandConcurrency: 1,
  }, { commandConcurrency: 1 });
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  await runtime.stopAll(); // does not wait for the command
  assert.equal(runtime.status().inFlight, 1);
  await refused(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    "runtime_not_accepting_work",
  );
  h.calls[0]!.done.resolve();
  await first;
  assert.equal(runtime.status().inFlight, 0);
});

// ── In-flight accounting and idle waits ─────────────────────────────────

test("inFlight counts admitted dispatches per worker and runtime-wide; refusals never count", async () => {
  const h = held();
  const { runtime } = setup({ commandConcurrency: 3 });
  await startPair(runtime, h.handler, { commandConcurrency: 2 });
  const running: Promise<unknown>[] = [];
  running.push(runtime.dispatch({ worker: "a", name: "c" }));
  running.push(runtime.dispatch({ worker: "a", name: "c" }));
  await refused(
    runtime.dispatch({ worker: "a", name: "c" }),
    "worker_saturated",
  );
  running.push(runtime.dispatch({ worker: "b", name: "c" }));
  await refused(
    runtime.dispatch({ worker: "b", name: "c" }),
    "runtime_saturated",
  );
  assert.deepEqual(inFlight(runtime, "a"), { worker: 2, runtime: 3 });
  assert.equal(runtime.worker("b")!.status.inFlight, 1);
  assert.equal(runtime.workers().reduce((n, w) => n + w.status.inFlight, 0), 3);
  h.calls[0]!.done.resolve();
  await running[0];
  assert.deepEqual(inFlight(runtime, "a"), { worker: 1, runtime: 2 });
  for (const call of h.calls.slice(1)) call.done.resolve();
  await Promise.all(running);
  assert.deepEqual(inFlight(runtime, "a"), { worker: 0, runtime: 0 });
  assert.equal(runtime.worker("b")!.status.inFlight, 0);
});

test("waitIdle() and waitAllIdle() resolve when the last in-flight dispatch finishes", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  await runtime.waitIdle("ingest"); // nothing in flight: at once
  await runtime.waitAllIdle();
  const dispatches = [
    runtime.dispatch({ worker: "ingest", name: "c" }),
    runtime.dispatch({ worker: "ingest", name: "c" }),
  ];
  let idle = false;
  let allIdle = false;
  const waits = [
    runtime.waitIdle("ingest").then(() => void (idle = true)),
    runtime.waitAllIdle().then(() => void (allIdle = true)),
  ];
  h.calls[0]!.done.resolve();
  await dispatches[0];
  await settle();
  assert.equal(idle, false);
  assert.equal(allIdle, false);
  h.calls[1]!.done.resolve();
  await Promise.all([...dispatches, ...waits]);
  assert.equal(idle, true);
  assert.equal(allIdle, true);
});

test("waitIdle() rejects with its signal's reason while commands are in flight", async () => {
  const h = held();
  const { runtime } = await running([{ name: "c", handler: h.handler }]);
  const done = runtime.dispatch({ worker: "ingest", name: "c" });
  const controller = new AbortController();
  const reason = new Error("stop waiting");
  const waiting = runtime.waitIdle("ingest", { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  h.calls[0]!.done.resolve();
  await done;
});

// ── No listener or timer leaks ──────────────────────────────────────────

test("100k sequential dispatches with one caller signal leave no abort listener and no timer behind", async () => {
  const { clock, runtime } = await running([
    { name: "c", handler: () => ({ message: "ok" }) },
  ]);
  const controller = new AbortController();
  const counts = countListeners(controller.signal);
  const options = { signal: controller.signal };
  const request = { worker: "ingest", name: "c" };
  for (let i = 0; i < 100_000; i++) await runtime.dispatch(request, options);
  assert.equal(counts.added, counts.removed);
  assert.equal(counts.live.size, 0);
  assert.equal(runtime.status().inFlight, 0);
  assert.ok(clock.pending <= 2, `${clock.pending} timers pending`);
  await clock.advance(1);
  assert.equal(clock.pending, 0);

  // The signal is still honoured afterwards.
  const h = held();
  runtime.register({
    name: "late",
    worker: new ScriptedWorker(),
    commands: [{ name: "c", handler: h.handler }],
  });
  await runtime.start("late");
  const reason = new Error("aborted at last");
  const last = runtime.dispatch({ worker: "late", name: "c" }, options);
  controller.abort(reason);
  await assert.rejects(last, (e) => e === reason);
  h.calls[0]!.done.resolve();
});

test("10k async dispatches without a caller signal leave no timer behind once idle, and timeouts still work", async () => {
  const { clock, runtime } = await running([
    { name: "c", handler: async () => {} },
  ], { commandTimeout: 5_000 });
  for (let i = 0; i < 10_000; i++) {
    await runtime.dispatch({ worker: "ingest", name: "c" });
  }
  assert.ok(clock.pending <= 2, `${clock.pending} timers pending`);
  await clock.advance(1);
  assert.equal(clock.pending, 0);
  // And timeouts still work afterwards.
  const h = held();
  runtime.register({
    name: "slow",
    worker: new ScriptedWorker(),
    commandTimeout: 100,
    commands: [{ name: "c", handler: h.handler }],
  });
  await runtime.start("slow");
  const timedOut = runtime.dispatch({ worker: "slow", name: "c" });
  const check = assert.rejects(
    timedOut,
    (e) => code(e) === "deadline_exceeded",
  );
  await clock.advance(100);
  await check;
  h.calls[0]!.done.resolve();
});

test("listeners and timers balance across every outcome: success, failure, retry, timeout and cancellation", async () => {
  let n = 0;
  const h = held();
  const { clock, runtime } = await running([
    { name: "ok", handler: () => ({}) },
    {
      name: "throws",
      handler: () => {
        throw new Error("no");
      },
    },
    {
      name: "flaky",
      handler: (_req, ctx) => {
        if (ctx.attempt === 1) throw new Error("once");
        return {};
      },
    },
    {
      name: "cooperative",
      handler: (_req, ctx) =>
        new Promise<void>((_resolve, reject) => {
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
        }),
    },
    { name: "stuck", handler: h.handler },
    { name: "count", handler: () => void n++ },
  ], {
    commandTimeout: 50,
    commandRetry: attempts(2, { backoff: constant(10) }),
  });
  const controller = new AbortController();
  const counts = countListeners(controller.signal);
  const signal = controller.signal;
  for (let round = 0; round < 20; round++) {
    await runtime.dispatch({ worker: "ingest", name: "ok" }, { signal });
    const failing = assert.rejects(
      runtime.dispatch({ worker: "ingest", name: "throws" }, { signal }),
    );
    const flaky = runtime.dispatch({ worker: "ingest", name: "flaky" }, {
      signal,
    });
    const coop = assert.rejects(
      runtime.dispatch({ worker: "ingest", name: "cooperative" }, { signal }),
      (e) => code(e) === "deadline_exceeded",
    );
    const stuck = assert.rejects(
      runtime.dispatch({ worker: "ingest", name: "stuck" }, { signal }),
      (e) => code(e) === "deadline_exceeded",
    );
    // Cancellation by another caller's signal, in the middle of a retry wait.
    const other = new AbortController();
    const otherCounts = countListeners(other.signal);
    const canceled = assert.rejects(
      runtime.dispatch({ worker: "ingest", name: "throws" }, {
        signal: other.signal,
      }),
    );
    await clock.advance(5);
    other.abort(new Error("cancel"));
    await canceled;
    await clock.advance(200);
    await Promise.all([failing, flaky, coop, stuck]);
    assert.equal(
      otherCounts.added,
      otherCounts.removed + otherCounts.live.size,
    );
    assert.ok(otherCounts.live.size <= 1); // a fired once-listener is gone anyway
  }
  for (const call of h.calls) call.done.resolve();
  await until(() => runtime.status().inFlight === 0, "all released");
  assert.equal(counts.added, counts.removed);
  assert.equal(counts.live.size, 0);
  await clock.advance(1);
  assert.equal(clock.pending, 0);
  await runtime.dispatch({ worker: "ingest", name: "count" }, { signal });
  assert.equal(n, 1);
});

test("the shared deadline timer is dropped once the runtime is idle and armed again for the next dispatch", async () => {
  const h = held();
  const { clock, runtime } = await running(
    [{ name: "c", handler: h.handler }],
    {
      commandTimeout: 1_000,
    },
  );
  assert.equal(clock.pending, 0);
  const first = runtime.dispatch({ worker: "ingest", name: "c" });
  assert.ok(clock.pending >= 1);
  h.calls[0]!.done.resolve();
  await first;
  await clock.advance(1);
  assert.equal(clock.pending, 0);
  const second = assert.rejects(
    runtime.dispatch({ worker: "ingest", name: "c" }),
    (e) => code(e) === "deadline_exceeded",
  );
  assert.ok(clock.pending >= 1);
  await clock.advance(1_000);
  await second;
  h.calls[1]!.done.resolve();
  await until(() => runtime.status().inFlight === 0, "released");
  await clock.advance(1);
  assert.equal(clock.pending, 0);
});

test("no unhandled rejections", assertNoUnhandled);
