// The one list of an event's public fields (PUBLIC_EVENT_FIELDS): the event
// stream picks with it, and the log records and span attributes may carry
// nothing it does not list.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PUBLIC_EVENT_FIELDS,
  publicEvent,
  type RuntimeEventMap,
} from "../mod.ts";
import { logObserver } from "../src/log/mod.ts";
import { ATTR } from "../src/otel/_names.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const SECRET = "password=hunter2";
const AT = "2026-01-01T00:00:00.000Z";

/** One event of each type with every listed field, a cause and an extra field. */
const FULL: { [K in keyof RuntimeEventMap]: RuntimeEventMap[K] } = {
  transition: {
    runtime: "svc",
    worker: "svc/w",
    from: "starting",
    to: "running",
    reason: "restart",
    at: AT,
  },
  readiness: { runtime: "svc", worker: "svc/w", ready: true, at: AT },
  failure: {
    runtime: "svc",
    worker: "svc/w",
    kind: "command",
    code: "command_failed",
    message: "command failed",
    command: "flush",
    attempt: 1,
    dispatchId: "abc-1",
    cause: new Error(SECRET),
    at: AT,
  },
  commandstart: {
    runtime: "svc",
    worker: "svc/w",
    command: "flush",
    dispatchId: "abc-1",
    at: AT,
  },
  commandend: {
    runtime: "svc",
    worker: "svc/w",
    command: "flush",
    dispatchId: "abc-1",
    ok: false,
    attempts: 1,
    durationMs: 2,
    code: "command_failed",
    message: "command failed",
    cause: new Error(SECRET),
    at: AT,
  },
  checkstart: { runtime: "svc", worker: "svc/w", check: "db", at: AT },
  checkend: {
    runtime: "svc",
    worker: "svc/w",
    check: "db",
    outcome: "error",
    durationMs: 3,
    code: "check_failed",
    message: "check failed",
    cause: new Error(SECRET),
    at: AT,
  },
};

const listed = (type: keyof RuntimeEventMap) =>
  new Set(PUBLIC_EVENT_FIELDS[type].map(([field]) => field));

test("publicEvent() keeps exactly the listed fields and never the cause", () => {
  for (const type of Object.keys(FULL) as (keyof RuntimeEventMap)[]) {
    const shown = publicEvent(type, { ...FULL[type], secret: SECRET });
    assert.equal(JSON.stringify(shown).includes(SECRET), false, type);
    for (const field of Object.keys(shown)) {
      assert.ok(listed(type).has(field), `${type}.${field} is listed`);
    }
    for (const field of Object.keys(FULL[type])) {
      if (field === "cause") continue;
      assert.ok(field in shown, `${type}.${field} is shown`);
    }
  }
});

test("publicEvent() skips a field whose getter throws and keeps the rest", () => {
  const hostile = {
    ...FULL.readiness,
    get worker(): string {
      throw new Error(SECRET);
    },
  };
  assert.deepEqual(publicEvent("readiness", hostile), {
    runtime: "svc",
    ready: true,
    at: AT,
  });
});

test("log records carry only listed fields (message as failureMessage)", () => {
  const records: Array<Record<string, unknown>> = [];
  const write = (_message: string, properties?: Record<string, unknown>) =>
    void records.push(properties ?? {});
  const observer = logObserver({
    debug: write,
    info: write,
    warn: write,
    error: write,
  });
  const allowed = (type: keyof RuntimeEventMap) =>
    new Set([
      ...[...listed(type)].map((f) => f === "message" ? "failureMessage" : f),
      // Derived by the log observer from public fields, not read from the event.
      "event",
      "outcome",
      "retrying",
    ]);
  const check = (type: keyof RuntimeEventMap) => {
    const record = records.pop();
    assert.ok(record, `a record for ${type}`);
    assert.equal(JSON.stringify(record).includes(SECRET), false);
    for (const key of Object.keys(record)) {
      assert.ok(allowed(type).has(key), `${type} record key ${key} is listed`);
    }
  };
  observer.transition?.(FULL.transition);
  check("transition");
  observer.readiness?.(FULL.readiness);
  check("readiness");
  // A command's failures are logged on its end record; a background one alone.
  observer.failure?.({ ...FULL.failure, kind: "background" });
  check("failure");
  const command = observer.commandStart?.(FULL.commandstart);
  command?.end(FULL.commandend);
  check("commandend");
  const run = observer.checkStart?.(FULL.checkstart);
  run?.end(FULL.checkend);
  check("checkend");
});

test("every OpenTelemetry attribute read from an event is a listed field", () => {
  const everyField = new Set(
    Object.values(PUBLIC_EVENT_FIELDS).flatMap((list) =>
      list.map(([field]) => field)
    ),
  );
  // Derived by the observer (an outcome, a state count, the semantic
  // conventions' error.type from the public code), not read from an event.
  const derived = new Set(["outcome", "state", "errorType"]);
  for (const field of Object.keys(ATTR)) {
    if (derived.has(field)) continue;
    assert.ok(everyField.has(field), `ATTR.${field} is a listed field`);
  }
});

test("no unhandled rejections", assertNoUnhandled);
