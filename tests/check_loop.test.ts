import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime, WorkerkitError } from "../mod.ts";
import type { CheckEndEvent, Observer } from "../mod.ts";
import { checkGroupLoop, checkLoop } from "../src/workers/check_loop.ts";
import type { Checker, CheckResult, CheckSummary } from "../src/ops/check.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { type Deferred, deferred, record, until } from "./_support/workers.ts";

const T0 = Date.UTC(2026, 0, 1);

function code(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

function setup(observer?: Observer) {
  const clock = new ManualClock(T0);
  const runtime = new Runtime({
    name: "billing",
    clock,
    ...(observer ? { observer } : {}),
  });
  return { clock, runtime };
}

type Step = CheckResult | Error | Deferred<CheckResult> | "hang";

/** A checker whose answers the test scripts, one per check. */
class ScriptedChecker implements Checker {
  readonly name: string;
  readonly signals: AbortSignal[] = [];
  /** Check start times, ms since T0. */
  readonly starts: number[] = [];
  readonly script: Step[] = [];
  readonly #clock: ManualClock;

  constructor(clock: ManualClock, name = "postgres") {
    this.#clock = clock;
    this.name = name;
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    this.signals.push(signal);
    this.starts.push(this.#clock.now() - T0);
    const step = this.script.shift() ?? { ready: true };
    if (step === "hang") return new Promise(() => {});
    if (step instanceof Error) return Promise.reject(step);
    if ("promise" in step) return step.promise;
    return Promise.resolve(step);
  }
}

function ready(runtime: Runtime, worker = "db"): boolean | undefined {
  return runtime.worker(worker)?.status.ready;
}

function ends(
  events: Array<{ type: string; detail: Record<string, unknown> }>,
): CheckEndEvent[] {
  return events.filter((e) => e.type === "checkend").map((e) =>
    e.detail as unknown as CheckEndEvent
  );
}

test("check results drive readiness: unready until the first result, then ready or not", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  const first = deferred<CheckResult>();
  checker.script.push(first, { ready: false, message: "lag" }, { ready: true });
  const results: CheckResult[] = [];
  runtime.register({
    name: "db",
    worker: checkLoop(checker, {
      interval: 1_000,
      onResult: (r) => void results.push(r),
    }),
  });
  await runtime.start("db");
  assert.equal(runtime.worker("db")!.status.state, "running");
  assert.equal(ready(runtime), false, "unready until the first result");
  first.resolve({ ready: true });
  await until(() => ready(runtime) === true, "ready after the first result");
  assert.equal(runtime.status().ready, true);
  await clock.advance(1_000);
  assert.equal(ready(runtime), false);
  assert.equal(
    runtime.worker("db")!.status.state,
    "running",
    "not-ready is not a failure",
  );
  await clock.advance(1_000);
  assert.equal(ready(runtime), true);
  assert.deepEqual(results.map((r) => r.ready), [true, false, true]);
  assert.equal(results[1]!.message, "lag");
  assert.deepEqual(checker.starts, [0, 1_000, 2_000]);
  await runtime.stop("db");
});

test("a first result that arrives during start makes the worker ready on start", async () => {
  const { runtime, clock } = setup();
  runtime.register({
    name: "db",
    worker: checkLoop(new ScriptedChecker(clock)),
  });
  await runtime.start("db");
  await until(() => ready(runtime) === true, "ready");
  await runtime.stop("db");
});

test("check events carry the outcome: ready, not_ready, error and timeout", async () => {
  const observed: CheckEndEvent[] = [];
  const { runtime, clock } = setup({
    checkStart: () => ({ end: (e) => void observed.push(e) }),
  });
  const checker = new ScriptedChecker(clock);
  checker.script.push(
    { ready: true },
    { ready: false },
    new Error("dial tcp 10.0.0.5: secret=xyz"),
    "hang",
  );
  runtime.register({
    name: "db",
    worker: checkLoop(checker, { interval: 1_000, timeout: 400 }),
  });
  const events = record(runtime, ["checkstart", "checkend"]);
  await runtime.start("db");
  await clock.advance(3_400);
  const seen = ends(events);
  assert.deepEqual(seen.map((e) => e.outcome), [
    "ready",
    "not_ready",
    "error",
    "timeout",
  ]);
  assert.equal(events.filter((e) => e.type === "checkstart").length, 4);
  for (const e of seen) {
    assert.equal(e.runtime, "billing");
    assert.equal(e.worker, "billing/db");
    assert.equal(e.check, "postgres");
    assert.equal(typeof e.durationMs, "number");
  }
  const [, notReady, error, timeout] = seen;
  assert.equal(notReady!.code, undefined);
  assert.equal(error!.code, "worker_failed");
  assert.equal(error!.message, "worker operation failed");
  assert.ok(error!.cause instanceof Error);
  assert.equal(timeout!.code, "deadline_exceeded");
  assert.equal(timeout!.durationMs, 400);
  assert.equal(timeout!.at, new Date(T0 + 3_400).toISOString());
  assert.doesNotMatch(
    JSON.stringify(seen.map(({ cause: _, ...rest }) => rest)),
    /secret/,
  );
  assert.deepEqual(observed.map((e) => e.outcome), seen.map((e) => e.outcome));
  assert.equal(runtime.worker("db")!.status.state, "running");
  assert.equal(ready(runtime), false);
  assert.equal(checker.signals[3]!.aborted, true);
  await runtime.stop("db", { signal: AbortSignal.abort() }).catch(() => {});
});

test("a late result goes to onResult but never to readiness; the timeout marks the worker unready", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  const late = deferred<CheckResult>();
  checker.script.push({ ready: true }, late, { ready: true });
  const results: CheckResult[] = [];
  runtime.register({
    name: "db",
    worker: checkLoop(checker, {
      interval: 1_000,
      timeout: 500,
      onResult: (r) => void results.push(r),
    }),
  });
  const events = record(runtime, ["checkend"]);
  await runtime.start("db");
  await until(() => ready(runtime) === true, "ready");
  await clock.advance(1_000); // second check starts and hangs
  assert.equal(ready(runtime), true);
  await clock.advance(500);
  assert.equal(ready(runtime), false, "unready at the timeout");
  assert.equal(ends(events).at(-1)!.outcome, "timeout");
  await clock.advance(2_000);
  assert.deepEqual(
    checker.starts,
    [0, 1_000],
    "the next check waits for the late one",
  );
  late.resolve({ ready: true, message: "late" });
  await until(() => results.length === 2, "late result delivered");
  assert.equal(results[1]!.message, "late");
  assert.equal(ready(runtime), false, "a late result is never applied");
  assert.equal(ends(events).length, 2, "a late result ends no second event");
  await clock.advance(1_000);
  assert.deepEqual(checker.starts, [0, 1_000, 4_500]);
  assert.equal(ready(runtime), true);
  await runtime.stop("db");
});

test("failOnNotReady: a not-ready result fails the worker with check_not_ready and ends the checks", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  checker.script.push({ ready: true }, { ready: false });
  runtime.register({
    name: "db",
    worker: checkLoop(checker, { interval: 1_000, failOnNotReady: true }),
  });
  const failures = record(runtime, ["failure"]);
  await runtime.start("db");
  await clock.advance(1_000);
  await until(() => runtime.worker("db")!.status.state === "failed", "failed");
  assert.equal(
    runtime.worker("db")!.status.lastFailure?.code,
    "check_not_ready",
  );
  await clock.advance(5_000);
  assert.deepEqual(checker.starts, [0, 1_000]);
  assert.equal(failures.length, 1);
});

test("failOnNotReady: a timeout fails the worker with deadline_exceeded when it passes", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  const late = deferred<CheckResult>();
  checker.script.push(late);
  const results: CheckResult[] = [];
  runtime.register({
    name: "db",
    worker: checkLoop(checker, {
      interval: 1_000,
      timeout: 300,
      failOnNotReady: true,
      onResult: (r) => void results.push(r),
    }),
  });
  const failures = record(runtime, ["failure"]);
  await runtime.start("db");
  await clock.advance(300);
  const status = runtime.worker("db")!.status;
  assert.equal(status.state, "failed");
  assert.equal(status.lastFailure?.code, "deadline_exceeded");
  late.resolve({ ready: true });
  await until(() => results.length === 1, "late result still delivered");
  await clock.advance(5_000);
  assert.equal(failures.length, 1, "reported once");
  assert.equal(checker.starts.length, 1);
});

test("failOnNotReady: a check error fails the worker with its projected code", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  checker.script.push(new Error("boom"));
  runtime.register({
    name: "db",
    worker: checkLoop(checker, { interval: 1_000, failOnNotReady: true }),
  });
  await runtime.start("db");
  await until(() => runtime.worker("db")!.status.state === "failed", "failed");
  assert.equal(runtime.worker("db")!.status.lastFailure?.code, "worker_failed");
});

test("without failOnNotReady a check error marks the worker unready and the checks go on", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  checker.script.push({ ready: true }, new Error("boom"), { ready: true });
  runtime.register({
    name: "db",
    worker: checkLoop(checker, { interval: 1_000 }),
  });
  const failures = record(runtime, ["failure"]);
  await runtime.start("db");
  await until(() => ready(runtime) === true, "ready");
  await clock.advance(1_000);
  assert.equal(ready(runtime), false);
  assert.equal(runtime.worker("db")!.status.state, "running");
  await clock.advance(1_000);
  assert.equal(ready(runtime), true);
  assert.equal(
    failures.length,
    0,
    "check outcomes are events, not worker failures",
  );
  await runtime.stop("db");
});

test("readyOnSuccess: false leaves readiness to readyOnStart; results still reach onResult", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  checker.script.push({ ready: false }, { ready: false });
  const results: CheckResult[] = [];
  runtime.register({
    name: "db",
    worker: checkLoop(checker, {
      interval: 1_000,
      readyOnSuccess: false,
      onResult: (r) => void results.push(r),
    }),
  });
  await runtime.start("db");
  await clock.advance(1_000);
  assert.equal(results.length, 2);
  assert.equal(ready(runtime), true);
  await runtime.stop("db");
});

test("callbacks that throw or reject are contained", async () => {
  const { runtime, clock } = setup();
  runtime.register({
    name: "db",
    worker: checkLoop(new ScriptedChecker(clock), {
      interval: 1_000,
      onResult: () => {
        throw new Error("callback broke");
      },
    }),
  });
  runtime.register({
    name: "group",
    worker: checkGroupLoop({
      name: "storage",
      checkAll: () => Promise.resolve({ ready: true, results: {} }),
    }, {
      interval: 1_000,
      onSummary: (() =>
        Promise.reject(new Error("async callback broke"))) as never,
    }),
  });
  await runtime.startAll();
  await clock.advance(2_000);
  assert.equal(ready(runtime, "db"), true);
  assert.equal(ready(runtime, "group"), true);
  assert.equal(runtime.worker("db")!.status.lastFailure, undefined);
  await runtime.stopAll();
});

test("default interval is 30 s and the default timeout the interval, at most 30 s", async () => {
  const { runtime, clock } = setup();
  const a = new ScriptedChecker(clock, "a");
  const b = new ScriptedChecker(clock, "b");
  const c = new ScriptedChecker(clock, "c");
  a.script.push({ ready: true }, "hang");
  b.script.push("hang");
  c.script.push("hang");
  runtime.register({ name: "a", worker: checkLoop(a) });
  runtime.register({ name: "b", worker: checkLoop(b, { interval: 60_000 }) });
  runtime.register({ name: "c", worker: checkLoop(c, { interval: 10_000 }) });
  const events = record(runtime, ["checkend"]);
  await runtime.startAll();
  await clock.advance(29_999);
  assert.deepEqual(a.starts, [0]);
  await clock.advance(1);
  assert.deepEqual(a.starts, [0, 30_000]);
  const timeouts = ends(events).filter((e) => e.outcome === "timeout");
  assert.deepEqual(
    timeouts.map((e) => [e.check, e.durationMs]),
    [["c", 10_000], ["b", 30_000]],
  );
  await clock.advance(30_000);
  assert.deepEqual(
    ends(events).filter((e) => e.outcome === "timeout").map((e) => e.check),
    ["c", "b", "a"],
  );
  await runtime.stopAll({ signal: AbortSignal.abort() }).catch(() => {});
});

test("checkGroupLoop() drives readiness from the summary and passes every summary on", async () => {
  const { runtime, clock } = setup();
  const summaries: CheckSummary[] = [];
  const script: CheckSummary[] = [
    { ready: false, results: { redis: { ready: false }, pg: { ready: true } } },
    { ready: true, results: { redis: { ready: true }, pg: { ready: true } } },
  ];
  runtime.register({
    name: "storage",
    worker: checkGroupLoop({
      name: "storage",
      checkAll: () =>
        Promise.resolve(script.shift() ?? { ready: true, results: {} }),
    }, { interval: 1_000, onSummary: (s) => void summaries.push(s) }),
  });
  const events = record(runtime, ["checkend"]);
  await runtime.start("storage");
  await until(() => summaries.length === 1, "first summary");
  assert.equal(ready(runtime, "storage"), false);
  await clock.advance(1_000);
  assert.equal(ready(runtime, "storage"), true);
  assert.deepEqual(Object.keys(summaries[0]!.results), ["redis", "pg"]);
  assert.deepEqual(ends(events).map((e) => [e.check, e.outcome]), [
    ["storage", "not_ready"],
    ["storage", "ready"],
  ]);
  await runtime.stop("storage");
});

test("a check that resolves to a malformed result is an error outcome", async () => {
  const { runtime } = setup();
  runtime.register({
    name: "db",
    worker: checkLoop({
      name: "weird",
      check: () => Promise.resolve({ ready: "yes" } as never),
    }, { interval: 1_000 }),
  });
  const events = record(runtime, ["checkend"]);
  await runtime.start("db");
  await until(() => ends(events).length === 1, "check ended");
  assert.equal(ends(events)[0]!.outcome, "error");
  assert.equal(ends(events)[0]!.code, "invalid_argument");
  assert.equal(ready(runtime), false);
  await runtime.stop("db");
});

test("stop during a check aborts its signal, ends its event and stops cleanly", async () => {
  const { runtime, clock } = setup();
  const checker = new ScriptedChecker(clock);
  const pending = deferred<CheckResult>();
  checker.script.push(pending);
  runtime.register({
    name: "db",
    worker: checkLoop(checker, { interval: 1_000 }),
  });
  const events = record(runtime, ["checkend", "failure"]);
  await runtime.start("db");
  checker.signals[0]!.addEventListener(
    "abort",
    () => pending.reject(checker.signals[0]!.reason),
  );
  await runtime.stop("db");
  assert.equal(runtime.worker("db")!.status.state, "stopped");
  assert.equal(events.filter((e) => e.type === "failure").length, 0);
  assert.deepEqual(ends(events).map((e) => [e.outcome, e.code]), [[
    "error",
    "canceled",
  ]]);
  assert.equal(clock.pending, 0, "no timer left behind");
});

test("checkLoop() and checkGroupLoop() reject bad arguments with invalid_argument", () => {
  const checker: Checker = {
    name: "x",
    check: () => Promise.resolve({ ready: true }),
  };
  const bad: Array<() => unknown> = [
    () => checkLoop(null as never),
    () => checkLoop({ name: "x" } as never),
    () => checkLoop({ name: "", check: checker.check }),
    () => checkLoop({ name: 3, check: checker.check } as never),
    () => checkLoop(checker, { interval: 0 }),
    () => checkLoop(checker, { timeout: -1 }),
    () => checkLoop(checker, { readyOnSuccess: "yes" as never }),
    () => checkLoop(checker, { failOnNotReady: 1 as never }),
    () => checkLoop(checker, { onResult: "log" as never }),
    () => checkLoop(checker, 5 as never),
    () => checkGroupLoop({ name: "g" } as never),
    () =>
      checkGroupLoop({
        name: "g",
        checkAll: () => Promise.resolve({ ready: true, results: {} }),
      }, {
        onSummary: {} as never,
      }),
  ];
  for (const make of bad) {
    assert.throws(make, (e) => code(e) === "invalid_argument", String(make));
  }
});

test("no unhandled rejections", assertNoUnhandled);
