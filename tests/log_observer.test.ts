import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import { checkLoop, OperationalFailure, WorkerkitError } from "../mod.ts";
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
const EXPECTED_STORY = (level: string): string[] => [
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
  "error workerkit.failure command command_failed",
  "error workerkit.command fail error",
  "error workerkit.failure command command_failed",
  `${level} workerkit.command flaky ok`,
  "error workerkit.command ok rejected",
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

test("logObserver writes one LogTape record per event with stable fields and constant messages", async () => {
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
  assert.equal(records.length, 35);
  const storyRecords = plain.slice(0, 31);
  assert.deepEqual(summary(storyRecords), EXPECTED_STORY("info"));
  assert.deepEqual(summary(plain.slice(-4)), [
    "info workerkit.check database ready",
    "info workerkit.check database not_ready",
    "error workerkit.check database error",
    "error workerkit.check database timeout",
  ]);

  for (const record of records) {
    assertNoSecret(record.properties);
    assertNoSecret(record.message);
    assert.equal(Object.hasOwn(record.properties, "cause"), false);
    assert.equal(record.properties.service, "billing-api");
    assert.deepEqual(record.category, ["workerkit"]);
    // A constant message per type: no placeholders, nothing interpolated.
    assert.equal(typeof record.rawMessage, "string");
    assert.deepEqual(record.message, [record.rawMessage]);
    const type = (record.properties.event as string).slice("workerkit.".length);
    assert.equal(record.rawMessage, `workerkit ${type}`);
  }

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
  assert.deepEqual(failures[0], {
    service: "billing-api",
    event: "workerkit.failure",
    runtime: "billing",
    worker: "billing/prices",
    kind: "command",
    code: "command_failed",
    failureMessage: "command failed",
    command: "fail",
    attempt: 1,
    // Every public field of the event, as the dashboard shows it too.
    dispatchId: failures[0]!.dispatchId,
    at: AT,
  });
  assert.match(String(failures[0]!.dispatchId), /^[0-9a-f]{8}-[0-9a-z]+$/);
  assert.deepEqual(failures[2], {
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

test("a real checkLoop's runs are logged once each, errors at error without the cause", async () => {
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
    ["info", {
      event: "workerkit.check",
      runtime: "billing",
      worker: "billing/db",
      check: "postgres",
      outcome: "ready",
      durationMs: 0,
      at: AT,
    }],
    ["error", {
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
  assert.equal(calls.length, 35);
  for (const [, args] of calls) {
    assert.equal(args.length, 2);
    assert.match(
      args[0] as string,
      /^workerkit (transition|readiness|failure|command|check)$/,
    );
    assertNoSecret(args);
  }
  assert.deepEqual(
    summary(calls.map(([level, args]) => ({
      level,
      properties: args[1] as Record<string, unknown>,
    }))).slice(0, 31),
    EXPECTED_STORY("info"),
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
  assert.equal(logger.records.length, 31);
  assert.deepEqual(
    summary(logger.records.map((r) => ({
      level: r.level.toLowerCase(),
      properties: r.args[0] as Record<string, unknown>,
    }))),
    EXPECTED_STORY("warn"),
  );
  for (const record of logger.records) assertNoSecret(record);
});

test("odd loggers: missing methods fall back to info, none at all is skipped, throws and rejections are contained", async () => {
  const lines: string[] = [];
  const infoOnly = {
    info: (message: string, p?: Record<string, unknown>) =>
      void lines.push(`${message}:${p?.event}`),
  } as unknown as StructuredLogger;
  await story(logObserver(infoOnly));
  assert.equal(lines.length, 31);
  assert.ok(lines.includes("workerkit failure:workerkit.failure"));

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

/** A WorkerkitError with code invalid_argument: the one misuse rule (docs/errors.md). */
function invalidArgument(error: unknown): boolean {
  return error instanceof WorkerkitError && error.code === "invalid_argument";
}

test("logObserver rejects a missing logger, a bad level or bad fields", () => {
  assert.throws(
    () => logObserver(undefined as unknown as StructuredLogger),
    invalidArgument,
  );
  assert.throws(
    () => logObserver(console, { level: "verbose" as "info" }),
    invalidArgument,
  );
  assert.throws(
    () =>
      logObserver(console, {
        fields: "service=billing" as unknown as Record<string, unknown>,
      }),
    invalidArgument,
  );
});

test("no unhandled rejections", assertNoUnhandled);
