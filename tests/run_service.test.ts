import { test } from "node:test";
import assert from "node:assert/strict";
import { runService, Runtime, WorkerkitError } from "../mod.ts";
import type { Server, WorkerHandle } from "../mod.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { until } from "./_support/workers.ts";

/** A Server whose shutdown the test observes and may hold open. */
function recordingServer(log: string[], hang = false): Server {
  return {
    url: new URL("http://127.0.0.1:1/"),
    shutdown(signal?: AbortSignal) {
      log.push(`server.shutdown(aborted=${signal?.aborted})`);
      if (!hang) return Promise.resolve();
      return new Promise((resolve) =>
        signal?.addEventListener("abort", () => resolve())
      );
    },
  };
}

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const runtime = new Runtime({ name: "svc", clock });
  const log: string[] = [];
  const handles = new Map<string, WorkerHandle>();
  const add = (name: string, extra: Record<string, unknown> = {}) =>
    runtime.register({
      name,
      ...extra,
      worker: {
        start: (ctx) => {
          handles.set(name, ctx.worker);
          log.push(`${name}:start`);
        },
        stop: () => void log.push(`${name}:stop`),
      },
    });
  return { clock, runtime, log, handles, add };
}

test("runService() starts the workers, waits for the signal, then drains HTTP before workers", async () => {
  const { runtime, log, add } = setup();
  add("a");
  add("b");
  const stop = new AbortController();
  const service = runService({
    runtime,
    server: recordingServer(log),
    signal: stop.signal,
  });
  await until(() => runtime.status().state === "running", "running");
  assert.equal(runtime.status().ready, true);
  stop.abort();
  assert.deepEqual(await service, { exitCode: 0 });
  assert.deepEqual(log, [
    "a:start",
    "b:start",
    "server.shutdown(aborted=false)",
    "b:stop",
    "a:stop",
  ]);
});

test("readiness goes false at once and stays false through shutdownDelay, while liveness holds", async () => {
  const { clock, runtime, log, add } = setup();
  add("a");
  const stop = new AbortController();
  const service = runService({
    runtime,
    server: recordingServer(log),
    signal: stop.signal,
    shutdownDelay: 5_000,
  });
  await until(() => runtime.status().ready, "ready");
  stop.abort();
  await until(() => !runtime.status().ready, "unready");
  assert.equal(runtime.live(), true);
  assert.equal(runtime.readiness().reason, "shutting down");
  await clock.advance(4_999);
  assert.deepEqual(log, ["a:start"], "nothing stops during the delay");
  assert.equal(runtime.worker("a")!.status.state, "running");
  await clock.advance(1);
  assert.deepEqual(await service, { exitCode: 0 });
  assert.deepEqual(log, [
    "a:start",
    "server.shutdown(aborted=false)",
    "a:stop",
  ]);
});

test("the server and the runtime share one shutdown budget; overrunning it exits 1", async () => {
  const { clock, runtime, log, add } = setup();
  add("a");
  const stop = new AbortController();
  const service = runService({
    runtime,
    server: recordingServer(log, true),
    signal: stop.signal,
    shutdownTimeout: 1_000,
  });
  await until(() => runtime.status().state === "running", "running");
  stop.abort();
  await until(() => log.length === 2, "server shutting down");
  await clock.advance(1_000);
  assert.deepEqual(await service, { exitCode: 1 });
  assert.ok(log.includes("a:stop"), "the workers were still asked to stop");
});

test("a fail-runtime worker that fails for good ends the service with exit code 1", async () => {
  const { runtime, handles, add } = setup();
  add("critical", { failurePolicy: "fail-runtime" });
  add("side", { failurePolicy: "isolate" });
  const service = runService({ runtime, signal: new AbortController().signal });
  await until(() => runtime.status().state === "running", "running");
  handles.get("side")!.reportFailure(new Error("isolated"));
  handles.get("critical")!.reportFailure(new Error("fatal"));
  assert.deepEqual(await service, { exitCode: 1 });
  assert.equal(runtime.worker("side")!.status.state, "stopped");
});

test("an isolate failure never ends the service", async () => {
  const { runtime, handles, add } = setup();
  add("side");
  const stop = new AbortController();
  let ended = false;
  const service = runService({ runtime, signal: stop.signal }).then((r) => {
    ended = true;
    return r;
  });
  await until(() => runtime.status().state === "running", "running");
  handles.get("side")!.reportFailure(new Error("isolated"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(ended, false);
  stop.abort();
  assert.deepEqual(await service, { exitCode: 0 });
});

test("a start failure shuts down what started and rejects with the error", async () => {
  const { runtime, log, add } = setup();
  add("a");
  const boom = new Error("no database");
  runtime.register({
    name: "b",
    worker: { start: () => Promise.reject(boom), stop() {} },
  });
  await assert.rejects(
    runService({
      runtime,
      server: recordingServer(log),
      signal: new AbortController().signal,
    }),
    (e) => e === boom,
  );
  assert.deepEqual(log, [
    "a:start",
    "server.shutdown(aborted=false)",
    "a:stop",
  ]);
});

test("runService() refuses bad options with invalid_argument", async () => {
  const { runtime } = setup();
  const signal = new AbortController().signal;
  for (
    const options of [
      { runtime: {}, signal },
      { runtime },
      { runtime, signal, shutdownTimeout: 0 },
      { runtime, signal, shutdownDelay: -1 },
    ]
  ) {
    await assert.rejects(
      runService(options as never),
      (e) => e instanceof WorkerkitError && e.code === "invalid_argument",
    );
  }
});

test("no unhandled rejections", assertNoUnhandled);
