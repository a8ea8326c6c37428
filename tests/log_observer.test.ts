import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import {
  attempts,
  checkLoop,
  CommandRejection,
  constant,
  OperationalFailure,
  OpsCommandError,
  WorkerkitError,
} from "../mod.ts";
import type { Observer } from "../mod.ts";
import { logObserver, type StructuredLogger } from "../src/log/mod.ts";
import {
  AT,
  driveCheckRuns,
  observedRuntime,
  registerIngest,
  registerPrices,
  Transient,
} from "./_support/observed_story.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, until } from "./_support/workers.ts";

const SECRET = "sk_live_SECRET";

/**
 * Start, a good, a failing, a retried and a refused dispatch, a background
 * failure with an explicitly public reason, then shutdown. Every private
 * error holds the secret.
 */
async function story(observer: Observer): Promise<void> {
  const { clock, runtime } = observedRuntime(observer);
  const hold = deferred<void>();
  let flaky = 0;
  registerPrices(runtime, [
    { name: "ok", handler: () => ({ message: "done" }) },
    {
      name: "fail",
      handler: () => {
        throw new Error(`stripe said no to ${SECRET}`);
      },
    },
    {
      name: "flaky",
      handler: () => {
        if (flaky++ === 0) throw new Transient(`retry ${SECRET}`);
        return {};
      },
    },
    { name: "hold", handler: () => hold.promise },
  ]);
  const ingest = registerIngest(runtime);
  await runtime.startAll();
  await runtime.dispatch({ worker: "prices", name: "ok" });
  await runtime.dispatch({ worker: "prices", name: "fail" }).catch(() => {});
  const retried = runtime.dispatch({ worker: "prices", name: "flaky" });
  await clock.advance(0);
  await retried;
  const held = runtime.dispatch({ worker: "prices", name: "hold" });
  await runtime.dispatch({ worker: "prices", name: "ok" }).catch(() => {});
  hold.resolve();
  await held;
  ingest().worker.reportFailure(
    new OperationalFailure(
      { code: "broker_lost", message: "broker connection lost" },
      { cause: new Error(`amqp://user:${SECRET}@broker`) },
    ),
  );
  await runtime.shutdown();
}

/** Check runs of every outcome, driven by hand (a real checkLoop is tested below). */
function checkRuns(observer: Observer): void {
  driveCheckRuns(observer, [
    { outcome: "ready", durationMs: 3 },
    { outcome: "not_ready", durationMs: 4 },
    {
      outcome: "error",
      durationMs: 5,
      code: "worker_failed",
      message: "worker operation failed",
      cause: new Error(`db ${SECRET}`),
    },
    {
      outcome: "timeout",
      durationMs: 1_000,
      code: "deadline_exceeded",
      message: "deadline exceeded",
    },
  ]);
}

/** The `event` field of every record, with its level. */
function summary(
  records: Array<{ level: string; properties: Record<string, unknown> }>,
): string[] {
  return records.map((r) => {
    const p = r.properties;
    const what = p.event === "workerkit.transition"
      ? `${p.worker ?? p.runtime} ${p.to}`
      : p.event === "workerkit.readiness"
      ? `${p.worker ?? p.runtime} ${p.ready}`
      : p.event === "workerkit.failure"
      ? `${p.kind} ${p.code}`
      : p.event === "workerkit.command"
      ? `${p.command} ${p.outcome}`
      : `${p.check} ${p.outcome}`;
    return `${r.level} ${p.event} ${what}`;
  });
}

function assertNoSecret(value: unknown): void {
  const text = JSON.stringify(value);
  assert.doesNotMatch(text, /sk_live_SECRET/);
  assert.doesNotMatch(text, /stripe said no|amqp:/);
}

/** Runs `fn` with every "workerkit" LogTape record kept; returns them. */
async function withLogTapeBuffer(
  fn: () => Promise<void>,
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { buffer: (record: LogRecord) => void records.push(record) },
    loggers: [
      { category: ["workerkit"], sinks: ["buffer"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [] },
    ],
    reset: true,
  });
  try {
    await fn();
  } finally {
    await reset();
  }
  return records;
}

/** The story's records as `level event what`, routine ones at `level`. */
const EXPECTED_STORY = (level: string, warn = "warning"): string[] => [
  `${level} workerkit.transition billing/prices starting`,
  `${level} workerkit.transition billing starting`,
  `${level} workerkit.transition billing/prices running`,
  `${level} workerkit.readiness billing/prices true`,
  `${level} workerkit.transition billing running`,
  `${level} workerkit.transition billing/ingest starting`,
  `${level} workerkit.transition billing starting`,
  `${level} workerkit.transition billing/ingest running`,
  `${level} workerkit.readiness billing/ingest true`,
  `${level} workerkit.transition billing running`,
  `${level} workerkit.readiness billing true`,
  `${level} workerkit.command ok ok`,
  // One record per outcome: the failed attempt is the dispatch's own record.
  "error workerkit.command fail error",
  // A retried attempt is a warning, written once the retry is known.
  `${warn} workerkit.failure command command_failed`,
  `${level} workerkit.command flaky ok`,
  // A refusal is expected under load: info, not error.
  "info workerkit.command ok rejected",
  `${level} workerkit.command hold ok`,
  "error workerkit.failure background broker_lost",
  `${level} workerkit.transition billing/ingest failed`,
  `${level} workerkit.readiness billing/ingest false`,
  `${level} workerkit.readiness billing false`,
  `${level} workerkit.transition billing/prices draining`,
  `${level} workerkit.readiness billing/prices false`,
  `${level} workerkit.transition billing draining`,
  `${level} workerkit.transition billing/ingest stopping`,
  `${level} workerkit.transition billing/ingest stopped`,
  `${level} workerkit.transition billing/prices stopping`,
  `${level} workerkit.transition billing stopping`,
  `${level} workerkit.transition billing/prices stopped`,
  `${level} workerkit.transition billing stopped`,
];

test("logObserver writes one LogTape record per outcome: templates, categories per runtime and worker, stable fields", async () => {
  const records = await withLogTapeBuffer(async () => {
    const observer = logObserver(getLogger(["workerkit"]), {
      fields: { service: "billing-api", event: "overridden?" },
    });
    await story(observer);
    checkRuns(observer);
  });
  const plain = records.map((r) => ({
    level: r.level,
    properties: r.properties,
  }));
  assert.equal(records.length, 34);
  const storyRecords = plain.slice(0, 30);
  assert.deepEqual(summary(storyRecords), EXPECTED_STORY("info"));
  assert.deepEqual(summary(plain.slice(-4)), [
    "debug workerkit.check database ready",
    "info workerkit.check database not_ready",
    "warning workerkit.check database error",
    "warning workerkit.check database timeout",
  ]);

  for (const record of records) {
    assertNoSecret(record.properties);
    assertNoSecret(record.message);
    assert.equal(Object.hasOwn(record.properties, "cause"), false);
    assert.equal(record.properties.service, "billing-api");
    const { runtime, worker } = record.properties as {
      runtime: string;
      worker?: string;
    };
    // ["workerkit", runtime] for the runtime's own, + the worker's local name.
    assert.deepEqual(
      record.category,
      worker === undefined
        ? ["workerkit", runtime]
        : ["workerkit", runtime, worker.slice(runtime.length + 1)],
    );
    // A message template whose every placeholder is a property of the record.
    assert.equal(typeof record.rawMessage, "string");
    const placeholders = [
      ...(record.rawMessage as string).matchAll(/\{(\w+)\}/g),
    ]
      .map((m) => m[1]!);
    assert.ok(placeholders.length > 0, record.rawMessage as string);
    for (const key of placeholders) {
      assert.ok(
        Object.hasOwn(record.properties, key),
        `${key} in ${record.rawMessage}`,
      );
    }
    assert.equal(record.message.length, placeholders.length * 2 + 1);
  }
  const rendered = records.map((r) => r.message.map(String).join(""));
  assert.equal(rendered[0], "billing/prices registered → starting");
  assert.equal(rendered[1], "billing registered → starting");
  assert.ok(rendered.includes("billing/prices ready"));
  assert.ok(
    rendered.includes(
      "billing/prices fail failed after 1 attempt(s): command failed (command_failed)",
    ),
  );
  assert.ok(
    rendered.includes(
      "billing/prices flaky attempt 1 failed (command_failed); retrying",
    ),
  );
  assert.ok(
    rendered.includes(
      "billing/prices ok refused: worker is saturated (worker_saturated)",
    ),
  );
  assert.ok(
    rendered.includes(
      "billing/ingest background failure: broker connection lost (broker_lost)",
    ),
  );
  assert.ok(
    rendered.includes(
      "billing/health check database timeout: deadline exceeded (deadline_exceeded)",
    ),
  );

  const byEvent = (event: string) =>
    records.filter((r) => r.properties.event === event).map((r) =>
      r.properties
    );
  assert.deepEqual(byEvent("workerkit.transition")[0], {
    service: "billing-api",
    event: "workerkit.transition",
    runtime: "billing",
    worker: "billing/prices",
    from: "registered",
    to: "starting",
    at: AT,
  });
  assert.deepEqual(byEvent("workerkit.readiness")[0], {
    service: "billing-api",
    event: "workerkit.readiness",
    runtime: "billing",
    worker: "billing/prices",
    ready: true,
    at: AT,
  });
  const failures = byEvent("workerkit.failure");
  const { dispatchId: retriedId, ...retry } = failures[0]!;
  assert.match(retriedId as string, /^[0-9a-f]{8}-[0-9a-z]+$/);
  assert.deepEqual(retry, {
    service: "billing-api",
    event: "workerkit.failure",
    runtime: "billing",
    worker: "billing/prices",
    kind: "command",
    code: "command_failed",
    failureMessage: "command failed",
    command: "flaky",
    attempt: 1,
    retrying: true,
    at: AT,
  });
  assert.equal(failures.length, 2);
  assert.deepEqual(failures[1], {
    service: "billing-api",
    event: "workerkit.failure",
    runtime: "billing",
    worker: "billing/ingest",
    kind: "background",
    code: "broker_lost",
    failureMessage: "broker connection lost",
    at: AT,
  });
  const commands = byEvent("workerkit.command");
  const { dispatchId, ...failed } = commands[1]!;
  assert.match(dispatchId as string, /^[0-9a-f]{8}-[0-9a-z]+$/);
  assert.deepEqual(failed, {
    service: "billing-api",
    event: "workerkit.command",
    runtime: "billing",
    worker: "billing/prices",
    command: "fail",
    outcome: "error",
    ok: false,
    attempts: 1,
    durationMs: 0,
    code: "command_failed",
    failureMessage: "command failed",
    at: AT,
  });
  assert.equal(commands[2]!.attempts, 2, "the retried dispatch");
  assert.deepEqual(
    [commands[3]!.outcome, commands[3]!.attempts, commands[3]!.code],
    ["rejected", 0, "worker_saturated"],
  );
  assert.deepEqual(byEvent("workerkit.check")[3], {
    service: "billing-api",
    event: "workerkit.check",
    runtime: "billing",
    worker: "billing/health",
    check: "database",
    outcome: "timeout",
    durationMs: 1_000,
    code: "deadline_exceeded",
    failureMessage: "deadline exceeded",
    at: AT,
  });
});

test("logObserver writes routine records at the chosen level and failures at error", async () => {
  const records = await withLogTapeBuffer(() =>
    story(logObserver(getLogger(["workerkit"]), { level: "debug" }))
  );
  assert.deepEqual(
    summary(records.map((r) => ({
      level: r.level,
      properties: r.properties,
    }))),
    EXPECTED_STORY("debug"),
  );
});

test("a real checkLoop's runs are logged once each, ready at debug, errors at warn without the cause", async () => {
  const records: Array<[string, Record<string, unknown>]> = [];
  const write = (level: string) => (_m: string, p?: Record<string, unknown>) =>
    void records.push([level, p!]);
  const { clock, runtime } = observedRuntime(logObserver({
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
  }));
  let runs = 0;
  runtime.register({
    name: "db",
    worker: checkLoop({
      name: "postgres",
      check: () =>
        runs++ === 0
          ? Promise.resolve({ ready: true })
          : Promise.reject(new Error(`db password ${SECRET} rejected`)),
    }, { interval: 1_000 }),
  });
  const checks = () => records.filter(([, p]) => p.event === "workerkit.check");
  await runtime.start("db");
  await until(() => checks().length === 1, "first check");
  await clock.advance(1_000);
  await until(() => checks().length === 2, "second check");
  await runtime.shutdown();
  assertNoSecret(records);
  assert.deepEqual(checks().slice(0, 2), [
    ["debug", {
      event: "workerkit.check",
      runtime: "billing",
      worker: "billing/db",
      check: "postgres",
      outcome: "ready",
      durationMs: 0,
      at: AT,
    }],
    ["warn", {
      event: "workerkit.check",
      runtime: "billing",
      worker: "billing/db",
      check: "postgres",
      outcome: "error",
      durationMs: 0,
      code: "worker_failed",
      failureMessage: "worker operation failed",
      at: new Date(Date.parse(AT) + 1_000).toISOString(),
    }],
  ]);
});

test("logObserver writes to the real console: message and properties", async () => {
  const calls: Array<[string, unknown[]]> = [];
  const methods = ["debug", "info", "warn", "error"] as const;
  const saved = methods.map((m) => console[m]);
  try {
    for (const m of methods) {
      console[m] = (...args: unknown[]) => void calls.push([m, args]);
    }
    const observer = logObserver(console, { fields: { service: "billing" } });
    await story(observer);
    checkRuns(observer);
  } finally {
    methods.forEach((m, i) => {
      console[m] = saved[i]!;
    });
  }
  assert.equal(calls.length, 34);
  for (const [, args] of calls) {
    assert.equal(args.length, 2);
    // The rendered message, not the template: it reads well on a console.
    assert.doesNotMatch(args[0] as string, /[{}]/);
    assert.match(args[0] as string, /^billing(\/(prices|ingest|health))? /);
    assertNoSecret(args);
  }
  assert.deepEqual(calls[0], ["info", [
    "billing/prices registered → starting",
    {
      service: "billing",
      event: "workerkit.transition",
      runtime: "billing",
      worker: "billing/prices",
      from: "registered",
      to: "starting",
      at: AT,
    },
  ]]);
  // Successes of the same command share one message, rendered once.
  const oks = calls.filter(([, args]) =>
    (args[1] as { outcome?: string }).outcome === "ok"
  ).map(([, args]) => args[0]);
  assert.deepEqual(oks, [
    "billing/prices ok ok",
    "billing/prices flaky ok after 2 attempts",
    "billing/prices hold ok",
  ]);
  assert.ok(
    calls.some(([level, args]) =>
      level === "error" &&
      args[0] ===
        "billing/prices fail failed after 1 attempt(s): command failed (command_failed)"
    ),
  );
  assert.deepEqual(
    summary(calls.map(([level, args]) => ({
      level,
      properties: args[1] as Record<string, unknown>,
    }))).slice(0, 30),
    EXPECTED_STORY("info", "warn"),
  );
});

// deno-lint-ignore no-explicit-any
type GenericFunction = (...args: any[]) => any;

/**
 * The shape of `@std/log`'s `Logger` (the JSR package @std/log, which cannot be
 * installed here): a generic message, then the rest as `args`.
 */
class StdLogShapedLogger {
  readonly records: Array<{ level: string; msg: unknown; args: unknown[] }> =
    [];
  #log<T>(
    level: string,
    msg: (T extends GenericFunction ? never : T) | (() => T),
    args: unknown[],
  ): T | undefined {
    const value = typeof msg === "function" ? (msg as () => T)() : msg;
    this.records.push({ level, msg: value, args });
    return value as T;
  }
  debug<T>(
    msg: (T extends GenericFunction ? never : T) | (() => T),
    ...args: unknown[]
  ): T | undefined {
    return this.#log("DEBUG", msg, args);
  }
  info<T>(
    msg: (T extends GenericFunction ? never : T) | (() => T),
    ...args: unknown[]
  ): T | undefined {
    return this.#log("INFO", msg, args);
  }
  warn<T>(
    msg: (T extends GenericFunction ? never : T) | (() => T),
    ...args: unknown[]
  ): T | undefined {
    return this.#log("WARN", msg, args);
  }
  error<T>(
    msg: (T extends GenericFunction ? never : T) | (() => T),
    ...args: unknown[]
  ): T | undefined {
    return this.#log("ERROR", msg, args);
  }
}

test("logObserver accepts an @std/log-shaped logger", async () => {
  const logger = new StdLogShapedLogger();
  const structural: StructuredLogger = logger;
  await story(logObserver(structural, { level: "warn" }));
  assert.equal(logger.records.length, 30);
  assert.deepEqual(
    summary(logger.records.map((r) => ({
      level: r.level.toLowerCase(),
      properties: r.args[0] as Record<string, unknown>,
    }))),
    EXPECTED_STORY("warn", "warn"),
  );
  assert.equal(logger.records[0]!.msg, "billing/prices registered → starting");
  for (const record of logger.records) assertNoSecret(record);
});

test("odd loggers: missing methods fall back to info, none at all is skipped, throws and rejections are contained", async () => {
  const lines: string[] = [];
  const infoOnly = {
    info: (message: string, p?: Record<string, unknown>) =>
      void lines.push(`${message}:${p?.event}`),
  } as unknown as StructuredLogger;
  await story(logObserver(infoOnly));
  assert.equal(lines.length, 30);
  assert.ok(
    lines.includes(
      "billing/ingest background failure: broker connection lost (broker_lost):workerkit.failure",
    ),
  );

  const empty = {} as unknown as StructuredLogger;
  await story(logObserver(empty));

  const throwing: StructuredLogger = {
    debug: () => {
      throw new Error("sink down");
    },
    info: () => {
      throw new Error("sink down");
    },
    warn: () => {
      throw new Error("sink down");
    },
    error: () => {
      throw new Error("sink down");
    },
  };
  const observer = logObserver(throwing);
  observer.transition!({
    runtime: "billing",
    from: "registered",
    to: "starting",
    at: AT,
  });
  await story(observer);

  const rejecting = {
    info: () => Promise.reject(new Error("async sink down")),
    error: () => Promise.reject(new Error("async sink down")),
  } as unknown as StructuredLogger;
  await story(logObserver(rejecting));
  await new Promise((resolve) => setTimeout(resolve, 0));
});

test("logObserver rejects a missing logger, a bad level, bad fields or an unknown option with invalid_argument", () => {
  const invalid = (name: RegExp) => (e: unknown) =>
    e instanceof WorkerkitError && e.code === "invalid_argument" &&
    name.test(e.message);
  assert.throws(
    () => logObserver(undefined as unknown as StructuredLogger),
    invalid(/logger/),
  );
  assert.throws(
    () => logObserver(console, { level: "verbose" as "info" }),
    invalid(/level/),
  );
  assert.throws(
    () =>
      logObserver(console, {
        fields: "service=billing" as unknown as Record<string, unknown>,
      }),
    invalid(/fields/),
  );
  assert.throws(
    () => logObserver(console, { levle: "debug" } as never),
    invalid(/"levle"/),
  );
});

/** A logger keeping `[level, message, properties]` of every record. */
function levelledLogger() {
  const records: Array<[string, string, Record<string, unknown>]> = [];
  const write = (level: string) => (m: string, p?: Record<string, unknown>) =>
    void records.push([level, m, p!]);
  const logger = {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
  };
  return { records, logger };
}

test("levels by outcome: refusals, handler rejections and cancels at info, retries at warn, failures at error — one record each", async () => {
  const { records, logger } = levelledLogger();
  const { clock, runtime } = observedRuntime(logObserver(logger));
  const hold = deferred<void>();
  let slow = 0;
  runtime.register({
    name: "jobs",
    worker: { start() {}, stop() {} },
    commandTimeout: 50,
    commandRetry: attempts(3, {
      backoff: constant(100),
      retryIf: (e) => e instanceof Transient,
    }),
    commands: [
      {
        name: "rebuild",
        handler: () => {
          throw new OpsCommandError("rejected", {
            code: "busy",
            message: "a rebuild is running",
          });
        },
      },
      {
        name: "void",
        handler: () => {
          throw new CommandRejection({
            code: "already_paid",
            message: "a paid invoice cannot be voided",
          });
        },
      },
      { name: "wait", handler: () => hold.promise },
      {
        name: "slow",
        handler: () => {
          slow++;
          throw new Transient(`again ${SECRET}`);
        },
      },
    ],
  });
  await runtime.start("jobs");
  records.length = 0;
  await runtime.dispatch({ worker: "jobs", name: "rebuild" }).catch(() => {});
  await runtime.dispatch({ worker: "jobs", name: "void" }).catch(() => {});
  const caller = new AbortController();
  const waiting = runtime.dispatch({ worker: "jobs", name: "wait" }, {
    signal: caller.signal,
  }).catch(() => {});
  caller.abort();
  await waiting;
  const late = runtime.dispatch({ worker: "jobs", name: "wait" }).catch(
    () => {},
  );
  await clock.advance(50);
  await late;
  const backoff = new AbortController();
  const retrying = runtime.dispatch({ worker: "jobs", name: "slow" }, {
    signal: backoff.signal,
  }).catch(() => {});
  await until(() => slow === 1, "first attempt");
  await clock.advance(100);
  await until(() => slow === 2, "second attempt");
  backoff.abort();
  await retrying;
  hold.resolve();
  await runtime.shutdown();
  assertNoSecret(records);
  const commands = records.filter(([, , p]) =>
    p.event === "workerkit.command" || p.event === "workerkit.failure"
  ).map(([level, message]) => `${level} ${message}`);
  assert.deepEqual(commands, [
    "info billing/jobs rebuild rejected: a rebuild is running (busy)",
    "info billing/jobs void rejected: a paid invoice cannot be voided (already_paid)",
    "info billing/jobs wait canceled by its caller (canceled)",
    "error billing/jobs wait failed after 1 attempt(s): deadline exceeded (deadline_exceeded)",
    "warn billing/jobs slow attempt 1 failed (command_failed); retrying",
    // The second attempt failed too, then the caller canceled the backoff:
    // the attempt keeps its own record, the dispatch ends canceled.
    "warn billing/jobs slow attempt 2 failed: command failed (command_failed)",
    "info billing/jobs slow canceled by its caller (canceled)",
  ]);
});

test("regression (review of issue 17): a dispatch ended by the caller's own signal is one info record whatever the reason (AbortSignal.timeout included); only the worker's own deadline is an error", async () => {
  const { records, logger } = levelledLogger();
  const { clock, runtime } = observedRuntime(logObserver(logger));
  runtime.register({
    name: "jobs",
    worker: { start() {}, stop() {} },
    commandTimeout: 50,
    commands: [{
      name: "wait",
      // Ends when its signal aborts, so shutdown finds nothing in flight.
      handler: (_req, ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener(
            "abort",
            () => reject(ctx.signal.reason),
          )
        ),
    }],
  });
  await runtime.start("jobs");
  records.length = 0;
  const wait = (signal?: AbortSignal) =>
    runtime.dispatch(
      { worker: "jobs", name: "wait" },
      signal ? { signal } : undefined,
    ).catch((e: unknown) => e);
  // The caller's own timeout: a real timer, the runtime's clock stands still.
  // Node does not let a timeout signal's timer keep the process alive.
  const alive = setInterval(() => {}, 1_000);
  const timedOut = await wait(AbortSignal.timeout(5)).finally(() =>
    clearInterval(alive)
  );
  assert.equal((timedOut as DOMException).name, "TimeoutError");
  const withReason = new AbortController();
  const reasoned = wait(withReason.signal);
  withReason.abort(new Error(`the user left ${SECRET}`));
  await reasoned;
  const plain = new AbortController();
  const canceled = wait(plain.signal);
  plain.abort();
  await canceled;
  const early = new AbortController();
  early.abort();
  await wait(early.signal);
  // The worker's own deadline (commandTimeout) is a failure.
  const late = wait();
  await clock.advance(50);
  await late;
  await runtime.shutdown();
  const commands = records.filter(([, , p]) =>
    p.event === "workerkit.command" || p.event === "workerkit.failure"
  );
  assert.deepEqual(commands.map(([level, message]) => `${level} ${message}`), [
    "info billing/jobs wait canceled by its caller (deadline_exceeded)",
    "info billing/jobs wait canceled by its caller (command_failed)",
    "info billing/jobs wait canceled by its caller (canceled)",
    "info billing/jobs wait canceled by its caller (canceled)",
    "error billing/jobs wait failed after 1 attempt(s): deadline exceeded (deadline_exceeded)",
  ]);
  assert.deepEqual(
    commands.map(([, , p]) => p.canceled),
    [true, true, true, true, undefined],
  );
  assert.equal(commands[3]![2].attempts, 0, "canceled before it began");
  for (const record of records) {
    assert.doesNotMatch(JSON.stringify(record), new RegExp(SECRET));
    assert.doesNotMatch(JSON.stringify(record), /the user left/);
  }
});

test("a dispatch to an unknown worker or command writes no record: the caller's strings never become telemetry (SPEC §10)", async () => {
  const records: unknown[] = [];
  const write = (m: string, p?: Record<string, unknown>) =>
    void records.push([m, p]);
  const logger = { debug: write, info: write, warn: write, error: write };
  const { runtime } = observedRuntime(logObserver(logger));
  runtime.register({ name: "jobs", worker: { start() {}, stop() {} } });
  await runtime.start("jobs");
  records.length = 0;
  const codes = [];
  for (
    const request of [{ worker: "jobs", name: "sk_live_x" }, {
      worker: "sk_live_y",
      name: "run",
    }]
  ) {
    codes.push(
      await runtime.dispatch(request).catch((e) => WorkerkitError.codeOf(e)),
    );
  }
  assert.deepEqual(codes, ["command_not_found", "worker_not_found"]);
  assert.deepEqual(records, []);
  await runtime.shutdown();
});

test("LogTape categories let one worker's level be set on its own", async () => {
  const records: LogRecord[] = [];
  await configure({
    sinks: { buffer: (record: LogRecord) => void records.push(record) },
    loggers: [
      { category: ["workerkit"], sinks: ["buffer"], lowestLevel: "warning" },
      {
        category: ["workerkit", "billing", "prices"],
        sinks: ["buffer"],
        parentSinks: "override",
        lowestLevel: "debug",
      },
      { category: ["logtape", "meta"], sinks: [] },
    ],
    reset: true,
  });
  try {
    await story(logObserver(getLogger(["workerkit"])));
  } finally {
    await reset();
  }
  const seen = records.map((r) => `${r.level} ${r.category.join(".")}`);
  // Everything of billing/prices; of the rest only warnings and errors.
  assert.ok(seen.includes("info workerkit.billing.prices"));
  assert.ok(seen.includes("error workerkit.billing.prices"));
  assert.ok(seen.includes("error workerkit.billing.ingest"));
  assert.equal(
    seen.filter((s) => s.startsWith("info") && !s.endsWith("prices")).length,
    0,
    seen.join("\n"),
  );
  for (const record of records) assertNoSecret(record);
});

test("no unhandled rejections", assertNoUnhandled);
