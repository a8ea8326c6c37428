import { test } from "node:test";
import assert from "node:assert/strict";
import {
  delay,
  runService,
  Runtime,
  type RuntimeEvent,
  WorkerkitError,
} from "../mod.ts";
import type {
  RunServiceOptions,
  Server,
  ServiceWarningEvent,
  ShutdownEvent,
  WorkerHandle,
} from "../mod.ts";
import { ManualClock, settle } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, until } from "./_support/workers.ts";

/** A Server whose shutdown the test observes and may hold open. */
function recordingServer(
  log: string[],
  { hang = false, shutdownDelay }: { hang?: boolean; shutdownDelay?: number } =
    {},
): Server {
  return {
    url: new URL("http://127.0.0.1:1/"),
    ...(shutdownDelay === undefined ? {} : { shutdownDelay }),
    shutdown(signal?: AbortSignal) {
      log.push(`server.shutdown(aborted=${signal?.aborted})`);
      if (!hang) return Promise.resolve();
      return new Promise((resolve) =>
        signal?.addEventListener("abort", () => {
          log.push("server forced");
          resolve();
        })
      );
    },
  };
}

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const runtime = new Runtime({ name: "svc", clock });
  const log: string[] = [];
  const handles = new Map<string, WorkerHandle>();
  const shutdowns: ShutdownEvent[] = [];
  const warnings: ServiceWarningEvent[] = [];
  runtime.addEventListener("shutdown", (event) => {
    shutdowns.push((event as RuntimeEvent<ShutdownEvent>).detail);
  });
  runtime.addEventListener("servicewarning", (event) => {
    warnings.push((event as RuntimeEvent<ServiceWarningEvent>).detail);
  });
  const add = (
    name: string,
    extra: Record<string, unknown> = {},
    stop: () => Promise<void> | void = () => {},
  ) =>
    runtime.register({
      name,
      ...extra,
      worker: {
        start: (ctx) => {
          handles.set(name, ctx.worker);
          log.push(`${name}:start`);
        },
        stop: () => {
          log.push(`${name}:stop`);
          return stop();
        },
      },
    });
  const stop = new AbortController();
  const run = (options: Partial<RunServiceOptions> = {}) =>
    runService({ runtime, signal: stop.signal, ...options });
  const running = () =>
    until(() => runtime.status().state === "running", "running");
  return {
    clock,
    runtime,
    log,
    handles,
    add,
    stop,
    run,
    running,
    shutdowns,
    warnings,
  };
}

/** Whether `promise` has settled by now. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await settle();
  return done;
}

test("runService() starts the workers, waits for the signal, then closes HTTP before workers", async () => {
  const { runtime, log, add, stop, run, running } = setup();
  add("a");
  add("b");
  const service = run({ server: recordingServer(log) });
  await running();
  assert.equal(runtime.status().ready, true);
  stop.abort();
  const result = await service;
  assert.equal(result.exitCode, 0);
  assert.deepEqual(result.unstopped, []);
  assert.deepEqual(log, [
    "a:start",
    "b:start",
    "server.shutdown(aborted=false)",
    "b:stop",
    "a:stop",
  ]);
});

test("readiness goes false at once and stays false through shutdownDelay, while liveness holds", async () => {
  const { clock, runtime, log, add, stop, run } = setup();
  add("a");
  const service = run({ server: recordingServer(log), shutdownDelay: 5_000 });
  await until(() => runtime.status().ready, "ready");
  stop.abort();
  await until(() => !runtime.status().ready, "unready");
  assert.equal(runtime.live(), true);
  assert.equal(runtime.readiness().reason, "shutting down");
  await clock.advance(4_999);
  assert.deepEqual(log, ["a:start"], "nothing stops during the delay");
  assert.equal(runtime.worker("a")!.status.state, "running");
  await clock.advance(1);
  const result = await service;
  assert.equal(result.exitCode, 0);
  assert.equal(result.phases.delay, 5_000);
  assert.deepEqual(log, [
    "a:start",
    "server.shutdown(aborted=false)",
    "a:stop",
  ]);
});

test("the delay defaults to the server's shutdownDelay, and runService's own option wins", async () => {
  const first = setup();
  first.add("a");
  const service = first.run({
    server: recordingServer(first.log, { shutdownDelay: 5_000 }),
  });
  await first.running();
  first.stop.abort();
  await first.clock.advance(4_999);
  assert.equal(await settled(service), false, "still in the server's delay");
  await first.clock.advance(1);
  assert.equal((await service).phases.delay, 5_000);

  const second = setup();
  second.add("a");
  const immediate = second.run({
    server: recordingServer(second.log, { shutdownDelay: 5_000 }),
    shutdownDelay: 0,
  });
  await second.running();
  second.stop.abort();
  assert.equal((await immediate).phases.delay, 0);
});

test("a server that will not close gets its share (a quarter of the budget), then is forced; the workers still stop cleanly", async () => {
  const { clock, log, add, stop, run, running, shutdowns } = setup();
  add("a");
  const service = run({
    server: recordingServer(log, { hang: true }),
    shutdownTimeout: 1_000,
  });
  await running();
  stop.abort();
  await until(() => log.length === 2, "server closing");
  await clock.advance(249);
  assert.deepEqual(log, ["a:start", "server.shutdown(aborted=false)"]);
  await clock.advance(1);
  const result = await service;
  assert.deepEqual(log, [
    "a:start",
    "server.shutdown(aborted=false)",
    "server forced",
    "a:stop",
  ]);
  assert.equal(result.exitCode, 0, "a slow client is not the service's fault");
  assert.equal(result.phases.server, 250);
  assert.equal(shutdowns.length, 1);
  assert.equal(shutdowns[0]!.forcedClose, true);
});

test("a server whose shutdown never settles, even when aborted, does not hold runService", async () => {
  const { clock, log, add, stop, run, running } = setup();
  add("a");
  const server: Server = {
    url: new URL("http://127.0.0.1:1/"),
    shutdown: () => new Promise(() => {}),
  };
  const service = run({ server, serverCloseTimeout: 100 });
  await running();
  stop.abort();
  await clock.advance(100);
  const result = await service;
  assert.equal(result.exitCode, 0);
  assert.deepEqual(log, ["a:start", "a:stop"]);
});

test("workers that overrun their share exit 1, are named in unstopped and in the shutdown event", async () => {
  const { clock, add, stop, run, running, shutdowns } = setup();
  add("fast");
  add("slow", {}, () => new Promise(() => {}));
  const service = run({ shutdownTimeout: 1_000 });
  await running();
  stop.abort();
  await clock.advance(999);
  assert.equal(await settled(service), false);
  await clock.advance(1);
  const result = await service;
  assert.equal(result.exitCode, 1);
  assert.deepEqual(result.unstopped, ["svc/slow"]);
  assert.equal(shutdowns.length, 1);
  const [event] = shutdowns;
  assert.equal(event!.problem, "deadline_exceeded");
  assert.equal(event!.trigger, "signal");
  assert.deepEqual(event!.unstopped, ["svc/slow"]);
  assert.deepEqual(event!.phases, result.phases);
  assert.equal(event!.runtime, "svc");
});

test("the budget defaults to 20 s after the delay", async () => {
  const { clock, add, stop, run, running } = setup();
  add("slow", {}, () => new Promise(() => {}));
  const service = run();
  await running();
  stop.abort();
  await clock.advance(19_999);
  assert.equal(await settled(service), false);
  await clock.advance(1);
  assert.equal((await service).exitCode, 1);
});

test("phases: the drain waits for in-flight commands, then the stops; each phase is timed", async () => {
  const { clock, runtime, add, stop, run, running } = setup();
  const held = deferred();
  add("a", {
    commands: [{ name: "slow", handler: () => held.promise }],
  }, () => delay(200, { clock }));
  const service = run({ server: recordingServer([]), shutdownDelay: 1_000 });
  await running();
  const dispatched = runtime.dispatch({ worker: "a", name: "slow" });
  stop.abort();
  await clock.advance(1_000);
  await clock.advance(300);
  held.resolve();
  await dispatched;
  await until(() => runtime.worker("a")!.status.state === "stopping", "stop");
  await clock.advance(200);
  const { exitCode, phases } = await service;
  assert.equal(exitCode, 0);
  assert.deepEqual(phases, {
    delay: 1_000,
    server: 0,
    drain: 300,
    stop: 200,
    flush: 0,
    total: 1_500,
  });
});

test("flush runs after the workers stopped, with the rest of the budget as its deadline", async () => {
  const { clock, log, add, stop, run, running } = setup();
  add("a");
  let flushSignal: AbortSignal | undefined;
  const service = run({
    shutdownTimeout: 1_000,
    flush: (signal) => {
      log.push("flush");
      flushSignal = signal;
      return new Promise(() => {}); // ignores its signal
    },
  });
  await running();
  stop.abort();
  await until(() => log.includes("flush"), "flush");
  assert.deepEqual(log, ["a:start", "a:stop", "flush"]);
  await clock.advance(999);
  assert.equal(flushSignal!.aborted, false);
  await clock.advance(1);
  assert.equal(flushSignal!.aborted, true);
  const result = await service;
  assert.equal(result.exitCode, 1, "an overrun flush is a budget overrun");
  assert.equal(result.phases.flush, 1_000);
});

test("the flush keeps its reserve when the workers overrun theirs", async () => {
  const { clock, log, add, stop, run, running, shutdowns } = setup();
  add("slow", {}, () => new Promise(() => {}));
  const service = run({
    shutdownTimeout: 1_000,
    flushReserve: 300,
    flush: () => {
      log.push(`flush at ${clock.now() - Date.UTC(2026, 0, 1)}`);
      return Promise.resolve();
    },
  });
  await running();
  stop.abort();
  await clock.advance(700);
  const result = await service;
  assert.deepEqual(log, ["slow:start", "slow:stop", "flush at 700"]);
  assert.equal(result.exitCode, 1);
  assert.deepEqual(result.unstopped, ["svc/slow"]);
  assert.equal(shutdowns[0]!.budget.flushReserve, 300);
});

test("a flush that rejects or throws exits 1 and is never unhandled", async () => {
  for (
    const flush of [
      () => Promise.reject(new Error("collector down")),
      () => {
        throw new Error("sync throw");
      },
    ]
  ) {
    const { add, stop, run, running, shutdowns } = setup();
    add("a");
    const service = run({ flush: flush as () => Promise<void> });
    await running();
    stop.abort();
    const result = await service;
    assert.equal(result.exitCode, 1);
    assert.equal(shutdowns[0]!.problem, "flush_failed");
  }
});

test("a budget that overruns the grace period is a servicewarning at start; the defaults fit", async () => {
  const fits = setup();
  fits.add("a");
  const ok = fits.run({
    server: recordingServer([], { shutdownDelay: 5_000 }),
    flush: () => Promise.resolve(),
  });
  await fits.running();
  assert.deepEqual(fits.warnings, []);
  fits.stop.abort();
  await fits.clock.advance(5_000);
  await ok;
  assert.deepEqual(fits.shutdowns[0]!.budget, {
    gracePeriod: 30_000,
    shutdownDelay: 5_000,
    shutdownTimeout: 20_000,
    serverCloseTimeout: 5_000,
    flushReserve: 2_000,
  });

  const tight = setup();
  tight.add("a");
  const service = tight.run({ shutdownDelay: 15_000, gracePeriod: 30_000 });
  await tight.running();
  assert.equal(tight.warnings.length, 1);
  assert.equal(tight.warnings[0]!.code, "budget_exceeds_grace_period");
  assert.equal(tight.warnings[0]!.requestedMs, 35_000);
  assert.match(tight.warnings[0]!.message, /30000 ms grace period/);
  tight.stop.abort();
  await tight.clock.advance(15_000);
  assert.equal((await service).exitCode, 0);
});

test("server and flush shares that leave the workers nothing are clipped, with a servicewarning each", async () => {
  const { clock, add, stop, run, running, warnings, shutdowns } = setup();
  add("a");
  const service = run({
    shutdownTimeout: 20_000,
    serverCloseTimeout: 15_000,
    flushReserve: 15_000,
    flush: () => Promise.resolve(),
  });
  await running();
  assert.deepEqual(
    warnings.map(({ code, step, requestedMs, clippedMs }) => ({
      code,
      step,
      requestedMs,
      clippedMs,
    })),
    [
      {
        code: "timeout_clipped",
        step: "flush",
        requestedMs: 15_000,
        clippedMs: 10_000,
      },
      {
        code: "timeout_clipped",
        step: "server",
        requestedMs: 15_000,
        clippedMs: 5_000,
      },
    ],
  );
  stop.abort();
  await clock.advance(0);
  await service;
  assert.equal(shutdowns[0]!.budget.serverCloseTimeout, 5_000);
  assert.equal(shutdowns[0]!.budget.flushReserve, 10_000);
});

test("a fail-runtime worker that fails for good ends the service with exit code 1", async () => {
  const { runtime, handles, add, run, running, shutdowns } = setup();
  add("critical", { failurePolicy: "fail-runtime" });
  add("side", { failurePolicy: "isolate" });
  const service = run();
  await running();
  handles.get("side")!.reportFailure(new Error("isolated"));
  handles.get("critical")!.reportFailure(new Error("fatal"));
  assert.equal((await service).exitCode, 1);
  assert.equal(runtime.worker("side")!.status.state, "stopped");
  assert.equal(shutdowns[0]!.trigger, "fail-runtime");
  assert.equal(shutdowns[0]!.problem, "fail_runtime");
});

test("an isolate failure never ends the service", async () => {
  const { handles, add, stop, run, running } = setup();
  add("side");
  const service = run();
  await running();
  handles.get("side")!.reportFailure(new Error("isolated"));
  assert.equal(await settled(service), false);
  stop.abort();
  assert.equal((await service).exitCode, 0);
});

test("a start failure shuts down what started and rejects with the error", async () => {
  const { runtime, log, add, run, shutdowns } = setup();
  add("a");
  const boom = new Error("no database");
  runtime.register({
    name: "b",
    worker: { start: () => Promise.reject(boom), stop() {} },
  });
  await assert.rejects(
    run({ server: recordingServer(log), shutdownDelay: 5_000 }),
    (e) => e === boom,
  );
  assert.deepEqual(log, [
    "a:start",
    "server.shutdown(aborted=false)",
    "a:stop",
  ]);
  assert.equal(shutdowns[0]!.trigger, "start-failure");
  assert.equal(shutdowns[0]!.phases.delay, 0, "no delay: nothing was ready");
});

test("runService() refuses bad options with invalid_argument", async () => {
  const { runtime } = setup();
  const signal = new AbortController().signal;
  const server = recordingServer([]);
  for (
    const options of [
      null,
      { runtime: {}, signal },
      { runtime },
      { runtime, signal, shutdownTimeout: 0 },
      { runtime, signal, shutdownDelay: -1 },
      { runtime, signal, gracePeriod: Number.NaN },
      { runtime, signal, serverCloseTimeout: -5 },
      { runtime, signal, flushReserve: Infinity },
      { runtime, signal, flush: "later" },
      { runtime, signal, server: { url: "x" } },
      { runtime, signal, server: { ...server, shutdownDelay: -1 } },
      { runtime, signal, shutdowntimeout: 1_000 },
    ]
  ) {
    await assert.rejects(
      runService(options as never),
      (e) => e instanceof WorkerkitError && e.code === "invalid_argument",
      JSON.stringify(options),
    );
  }
});

test("no unhandled rejections", assertNoUnhandled);
