// runtime.observe(): observers added after construction get the same plain
// events as RuntimeOptions.observer, in order, contained, and removable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime, WorkerkitError } from "../mod.ts";
import type { Observer, WorkerContext } from "../mod.ts";
import {
  EVENT_TYPES as TYPES,
  observedRuntime,
  recordingObserver as recorder,
  registerIngest,
  registerPrices,
  type Seen,
} from "./_support/observed_story.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { record } from "./_support/workers.ts";

/** A started "billing" runtime: "prices" (ok, fail) and an idle "ingest". */
function story(observer?: Observer) {
  const { runtime } = observedRuntime(observer);
  registerPrices(runtime, [
    { name: "ok", handler: () => ({ message: "done" }) },
    {
      name: "fail",
      handler: () => {
        throw new Error("boom");
      },
    },
  ]);
  const ingest = registerIngest(runtime);
  return { runtime, ingest };
}

/** Starts, dispatches ok and fail, runs one check, stops. */
async function exercise(runtime: Runtime, ingest: () => WorkerContext) {
  await runtime.startAll();
  await runtime.dispatch({ worker: "prices", name: "ok" });
  await runtime.dispatch({ worker: "prices", name: "fail" }).catch(() => {});
  const run = ingest().worker.beginCheck("db");
  run?.end({ outcome: "ready", at: "2026-01-01T00:00:00.000Z", durationMs: 1 });
  await runtime.stopAll();
}

test("an observer added with observe() sees exactly what listeners and the constructor's observer see, as the same objects", async () => {
  const fromBase: Seen[] = [];
  const { runtime, ingest } = story(recorder(fromBase));
  const fromObserve: Seen[] = [];
  runtime.observe(recorder(fromObserve));
  const fromListeners = record(runtime, TYPES);

  await exercise(runtime, ingest);

  const types = fromObserve.map((s) => s.type);
  for (const type of TYPES) assert.ok(types.includes(type), type);
  assert.deepEqual(types, fromBase.map((s) => s.type));
  assert.deepEqual(types, fromListeners.map((s) => s.type));
  fromObserve.forEach((seen, i) => {
    assert.equal(seen.detail, fromBase[i]!.detail, "the same event object");
    assert.equal(seen.detail, fromListeners[i]!.detail);
  });
});

test("observe() without a constructor observer, and its removal", async () => {
  const { runtime, ingest } = story();
  const seen: Seen[] = [];
  const remove = runtime.observe(recorder(seen));
  await runtime.startAll();
  await runtime.dispatch({ worker: "prices", name: "ok" });
  assert.deepEqual(seen.slice(-2).map((s) => s.type), [
    "commandstart",
    "commandend",
  ]);
  assert.equal(
    typeof ingest().worker.beginCheck("db"),
    "object",
    "an added checkStart observes checks",
  );

  remove();
  remove(); // a second call does nothing
  const before = seen.length;
  await runtime.dispatch({ worker: "prices", name: "ok" });
  assert.equal(
    ingest().worker.beginCheck("db"),
    undefined,
    "with the observer gone nothing observes checks again",
  );
  await runtime.stopAll();
  assert.equal(seen.length, before, "nothing after the removal");
});

test("observers are called base first, then in the order added; wraps nest in that order and ends run in reverse", async () => {
  const calls: string[] = [];
  const tagged = (tag: string): Observer => ({
    commandStart: () => ({
      wrap: <T>(fn: () => T): T => {
        calls.push(`${tag} wrap`);
        return fn();
      },
      end: () => void calls.push(`${tag} end`),
    }),
  });
  const { runtime } = story(tagged("base"));
  runtime.observe(tagged("a"));
  const removeB = runtime.observe(tagged("b"));
  runtime.observe(tagged("c"));
  removeB();
  await runtime.startAll();
  await runtime.dispatch({ worker: "prices", name: "ok" });
  assert.deepEqual(calls, [
    "base wrap",
    "a wrap",
    "c wrap",
    "c end",
    "a end",
    "base end",
  ]);
  await runtime.stopAll();
});

test("the same observer added twice is called twice, and each removal takes one away", async () => {
  const { runtime } = story();
  let starts = 0;
  const observer: Observer = { commandStart: () => void starts++ };
  const first = runtime.observe(observer);
  const second = runtime.observe(observer);
  await runtime.startAll();
  await runtime.dispatch({ worker: "prices", name: "ok" });
  assert.equal(starts, 2);
  first();
  await runtime.dispatch({ worker: "prices", name: "ok" });
  assert.equal(starts, 3);
  second();
  await runtime.dispatch({ worker: "prices", name: "ok" });
  assert.equal(starts, 3);
  await runtime.stopAll();
});

test("observe() calls attach at once with the runtime, contained", () => {
  const runtime = new Runtime({ name: "svc" });
  let attached: unknown;
  runtime.observe({ attach: (r) => void (attached = r) });
  assert.equal(attached, runtime);
  assert.doesNotThrow(() =>
    runtime.observe({
      attach() {
        throw new Error("attach failed");
      },
    })
  );
  runtime.observe({ attach: () => Promise.reject(new Error("later")) });
});

test("an added observer that throws or rejects changes nothing for the caller or the others", async () => {
  const { runtime, ingest } = story();
  const boom = () => {
    throw new Error("observer failed");
  };
  runtime.observe({
    transition: boom,
    readiness: () => Promise.reject(new Error("rejected")),
    failure: boom,
    commandStart: () => ({ end: boom, wrap: boom }),
    checkStart: boom,
  });
  const seen: Seen[] = [];
  runtime.observe(recorder(seen));
  await runtime.startAll();
  assert.deepEqual(await runtime.dispatch({ worker: "prices", name: "ok" }), {
    message: "done",
  });
  await exercise(runtime, ingest);
  assert.ok(seen.some((s) => s.type === "commandend"));
  assert.ok(seen.some((s) => s.type === "checkend"));
});

test("observe() refuses a non-object with invalid_argument", () => {
  const runtime = new Runtime({ name: "svc" });
  for (const bad of [null, undefined, 42, "observer"]) {
    assert.throws(
      () => runtime.observe(bad as unknown as Observer),
      (e: unknown) =>
        e instanceof WorkerkitError && e.code === "invalid_argument",
    );
  }
});

test("no unhandled rejections", assertNoUnhandled);
