import { test } from "node:test";
import assert from "node:assert/strict";
import { multiObserver, Runtime, WorkerkitError } from "../mod.ts";
import type { CommandObservation, Observer } from "../mod.ts";
import { logObserver } from "../src/log/mod.ts";
import {
  AT,
  EVENT_TYPES,
  observedRuntime,
  recordingObserver,
  registerPrices,
  type Seen,
  Transient,
} from "./_support/observed_story.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, record } from "./_support/workers.ts";

const SECRET = "sk_live_SECRET_4242";
const TYPES = EVENT_TYPES;

/** Records every event type the runtime dispatches. */
function listen(runtime: Runtime): Seen[] {
  return record(runtime, TYPES);
}

/** A runtime with one worker whose commands succeed, fail, fail once, or hold. */
function story(observer?: Observer) {
  const { clock, runtime } = observedRuntime(observer);
  const hold = deferred<void>();
  const boom = new Error(`charge failed: api key ${SECRET}`);
  const transient = new Transient("try again");
  let flakyCalls = 0;
  registerPrices(runtime, [
    { name: "ok", handler: () => ({ message: "done" }) },
    {
      name: "fail",
      handler: () => {
        throw boom;
      },
    },
    {
      name: "flaky",
      handler: () => {
        if (flakyCalls++ === 0) throw transient;
        return { message: "second time" };
      },
    },
    { name: "hold", handler: () => hold.promise.then(() => ({})) },
  ]);
  return { clock, runtime, hold, boom, transient };
}

function code(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

/** The detail without its private `cause`, for deep comparison. */
function publicPart(seen: Seen): Seen {
  const { cause: _cause, ...detail } = seen.detail;
  return { type: seen.type, detail };
}

test("observer and EventTarget see the same exact sequence: start, ok, failing, retried, saturated, unknown, drain, stop", async () => {
  const fromObserver: Seen[] = [];
  const { clock, runtime, hold, boom, transient } = story(
    recordingObserver(fromObserver),
  );
  const fromListeners = listen(runtime);
  const mark: Record<string, number> = {};

  await runtime.startAll();
  mark.started = fromObserver.length;

  assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
    message: "done",
  });
  const failed = await runtime.dispatch({ worker: "prices", name: "fail" })
    .then(() => undefined, (e: unknown) => e);
  assert.equal(failed, boom, "the caller gets the original error");
  const retried = runtime.dispatch({ worker: "prices", name: "flaky" });
  await clock.advance(0);
  assert.deepEqual(await retried, { message: "second time" });

  const held = runtime.dispatch({ worker: "prices", name: "hold" });
  const saturated = await runtime.dispatch({
    worker: "billing/prices",
    name: "ok",
  })
    .then(() => undefined, (e: unknown) => e);
  assert.equal(code(saturated), "worker_saturated");
  hold.resolve();
  await held;
  mark.dispatched = fromObserver.length;

  for (
    const request of [
      { worker: "nope", name: "ok" },
      { worker: "prices", name: "nope" },
      { worker: "other/prices", name: "ok" },
      { worker: "BAD!", name: "ok" },
      { worker: "prices", name: "Bad Name" },
    ]
  ) {
    await assert.rejects(runtime.dispatch(request), WorkerkitError);
  }
  assert.equal(
    fromObserver.length,
    mark.dispatched,
    "unknown or malformed targets emit no events at all",
  );

  await runtime.drain("prices");
  await runtime.waitIdle("prices");
  await runtime.stop("prices");
  mark.stopped = fromObserver.length;
  await runtime.shutdown();
  assert.equal(fromObserver.length, mark.stopped, "shutdown adds nothing");

  // The same events, in the same order, as the very same objects.
  assert.equal(fromListeners.length, fromObserver.length);
  fromObserver.forEach((seen, i) => {
    assert.equal(fromListeners[i]!.type, seen.type, `type of event ${i}`);
    assert.equal(fromListeners[i]!.detail, seen.detail, `detail of event ${i}`);
  });

  const ids = fromObserver.filter((s) => s.type === "commandstart").map((s) =>
    s.detail.dispatchId as string
  );
  assert.equal(ids.length, 5);
  assert.equal(new Set(ids).size, 5, "every dispatch has its own id");
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-z]+$/);
  const [okId, failId, flakyId, holdId, refusedId] = ids;

  const w = { runtime: "billing", worker: "billing/prices" };
  const rt = { runtime: "billing" };
  const cmd = (command: string, dispatchId: string | undefined) => ({
    ...w,
    command,
    dispatchId,
    at: AT,
  });
  assert.deepEqual(fromObserver.map(publicPart), [
    // startAll
    {
      type: "transition",
      detail: { ...w, from: "registered", to: "starting", at: AT },
    },
    {
      type: "transition",
      detail: { ...rt, from: "registered", to: "starting", at: AT },
    },
    {
      type: "transition",
      detail: { ...w, from: "starting", to: "running", at: AT },
    },
    { type: "readiness", detail: { ...w, ready: true, at: AT } },
    {
      type: "transition",
      detail: { ...rt, from: "starting", to: "running", at: AT },
    },
    { type: "readiness", detail: { ...rt, ready: true, at: AT } },
    // ok
    { type: "commandstart", detail: cmd("ok", okId) },
    {
      type: "commandend",
      detail: { ...cmd("ok", okId), ok: true, attempts: 1, durationMs: 0 },
    },
    // failing: one failure per failed attempt, then the end
    { type: "commandstart", detail: cmd("fail", failId) },
    {
      type: "failure",
      detail: {
        ...w,
        kind: "command",
        code: "command_failed",
        message: "command failed",
        command: "fail",
        attempt: 1,
        dispatchId: failId,
        at: AT,
      },
    },
    {
      type: "commandend",
      detail: {
        ...cmd("fail", failId),
        ok: false,
        attempts: 1,
        durationMs: 0,
        code: "command_failed",
        message: "command failed",
      },
    },
    // retried: the failed first attempt is reported, the dispatch succeeds
    { type: "commandstart", detail: cmd("flaky", flakyId) },
    {
      type: "failure",
      detail: {
        ...w,
        kind: "command",
        code: "command_failed",
        message: "command failed",
        command: "flaky",
        attempt: 1,
        dispatchId: flakyId,
        at: AT,
      },
    },
    {
      type: "commandend",
      detail: {
        ...cmd("flaky", flakyId),
        ok: true,
        attempts: 2,
        durationMs: 0,
      },
    },
    // saturated: the refusal ends with attempts 0 and no failure event
    { type: "commandstart", detail: cmd("hold", holdId) },
    { type: "commandstart", detail: cmd("ok", refusedId) },
    {
      type: "commandend",
      detail: {
        ...cmd("ok", refusedId),
        ok: false,
        attempts: 0,
        durationMs: 0,
        code: "worker_saturated",
        message: "worker is saturated",
      },
    },
    {
      type: "commandend",
      detail: { ...cmd("hold", holdId), ok: true, attempts: 1, durationMs: 0 },
    },
    // drain
    {
      type: "transition",
      detail: { ...w, from: "running", to: "draining", at: AT },
    },
    { type: "readiness", detail: { ...w, ready: false, at: AT } },
    {
      type: "transition",
      detail: { ...rt, from: "running", to: "draining", at: AT },
    },
    { type: "readiness", detail: { ...rt, ready: false, at: AT } },
    // stop
    {
      type: "transition",
      detail: { ...w, from: "draining", to: "stopping", at: AT },
    },
    {
      type: "transition",
      detail: { ...rt, from: "draining", to: "stopping", at: AT },
    },
    {
      type: "transition",
      detail: { ...w, from: "stopping", to: "stopped", at: AT },
    },
    {
      type: "transition",
      detail: { ...rt, from: "stopping", to: "stopped", at: AT },
    },
  ]);

  // The private cause: the very object thrown, on the failure and end events.
  const failures = fromObserver.filter((s) => s.type === "failure");
  assert.equal(failures[0]!.detail.cause, boom);
  assert.equal(failures[1]!.detail.cause, transient);
  const ends = fromObserver.filter((s) => s.type === "commandend");
  assert.equal(ends[1]!.detail.cause, boom);
  assert.equal(code(ends[3]!.detail.cause), "worker_saturated");
  for (const i of [0, 2, 4]) {
    assert.equal("cause" in ends[i]!.detail, false, "no cause on success");
  }
  assert.deepEqual(mark, { started: 6, dispatched: 18, stopped: 26 });
});

test("multiObserver calls in order, nests wraps first-outermost and ends in reverse", async () => {
  const log: string[] = [];
  const tracing = (name: string): Observer => ({
    transition: (e) =>
      void log.push(`${name}.transition ${e.worker ?? e.runtime} ${e.to}`),
    commandStart(e): CommandObservation {
      log.push(`${name}.start ${e.command}`);
      return {
        wrap<T>(fn: () => T): T {
          log.push(`${name}.wrap>`);
          try {
            return fn();
          } finally {
            log.push(`${name}.wrap<`);
          }
        },
        end: (end) => void log.push(`${name}.end ${end.ok}`),
      };
    },
  });
  const endOnly: Observer = {
    commandStart: () => ({ end: () => void log.push("d.end") }),
  };
  const runtime = new Runtime({
    name: "billing",
    observer: multiObserver(
      tracing("a"),
      undefined,
      tracing("b"),
      endOnly,
      tracing("c"),
    ),
  });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commands: [{
      name: "ok",
      handler: () => {
        log.push("handler");
        return { message: "done" };
      },
    }],
  });
  await runtime.start("prices");
  assert.deepEqual(log.splice(0), [
    "a.transition billing/prices starting",
    "b.transition billing/prices starting",
    "c.transition billing/prices starting",
    "a.transition billing starting",
    "b.transition billing starting",
    "c.transition billing starting",
    "a.transition billing/prices running",
    "b.transition billing/prices running",
    "c.transition billing/prices running",
    "a.transition billing running",
    "b.transition billing running",
    "c.transition billing running",
  ]);
  assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
    message: "done",
  });
  assert.deepEqual(log.splice(0), [
    "a.start ok",
    "b.start ok",
    "c.start ok",
    "a.wrap>",
    "b.wrap>",
    "c.wrap>",
    "handler",
    "c.wrap<",
    "b.wrap<",
    "a.wrap<",
    "c.end true",
    "d.end",
    "b.end true",
    "a.end true",
  ]);
  await runtime.shutdown();
});

/** An observer every method of which throws, as do its observation's. */
function throwingObserver(): Observer {
  const fail = (): never => {
    throw new Error(`observer broke ${SECRET}`);
  };
  return {
    transition: fail,
    readiness: fail,
    failure: fail,
    commandStart: fail,
    checkStart: fail,
  };
}

/** An observer whose commandStart works but whose wrap and end throw. */
function throwingObservation(): Observer {
  return {
    commandStart: () => ({
      wrap: () => {
        throw new Error("wrap broke");
      },
      end: () => {
        throw new Error("end broke");
      },
    }),
  };
}

test("a throwing observer changes nothing, alone or next to others in multiObserver", async () => {
  for (
    const observer of [
      throwingObserver(),
      throwingObservation(),
      multiObserver(throwingObserver(), throwingObservation()),
    ]
  ) {
    const { runtime, boom } = story(observer);
    await runtime.startAll();
    assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
      message: "done",
    });
    await assert.rejects(
      runtime.dispatch({ worker: "prices", name: "fail" }),
      (e) => e === boom,
    );
    assert.equal(runtime.status().inFlight, 0);
    assert.equal(runtime.worker("prices")!.status.state, "running");
    await runtime.shutdown();
    assert.equal(runtime.worker("prices")!.status.state, "stopped");
  }

  // The good observer after the broken ones sees what it sees alone.
  const run = async (observer: Observer): Promise<void> => {
    const { runtime } = story(observer);
    await runtime.startAll();
    await runtime.dispatch({ worker: "prices", name: "ok" });
    await runtime.dispatch({ worker: "prices", name: "fail" }).catch(() => {});
    await runtime.shutdown();
  };
  const alone: Seen[] = [];
  await run(recordingObserver(alone));
  const behind: Seen[] = [];
  await run(
    multiObserver(
      throwingObserver(),
      throwingObservation(),
      recordingObserver(behind),
    ),
  );
  assert.equal(alone.length, 19);
  assert.deepEqual(
    behind.map((s) => [s.type, s.detail.worker, s.detail.to, s.detail.ok]),
    alone.map((s) => [s.type, s.detail.worker, s.detail.to, s.detail.ok]),
  );
});

test("a wrap that never calls fn is bypassed: the handler runs exactly once", async () => {
  let calls = 0;
  const observer: Observer = {
    commandStart: () => ({ wrap: () => undefined as never, end() {} }),
  };
  const runtime = new Runtime({ name: "billing", observer });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commands: [{ name: "ok", handler: () => ({ message: `call ${++calls}` }) }],
  });
  await runtime.start("prices");
  assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
    message: "call 1",
  });
  assert.equal(calls, 1);
  await runtime.shutdown();
});

test("throwing and async-rejecting EventTarget listeners change nothing", async () => {
  const { runtime, boom } = story();
  for (const type of TYPES) {
    runtime.addEventListener(type, () => {
      throw new Error(`listener broke ${SECRET}`);
    });
    runtime.addEventListener(type, async () => {
      await Promise.resolve();
      throw new Error(`async listener broke ${SECRET}`);
    });
    runtime.addEventListener(type, {
      handleEvent() {
        throw new Error("handleEvent broke");
      },
    });
  }
  const seen = listen(runtime);
  await runtime.startAll();
  assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
    message: "done",
  });
  await assert.rejects(
    runtime.dispatch({ worker: "prices", name: "fail" }),
    (e) => e === boom,
  );
  assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
    message: "done",
  });
  await runtime.shutdown();
  assert.equal(runtime.worker("prices")!.status.state, "stopped");
  assert.equal(seen.filter((s) => s.type === "commandend").length, 3);
  assert.equal(seen.filter((s) => s.type === "failure").length, 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
});

test("async-rejecting observer methods and wraps leave no unhandled rejection, alone or in multiObserver", async () => {
  const rejecting: Observer = {
    // deno-lint-ignore require-await
    transition: async () => {
      throw new Error("async transition broke");
    },
    // deno-lint-ignore require-await
    failure: async () => {
      throw new Error("async failure broke");
    },
    commandStart: (async () => {
      await Promise.resolve();
      throw new Error("async commandStart broke");
    }) as unknown as NonNullable<Observer["commandStart"]>,
  };
  const rejectingWrap: Observer = {
    commandStart: () => ({
      end() {},
      // An async wrap that runs fn, then rejects.
      wrap: (async (fn: () => unknown) => {
        fn();
        await Promise.resolve();
        throw new Error("async wrap broke");
      }) as unknown as NonNullable<CommandObservation["wrap"]>,
    }),
  };
  for (
    const observer of [
      rejecting,
      rejectingWrap,
      multiObserver(rejecting),
      multiObserver(rejectingWrap),
    ]
  ) {
    const { runtime, boom } = story(observer);
    await runtime.startAll();
    assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
      message: "done",
    });
    await assert.rejects(
      runtime.dispatch({ worker: "prices", name: "fail" }),
      (e) => e === boom,
    );
    await runtime.shutdown();
  }
  await assertNoUnhandled();
});

test("the private cause reaches observers as the same object but no log record", async () => {
  const records: Array<
    { level: string; message: string; properties: unknown }
  > = [];
  const write =
    (level: string) =>
    (message: string, properties?: Record<string, unknown>) =>
      void records.push({ level, message, properties });
  const logger = {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
  };
  const failures: unknown[] = [];
  const ends: unknown[] = [];
  const { runtime, boom } = story(
    multiObserver(
      {
        failure: (e) => void failures.push(e.cause),
        commandStart: () => ({ end: (e) => void ends.push(e.cause) }),
      },
      logObserver(logger, { fields: { service: "billing" } }),
    ),
  );
  await runtime.startAll();
  await runtime.dispatch({ worker: "prices", name: "fail" }).catch(() => {});
  await runtime.shutdown();
  assert.deepEqual(failures, [boom]);
  assert.deepEqual(ends, [boom]);
  assert.ok(records.length > 0);
  for (const record of records) {
    const text = JSON.stringify(record);
    assert.doesNotMatch(text, new RegExp(SECRET));
    assert.doesNotMatch(text, /charge failed/);
    assert.equal(
      Object.hasOwn(record.properties as object, "cause"),
      false,
      "no cause field",
    );
  }
  assert.deepEqual(
    records.filter((r) => r.level === "error").map((r) => r.properties),
    // One record per outcome: the failed attempt is the dispatch's own.
    [
      {
        service: "billing",
        event: "workerkit.command",
        runtime: "billing",
        worker: "billing/prices",
        command: "fail",
        dispatchId:
          (records.find((r) =>
            (r.properties as { command?: string }).command === "fail" &&
            (r.properties as { event: string }).event === "workerkit.command"
          )!.properties as { dispatchId: string }).dispatchId,
        outcome: "error",
        ok: false,
        attempts: 1,
        durationMs: 0,
        code: "command_failed",
        failureMessage: "command failed",
        at: AT,
      },
    ],
  );
});

test("no unhandled rejections", assertNoUnhandled);
