// Regressions for issue 12, items 8–13: hostile arguments, late results,
// unknown option keys, public failure text, loop cleanup failures and the
// cause of the latest restart. Public API only.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attempts,
  attemptsIf,
  checkGroupLoop,
  checkLoop,
  constant,
  delay,
  intervalWorker,
  loopWorker,
  never,
  OperationalFailure,
  publicFailure,
  retry,
  runService,
  Runtime,
  validateWorkerName,
  WorkerkitError,
} from "../mod.ts";
import type { Clock, WorkerContext, WorkerHandle } from "../mod.ts";
import { logObserver } from "../src/log/mod.ts";
import { otelObserver } from "../src/otel/mod.ts";
import { settle } from "./_support/manual_clock.ts";
import { code, setup } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, record, until } from "./_support/workers.ts";

// ── Item 8: hostile arguments ─────────────────────────────────────────────

function hostiles(): Array<[string, unknown]> {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const boom = (): never => {
    throw new Error("hostile");
  };
  const trapping = new Proxy({}, {
    get: boom,
    has: boom,
    ownKeys: boom,
    getPrototypeOf: boom,
    getOwnPropertyDescriptor: boom,
  });
  const getters = Object.defineProperties({}, {
    worker: { get: boom, enumerable: true },
    name: { get: boom, enumerable: true },
    signal: { get: boom, enumerable: true },
  });
  return [
    ["a revoked proxy", revocable.proxy],
    ["a proxy whose traps throw", trapping],
    ["an object with throwing getters", getters],
  ];
}

/** Calls `fn`; fails on a synchronous throw; returns the rejection. */
async function rejectsAsync(what: string, fn: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    assert.fail(`${what} threw synchronously: ${String(error)}`);
  }
  assert.ok(result instanceof Promise, `${what} returned a promise`);
  return await result.then(
    () => assert.fail(`${what} resolved`),
    (error: unknown) => error,
  );
}

test("regression: every async API rejects on hostile arguments, never throws", async () => {
  const { runtime } = setup();
  runtime.register({ name: "a", worker: { start() {}, stop() {} } });
  const r = runtime as unknown as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  for (const [label, hostile] of hostiles()) {
    const calls: Array<[string, () => unknown]> = [
      ["dispatch(request)", () => r.dispatch!.call(runtime, hostile)],
      [
        "dispatch(options)",
        () => r.dispatch!.call(runtime, { worker: "a", name: "x" }, hostile),
      ],
      ["waitAllIdle(options)", () => r.waitAllIdle!.call(runtime, hostile)],
      ["waitIdle(options)", () => r.waitIdle!.call(runtime, "a", hostile)],
    ];
    for (
      const method of [
        "start",
        "stop",
        "drain",
        "unregister",
        "waitIdle",
      ]
    ) {
      calls.push([`${method}(name)`, () => r[method]!.call(runtime, hostile)]);
      calls.push([
        `${method}(options)`,
        () => r[method]!.call(runtime, "a", hostile),
      ]);
    }
    for (
      const method of ["startAll", "stopAll", "drainAll", "drainAllBestEffort"]
    ) {
      calls.push([
        `${method}(options)`,
        () => r[method]!.call(runtime, hostile),
      ]);
    }
    for (const [what, call] of calls) {
      const error = await rejectsAsync(`${what} with ${label}`, call);
      assert.ok(
        error instanceof WorkerkitError,
        `${what} with ${label}: ${String(error)}`,
      );
    }
    for (
      const [what, call] of [
        [
          "retry()",
          () => retry(() => Promise.resolve(1), never(), hostile as never),
        ],
        ["delay()", () => delay(1, hostile as never)],
        ["runService()", () => runService(hostile as never)],
      ] as Array<[string, () => unknown]>
    ) {
      const error = await rejectsAsync(`${what} with ${label}`, call);
      assert.ok(
        error instanceof Error,
        `${what} with ${label}: ${String(error)}`,
      );
    }
    const named = await rejectsAsync(
      `start() with ${label} as the name`,
      () => r.start!.call(runtime, hostile),
    );
    assert.equal(code(named), "invalid_name", `start(${label})`);
    const request = await rejectsAsync(
      `dispatch() with ${label} as the worker name`,
      () => runtime.dispatch({ worker: hostile as string, name: "x" }),
    );
    assert.equal(code(request), "invalid_name", `dispatch worker ${label}`);
  }
  await runtime.shutdown();
});

test("regression: bad names of any shape give invalid_name", () => {
  for (const [label, hostile] of hostiles()) {
    const checks: Array<[string, () => unknown]> = [
      ["validateWorkerName", () => validateWorkerName(hostile)],
      ["new Runtime", () => new Runtime({ name: hostile as string })],
      [
        "register",
        () =>
          new Runtime({ name: "billing" }).register({
            name: hostile as string,
            worker: { start() {}, stop() {} },
          }),
      ],
    ];
    for (const [what, check] of checks) {
      assert.throws(check, (error: unknown) => {
        assert.equal(code(error), "invalid_name", `${what}(${label})`);
        return true;
      });
    }
  }
});

// ── Item 9: late results ──────────────────────────────────────────────────

/** A clock whose time the test sets and whose timers fire only when told. */
class LateClock implements Clock {
  t = Date.UTC(2026, 0, 1);
  readonly timers = new Map<number, () => void>();
  #id = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void): number {
    this.timers.set(++this.#id, fn);
    return this.#id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
}

/** A running worker "a" on a late clock whose one command waits on `result`. */
async function lateCommand() {
  const clock = new LateClock();
  const runtime = new Runtime({ name: "billing", clock });
  const result = deferred<{ payload: number }>();
  runtime.register({
    name: "a",
    worker: { start() {}, stop() {} },
    commandTimeout: 100,
    commands: [{ name: "slow", handler: () => result.promise }],
  });
  await runtime.start("a");
  const call = runtime.dispatch({ worker: "a", name: "slow" })
    .then((value) => value, (error: unknown) => error);
  return { clock, result, call };
}

test("regression: a command result that settles at or after its deadline is never a success", async () => {
  for (const late of [0, 2]) {
    const { clock, result, call } = await lateCommand();
    // The deadline's timer is late: time passed the deadline, it has not fired.
    clock.t += 100 + late;
    result.resolve({ payload: 1 });
    assert.equal(code(await call), "deadline_exceeded", `${late} ms late`);
  }
});

test("a command result that settles before its deadline is a success", async () => {
  const { clock, result, call } = await lateCommand();
  clock.t += 99;
  result.resolve({ payload: 1 });
  assert.deepEqual(await call, { payload: 1 });
});

test("regression: a start that settles at or after its startTimeout is never a success", async () => {
  const clock = new LateClock();
  const runtime = new Runtime({ name: "billing", clock });
  const started = deferred();
  runtime.register({
    name: "a",
    worker: { start: () => started.promise, stop() {} },
    startTimeout: 100,
  });
  const call = runtime.start("a").then(() => undefined, (e: unknown) => e);
  await settle();
  clock.t += 100;
  started.resolve();
  assert.equal(code(await call), "deadline_exceeded");
  assert.equal(runtime.worker("a")!.status.state, "failed");
});

// ── Item 10: unknown keys ─────────────────────────────────────────────────

test(
  "regression: unknown keys in every options object are refused with invalid_argument naming the key",
  async () => {
    const worker = { start() {}, stop() {} };
    const checker = {
      name: "db",
      check: () => Promise.resolve({ ready: true }),
    };
    const group = {
      name: "storage",
      checkAll: () => Promise.resolve({ ready: true, results: {} }),
    };
    const runtime = new Runtime({ name: "billing" });
    const bad = <T>(value: T, key: string): T => ({ ...value, [key]: 1 }) as T;
    const sync: Array<[string, string, () => unknown]> = [
      ["RuntimeOptions", "nmae", () => new Runtime(bad({ name: "x" }, "nmae"))],
      [
        "defaults",
        "stallTimeOut",
        () => new Runtime({ name: "x", defaults: bad({}, "stallTimeOut") }),
      ],
      [
        "retryBudget",
        "ratoi",
        () => new Runtime({ name: "x", retryBudget: bad({}, "ratoi") }),
      ],
      [
        "registration",
        "stallTimeOut",
        () => runtime.register(bad({ name: "a", worker }, "stallTimeOut")),
      ],
      [
        "restart",
        "maxRestart",
        () =>
          runtime.register({
            name: "b",
            worker,
            restart: bad({ backoff: never() }, "maxRestart"),
          }),
      ],
      [
        "attempts options",
        "backof",
        () => attempts(3, bad({}, "backof")),
      ],
      [
        "attemptsIf options",
        "jiter",
        () => attemptsIf(3, () => true, bad({}, "jiter")),
      ],
      ["loopWorker", "onstop", () => loopWorker(() => {}, bad({}, "onstop"))],
      [
        "intervalWorker",
        "intervall",
        () => intervalWorker(() => {}, bad({ interval: 10 }, "intervall")),
      ],
      [
        "checkLoop",
        "intervall",
        () => checkLoop(checker, bad({}, "intervall")),
      ],
      [
        "checkGroupLoop",
        "intervall",
        () => checkGroupLoop(group, bad({}, "intervall")),
      ],
      [
        "logObserver",
        "levle",
        () => logObserver({ info() {}, error() {} } as never, bad({}, "levle")),
      ],
      ["otelObserver", "atributes", () => otelObserver(bad({}, "atributes"))],
    ];
    for (const [what, key, make] of sync) {
      assert.throws(make, (error: unknown) => {
        assert.equal(code(error), "invalid_argument", what);
        assert.match((error as Error).message, new RegExp(key), what);
        return true;
      }, what);
    }
    assert.equal(runtime.worker("a"), undefined, "nothing registered");
    const signalOptions = bad({}, "signl");
    const asyncCalls: Array<[string, string, () => Promise<unknown>]> = [
      [
        "retry options",
        "signl",
        () => retry(() => Promise.resolve(1), never(), bad({}, "signl")),
      ],
      [
        "runService options",
        "shutdownTimeOut",
        () =>
          runService(
            bad(
              { runtime, signal: new AbortController().signal },
              "shutdownTimeOut",
            ),
          ),
      ],
      [
        "WorkerHandle.recordFailure options",
        "knd",
        () => {
          let handle: WorkerHandle | undefined;
          const r = new Runtime({ name: "x" });
          r.register({
            name: "w",
            worker: { start: (ctx) => void (handle = ctx.worker), stop() {} },
          });
          return r.start("w").then(() =>
            handle!.recordFailure(new Error("x"), bad({}, "knd"))
          );
        },
      ],
      ["start options", "signl", () => runtime.start("a", signalOptions)],
      ["stopAll options", "signl", () => runtime.stopAll(signalOptions)],
      ["shutdown options", "signl", () => runtime.shutdown(signalOptions)],
    ];
    for (const [what, key, call] of asyncCalls) {
      const error = await call().then(
        () => assert.fail(`${what} resolved`),
        (e: unknown) => e,
      );
      assert.equal(code(error), "invalid_argument", what);
      assert.match((error as Error).message, new RegExp(key), what);
    }
  },
);

// ── Item 11: public failure text fixed at construction ────────────────────

test(
  "regression: an OperationalFailure's public code and message are fixed at construction",
  async () => {
    const failure = new OperationalFailure({
      code: "upstream_unavailable",
      message: "payment provider unavailable",
    });
    failure.message += " (https://api.example/charge?key=sk_live_secret)";
    (failure as { code: string }).code = "leaked";
    assert.deepEqual(publicFailure(failure, "command"), {
      code: "upstream_unavailable",
      message: "payment provider unavailable",
    });

    const { runtime } = setup();
    runtime.register({
      name: "a",
      worker: {
        start() {
          try {
            throw new OperationalFailure({
              code: "db_unreachable",
              message: "database unreachable",
            });
          } catch (e) {
            (e as Error).message += " (postgres://admin:hunter2@db)";
            throw e;
          }
        },
        stop() {},
      },
    });
    const failures = record(runtime, ["failure"]);
    await runtime.start("a").catch(() => {});
    const status = runtime.worker("a")!.status;
    assert.equal(status.lastFailure?.message, "database unreachable");
    assert.equal(failures[0]?.detail.message, "database unreachable");
    assert.ok(!JSON.stringify(status).includes("hunter2"));
  },
);

// ── Item 12: a failed loop cleanup never replaces the loop's failure ──────

test(
  "regression: a failed automatic loop cleanup keeps the loop's own failure as lastFailure",
  async () => {
    const { runtime } = setup();
    runtime.register({
      name: "loop",
      worker: loopWorker(() => {
        throw new OperationalFailure({ code: "db_gone", message: "db gone" });
      }, {
        onStop() {
          throw new Error("x");
        },
      }),
    });
    const failures = record(runtime, ["failure"]);
    await runtime.start("loop");
    await until(
      () => failures.some((f) => f.detail.code === "loop_cleanup_failed"),
      "the cleanup failure event",
    );
    const status = runtime.worker("loop")!.status;
    assert.equal(status.state, "failed");
    assert.equal(status.lastFailure?.code, "db_gone");
    const codes = failures.map((f) => f.detail.code);
    assert.deepEqual(codes, ["db_gone", "loop_cleanup_failed"]);
  },
);

// ── Item 13: the cause of the latest restart ──────────────────────────────

test("regression: the worker status keeps the cause of the latest restart", async () => {
  const { clock, runtime } = setup();
  const contexts: WorkerContext[] = [];
  runtime.register({
    name: "a",
    worker: {
      start(ctx) {
        contexts.push(ctx);
      },
      stop() {},
    },
    restart: { backoff: attempts(10, { backoff: constant(10) }) },
  });
  await runtime.start("a");
  const handle: WorkerHandle = contexts[0]!.worker;
  handle.reportFailure(
    new OperationalFailure({ code: "broker_lost", message: "broker lost" }),
  );
  const failedAt = new Date(clock.now()).toISOString();
  await settle();
  await clock.advance(10);
  await until(
    () => runtime.worker("a")!.status.state === "running",
    "restarted",
  );
  const status = runtime.worker("a")!.status as unknown as {
    restarts: number;
    lastFailure?: unknown;
    lastRestart?: {
      at: string;
      failure: { code: string; message: string; at: string };
    };
  };
  assert.equal(status.restarts, 1);
  assert.equal(status.lastFailure, undefined);
  assert.deepEqual(status.lastRestart, {
    at: failedAt,
    failure: { code: "broker_lost", message: "broker lost", at: failedAt },
  });
  // The snapshot carries it at its top level too (SPEC: WorkerSnapshot.lastRestart).
  assert.deepEqual(runtime.worker("a")!.lastRestart, status.lastRestart);
  await runtime.shutdown();
});

test("regression (item 8): new Runtime() with hostile options gives invalid_argument, never their own error", () => {
  const throwing = new Proxy({}, {
    get() {
      throw new Error("hostile getter");
    },
  });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const observerGetter = {
    name: "svc",
    get observer(): never {
      throw new Error("hostile observer");
    },
  };
  for (const options of [throwing, revoked, observerGetter]) {
    assert.throws(
      () => new Runtime(options as never),
      (e) => e instanceof WorkerkitError && e.code === "invalid_argument",
    );
  }
});

test("no unhandled rejections", assertNoUnhandled);
