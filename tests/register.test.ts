import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime, WorkerkitError } from "../mod.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const noop = { start() {}, stop() {} };

function code(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

test("new Runtime() refuses a bad name with invalid_name", () => {
  for (const name of ["", "Billing", "a b", "a/b", 42]) {
    assert.throws(
      () => new Runtime({ name: name as string }),
      (e) => code(e) === "invalid_name",
    );
  }
});

test("new Runtime() refuses bad options with invalid_argument", () => {
  const bad = [
    { name: "x", readinessPolicy: "some" },
    { name: "x", commandConcurrency: -1 },
    { name: "x", commandConcurrency: 1.5 },
    { name: "x", defaults: { startTimeout: -5 } },
    { name: "x", defaults: { failurePolicy: "explode" } },
    { name: "x", defaults: { startRetry: {} } },
  ];
  for (const options of bad) {
    assert.throws(
      () => new Runtime(options as never),
      (e) => code(e) === "invalid_argument",
      JSON.stringify(options),
    );
  }
  assert.throws(
    () => new Runtime(null as never),
    (e) => code(e) === "invalid_argument",
  );
});

test("register() adds a registered worker under local and qualified names", () => {
  const runtime = new Runtime({ name: "billing" });
  runtime.register({
    name: "ingest",
    description: "pulls orders",
    worker: noop,
  });
  const byLocal = runtime.worker("ingest");
  const byQualified = runtime.worker("billing/ingest");
  assert.deepEqual(byLocal, byQualified);
  assert.equal(byLocal?.qualifiedName, "billing/ingest");
  assert.equal(byLocal?.description, "pulls orders");
  assert.equal(byLocal?.status.state, "registered");
  assert.equal(byLocal?.status.ready, false);
  assert.equal(runtime.status().workers, 1);
  assert.equal(runtime.status().state, "registered");
  assert.equal(runtime.worker("other"), undefined);
  assert.equal(runtime.worker("shipping/ingest"), undefined);
});

test("register() refuses invalid names and a duplicate worker", () => {
  const runtime = new Runtime({ name: "billing" });
  assert.throws(
    () => runtime.register({ name: "In gest", worker: noop }),
    (e) => code(e) === "invalid_name",
  );
  runtime.register({ name: "ingest", worker: noop });
  assert.throws(
    () => runtime.register({ name: "ingest", worker: noop }),
    (e) => code(e) === "worker_already_registered",
  );
  assert.equal(runtime.workers().length, 1);
});

test("register() refuses a duplicate or invalid command and changes nothing", () => {
  const runtime = new Runtime({ name: "billing" });
  const handler = () => ({});
  assert.throws(
    () =>
      runtime.register({
        name: "prices",
        worker: noop,
        commands: [{ name: "cache/refresh", handler }, {
          name: "cache/refresh",
          handler,
        }],
      }),
    (e) => code(e) === "command_already_registered",
  );
  assert.throws(
    () =>
      runtime.register({
        name: "prices",
        worker: noop,
        commands: [{ name: "cache//refresh", handler }],
      }),
    (e) => code(e) === "invalid_name",
  );
  assert.throws(
    () =>
      runtime.register({
        name: "prices",
        worker: noop,
        commands: [{ name: "ok", handler: "nope" as never }],
      }),
    (e) => code(e) === "invalid_argument",
  );
  assert.equal(runtime.workers().length, 0);
});

test("register() refuses a worker without start and stop", () => {
  const runtime = new Runtime({ name: "billing" });
  for (const worker of [null, {}, { start() {} }, { start: 1, stop: 2 }]) {
    assert.throws(
      () => runtime.register({ name: "w", worker: worker as never }),
      (e) => code(e) === "invalid_argument",
    );
  }
});

test("register() refuses bad per-worker settings", () => {
  const runtime = new Runtime({ name: "billing" });
  const bad = [
    { stopTimeout: 0 },
    { commandTimeout: Number.NaN },
    { commandConcurrency: -2 },
    { readyOnStart: "yes" },
    { restart: { backoff: null } },
    { stallTimeout: -1 },
  ];
  for (const settings of bad) {
    assert.throws(
      () => runtime.register({ name: "w", worker: noop, ...settings } as never),
      (e) => code(e) === "invalid_argument",
      JSON.stringify(settings),
    );
  }
});

test("commands() lists a worker's commands sorted by name with metadata", () => {
  const runtime = new Runtime({ name: "billing" });
  const handler = () => ({});
  runtime.register({
    name: "index",
    worker: noop,
    commands: [
      { name: "rebuild", description: "rebuilds", dangerous: true, handler },
      { name: "cache/refresh", payloadKind: "json", idempotent: true, handler },
    ],
  });
  assert.deepEqual(runtime.commands("billing/index"), [
    { name: "cache/refresh", payloadKind: "json", idempotent: true },
    { name: "rebuild", description: "rebuilds", dangerous: true },
  ]);
  assert.equal(runtime.commands("nope"), undefined);
});

test("register() works while other workers run", async () => {
  const runtime = new Runtime({ name: "billing" });
  runtime.register({ name: "a", worker: noop });
  await runtime.startAll();
  runtime.register({ name: "b", worker: noop });
  assert.equal(runtime.worker("b")?.status.state, "registered");
  assert.equal(runtime.worker("a")?.status.state, "running");
  await runtime.start("b");
  assert.equal(runtime.status().state, "running");
  await runtime.shutdown();
});

test("unregister() removes registered, stopped or failed workers only", async () => {
  const runtime = new Runtime({ name: "billing" });
  runtime.register({ name: "a", worker: noop });
  runtime.register({ name: "b", worker: noop });
  await runtime.unregister("a");
  assert.equal(runtime.worker("a"), undefined);
  await runtime.start("b");
  await assert.rejects(
    runtime.unregister("b"),
    (e) => code(e) === "invalid_worker_state",
  );
  await runtime.stop("b");
  await runtime.unregister("billing/b");
  assert.equal(runtime.workers().length, 0);
  await assert.rejects(
    runtime.unregister("b"),
    (e) => code(e) === "worker_not_found",
  );
  await assert.rejects(
    runtime.unregister("B!"),
    (e) => code(e) === "invalid_name",
  );
  runtime.register({ name: "a", worker: noop });
  assert.equal(runtime.worker("a")?.status.state, "registered");
});

test("lifecycle calls name unknown workers worker_not_found and bad names invalid_name", async () => {
  const runtime = new Runtime({ name: "billing" });
  for (const op of ["start", "stop", "drain", "waitIdle"] as const) {
    await assert.rejects(
      runtime[op]("ghost"),
      (e) => code(e) === "worker_not_found",
      op,
    );
    await assert.rejects(
      runtime[op]("Ghost"),
      (e) => code(e) === "invalid_name",
      op,
    );
    await assert.rejects(
      runtime[op]("billing/"),
      (e) => code(e) === "invalid_name",
      op,
    );
  }
  await assert.rejects(
    runtime.start("ghost", { signal: "nope" as never }),
    (e) => code(e) === "invalid_argument",
  );
});

test("register() after shutdown begins is refused with runtime_shut_down", async () => {
  const runtime = new Runtime({ name: "billing" });
  await runtime.shutdown();
  assert.throws(
    () => runtime.register({ name: "late", worker: noop }),
    (e) => code(e) === "runtime_shut_down",
  );
  await assert.rejects(
    runtime.startAll(),
    (e) => code(e) === "runtime_shut_down",
  );
});

test("snapshots are copies the caller may mutate", async () => {
  const runtime = new Runtime({ name: "billing" });
  runtime.register({
    name: "a",
    worker: noop,
    commands: [{ name: "c", handler: () => ({}) }],
  });
  await runtime.startAll();
  const status = runtime.status();
  status.ready = false;
  status.lastTransition!.to = "failed";
  const workers = runtime.workers();
  workers[0]!.status.state = "failed";
  workers[0]!.status.lastTransition!.to = "failed";
  runtime.commands("a")![0]!.name = "changed";
  assert.equal(runtime.status().ready, true);
  assert.equal(runtime.status().lastTransition?.to, "running");
  assert.equal(runtime.workers()[0]!.status.state, "running");
  assert.equal(runtime.workers()[0]!.status.lastTransition?.to, "running");
  assert.equal(runtime.commands("a")![0]!.name, "c");
  assert.deepEqual(
    JSON.parse(JSON.stringify(runtime.workers())),
    runtime.workers(),
  );
  await runtime.shutdown();
});

test("no unhandled rejections", assertNoUnhandled);
