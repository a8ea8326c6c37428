// WorkerTable: building, lookup by both names, order, removal, liveness.
import { test } from "node:test";
import assert from "node:assert/strict";
import { code } from "../_support/runtime_setup.ts";
import { idle, parts } from "../_support/parts.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";

test("add() finds a worker by local and qualified name, in registration order", () => {
  const { table } = parts();
  const a = table.add({ name: "a", worker: idle });
  const b = table.add({ name: "b", worker: idle });
  assert.equal(table.get("a"), a);
  assert.equal(table.get("rt/b"), b);
  assert.equal(table.has("rt/a"), true);
  assert.deepEqual(table.all.map((w) => w.name), ["a", "b"]);
});

test("add() is atomic: a duplicate or invalid registration changes nothing", () => {
  const { table } = parts();
  table.add({ name: "a", worker: idle });
  assert.throws(
    () => table.add({ name: "a", worker: idle }),
    (e) => code(e) === "worker_already_registered",
  );
  assert.throws(
    () => table.add({ name: "Bad", worker: idle }),
    (e) => code(e) === "invalid_name",
  );
  assert.throws(
    () => table.add({ name: "c", worker: {} as never }),
    (e) => code(e) === "invalid_argument",
  );
  assert.deepEqual(table.all.map((w) => w.name), ["a"]);
});

test("require() tells a malformed name from an unknown one", () => {
  const { table } = parts();
  assert.throws(
    () => table.require("nope"),
    (e) => code(e) === "worker_not_found",
  );
  assert.throws(
    () => table.require("a/b/c"),
    (e) => code(e) === "invalid_name",
  );
});

test("remove() forgets both names and the order slot", () => {
  const { table } = parts();
  const a = table.add({ name: "a", worker: idle });
  table.add({ name: "b", worker: idle });
  table.remove(a);
  assert.equal(table.get("a"), undefined);
  assert.equal(table.get("rt/a"), undefined);
  assert.deepEqual(table.all.map((w) => w.name), ["b"]);
});

test("live() is false only while a livenessOnStall worker is stalled", () => {
  const { table, reporter } = parts();
  const watched = table.add({
    name: "a",
    worker: idle,
    stallTimeout: 1_000,
    livenessOnStall: true,
  });
  const other = table.add({ name: "b", worker: idle, stallTimeout: 1_000 });
  reporter.setStalled(other, true);
  assert.equal(table.live(), true);
  reporter.setStalled(watched, true);
  assert.equal(table.live(), false);
  table.remove(watched);
  assert.equal(table.live(), true);
});

test("no unhandled rejections", assertNoUnhandled);
