// The declared layering (tools/layers.json), read as `deno task check:layers`
// reads it: the imports it must refuse and the ones it must allow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  externalProblem,
  fileProblem,
  layerOf,
  type Rules,
} from "../tools/_layer_rules.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const rules = JSON.parse(
  readFileSync(new URL("../tools/layers.json", import.meta.url), "utf8"),
) as Rules;

test("files belong to the layer of their longest matching prefix", () => {
  assert.equal(layerOf(rules, "mod.ts"), "core");
  assert.equal(layerOf(rules, "src/runtime.ts"), "core");
  assert.equal(layerOf(rules, "src/runtime/_lifecycle.ts"), "parts");
  assert.equal(layerOf(rules, "src/base/errors.ts"), "base");
  assert.equal(layerOf(rules, "src/hono/ops_router.ts"), "hono");
  assert.equal(layerOf(rules, "adapters/node.ts"), "adapters");
});

test("the leaf imports nothing; retry and ops import only the leaf", () => {
  assert.ok(fileProblem(rules, "src/base/names.ts", "src/failure.ts"));
  assert.ok(fileProblem(rules, "src/retry/retry.ts", "src/runtime.ts"));
  assert.ok(fileProblem(rules, "src/ops/registry.ts", "src/command.ts"));
  assert.ok(fileProblem(rules, "src/retry/retry.ts", "src/ops/registry.ts"));
  assert.equal(
    fileProblem(rules, "src/retry/retry.ts", "src/base/clock.ts"),
    undefined,
  );
  assert.equal(
    fileProblem(rules, "src/base/errors.ts", "src/base/_safe_access.ts"),
    undefined,
  );
});

test("integrations import the core only through its public entrypoints", () => {
  for (
    const from of [
      "src/hono/ops_router.ts",
      "src/log/log_observer.ts",
      "src/otel/otel_observer.ts",
    ]
  ) {
    assert.equal(fileProblem(rules, from, "mod.ts"), undefined);
    assert.equal(fileProblem(rules, from, "src/ops/mod.ts"), undefined);
    assert.ok(fileProblem(rules, from, "src/runtime.ts"));
    assert.ok(fileProblem(rules, from, "src/base/_safe_access.ts"));
    assert.ok(fileProblem(rules, from, "src/runtime/_dispatcher.ts"));
  }
  assert.ok(fileProblem(rules, "adapters/bun.ts", "src/service/server.ts"));
});

test("built-in workers and runService never reach the runtime's parts", () => {
  assert.ok(
    fileProblem(
      rules,
      "src/workers/loop_worker.ts",
      "src/runtime/_managed_worker.ts",
    ),
  );
  assert.ok(
    fileProblem(
      rules,
      "src/service/run_service.ts",
      "src/runtime/_state_reporter.ts",
    ),
  );
  assert.equal(
    fileProblem(rules, "src/workers/loop_worker.ts", "src/worker.ts"),
    undefined,
  );
});

test("only integrations and adapters use packages, each its own", () => {
  assert.equal(
    externalProblem(rules, "src/hono/respond.ts", "hono/utils/http-status"),
    undefined,
  );
  assert.equal(
    externalProblem(rules, "adapters/node.ts", "node:http"),
    undefined,
  );
  assert.ok(externalProblem(rules, "src/runtime.ts", "hono"));
  assert.ok(externalProblem(rules, "src/base/clock.ts", "node:timers"));
  assert.ok(externalProblem(rules, "src/log/log_observer.ts", "hono"));
});

test("no exceptions are left in the rules", () => {
  assert.deepEqual(rules.exceptions ?? [], []);
});

test("no unhandled rejections", assertNoUnhandled);
