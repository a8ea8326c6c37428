import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime } from "../mod.ts";
import type { WorkerHandle } from "../mod.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

function runtimeWithWorkers() {
  const runtime = new Runtime({ name: "billing" });
  const handles = new Map<string, WorkerHandle>();
  const worker = (name: string) => ({
    start(ctx: { worker: WorkerHandle }) {
      handles.set(name, ctx.worker);
    },
    stop() {},
  });
  runtime.register({ name: "ingest", worker: worker("ingest") });
  runtime.register({
    name: "audit",
    contributesToReadiness: false,
    worker: worker("audit"),
  });
  runtime.register({
    name: "ledger",
    contributesToReadiness: false,
    failurePolicy: "mark-runtime-unready",
    worker: worker("ledger"),
    commands: [{ name: "sync", description: "syncs", handler: () => ({}) }],
  });
  return { runtime, handles };
}

test("the runtime is a component of kind workerkit.runtime with an item per worker", async () => {
  const { runtime } = runtimeWithWorkers();
  assert.equal(runtime.kind, "workerkit.runtime");
  let readiness = runtime.readiness();
  assert.equal(readiness.ready, false);
  assert.equal(readiness.state, "not_ready");
  assert.equal(readiness.reason, "2 of 2 required workers not ready");
  assert.deepEqual(readiness.items, [
    { name: "ingest", ready: false, impact: "required", reason: "registered" },
    {
      name: "audit",
      ready: false,
      impact: "informational",
      reason: "registered",
    },
    { name: "ledger", ready: false, impact: "required", reason: "registered" },
  ]);
  await runtime.startAll();
  readiness = runtime.readiness();
  assert.equal(readiness.ready, true);
  assert.equal(readiness.state, "ready");
  assert.equal(readiness.reason, undefined);
  assert.ok(readiness.items!.every((item) => item.ready));
  await runtime.shutdown();
  readiness = runtime.readiness();
  assert.equal(readiness.state, "stopped");
  assert.equal(readiness.reason, "shutting down");
});

test("readiness items carry public reasons: failure codes, stalls, unready workers", async () => {
  const { runtime, handles } = runtimeWithWorkers();
  await runtime.startAll();
  handles.get("ingest")!.setReady(false);
  handles.get("ledger")!.reportFailure(new Error("password=hunter2"));
  const readiness = runtime.readiness();
  assert.equal(readiness.state, "degraded");
  const items = Object.fromEntries(readiness.items!.map((i) => [i.name, i]));
  assert.equal(items.ingest!.reason, "not ready");
  assert.equal(items.ledger!.reason, "failed: worker_failed");
  assert.doesNotMatch(JSON.stringify(readiness), /hunter2/);
  await runtime.shutdown();
});

test("under the all policy every worker is a required item", () => {
  const runtime = new Runtime({ name: "b", readinessPolicy: "all" });
  runtime.register({
    name: "a",
    contributesToReadiness: false,
    worker: { start() {}, stop() {} },
  });
  assert.equal(runtime.readiness().items![0]!.impact, "required");
});

test("inspect() returns the status, worker snapshots and commands as plain JSON", async () => {
  const { runtime } = runtimeWithWorkers();
  await runtime.startAll();
  const inspection = runtime.inspect();
  assert.equal(inspection.status.name, "billing");
  assert.equal(inspection.workers.length, 3);
  assert.deepEqual(inspection.commands.ledger, [{
    name: "sync",
    description: "syncs",
  }]);
  assert.deepEqual(inspection.commands.ingest, []);
  assert.deepEqual(JSON.parse(JSON.stringify(inspection)), inspection);
  await runtime.shutdown();
});

test("no unhandled rejections", assertNoUnhandled);
