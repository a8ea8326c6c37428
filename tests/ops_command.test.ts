import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attempts,
  commandFromOps,
  OpsCommandError,
  publicFailure,
  Runtime,
  WorkerkitError,
} from "../mod.ts";
import type { OpsCommandResult } from "../mod.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

async function runtimeWith(
  answer: () => OpsCommandResult | Promise<OpsCommandResult>,
  retries = 1,
) {
  const runtime = new Runtime({ name: "svc" });
  let calls = 0;
  runtime.register({
    name: "index",
    worker: { start() {}, stop() {} },
    commandRetry: attempts(retries),
    commands: [
      commandFromOps(
        { name: "index/rebuild", description: "rebuilds", dangerous: true },
        (request) => {
          calls++;
          assert.equal(request.name, "index/rebuild");
          return answer();
        },
      ),
    ],
  });
  await runtime.startAll();
  return { runtime, calls: () => calls };
}

test("commandFromOps() keeps the descriptor's metadata", async () => {
  const { runtime } = await runtimeWith(() => ({ outcome: "completed" }));
  assert.deepEqual(runtime.commands("index"), [
    { name: "index/rebuild", description: "rebuilds", dangerous: true },
  ]);
  await runtime.shutdown();
});

test("completed and accepted succeed with result as the payload", async () => {
  for (const outcome of ["completed", "accepted"] as const) {
    const result = { rows: 3 };
    const { runtime } = await runtimeWith(() => ({ outcome, result }));
    const answer = await runtime.dispatch({
      worker: "index",
      name: "index/rebuild",
    });
    assert.equal(answer.payload, result);
    assert.equal(answer.message, outcome);
    await runtime.shutdown();
  }
});

test("rejected throws an OpsCommandError with the public failure and records it", async () => {
  const { runtime } = await runtimeWith(() => ({
    outcome: "rejected",
    failure: { code: "busy", message: "a rebuild is running" },
  }));
  const error = await runtime.dispatch({
    worker: "index",
    name: "index/rebuild",
  }).catch((e) => e);
  assert.ok(error instanceof OpsCommandError);
  assert.equal(error.kind, "rejected");
  assert.deepEqual(error.failure, {
    code: "busy",
    message: "a rebuild is running",
  });
  const status = runtime.worker("index")!.status;
  assert.equal(status.lastCommandFailure?.code, "busy");
  assert.equal(status.lastCommandFailure?.message, "a rebuild is running");
  assert.equal(
    status.state,
    "running",
    "a failed command never fails the worker",
  );
  await runtime.shutdown();
});

test("failed flows through the command's retry policy", async () => {
  let n = 0;
  const { runtime, calls } = await runtimeWith(
    () =>
      ++n < 3
        ? {
          outcome: "failed",
          failure: { code: "flaky", message: "try again" },
        }
        : { outcome: "completed", result: n },
    3,
  );
  const answer = await runtime.dispatch({
    worker: "index",
    name: "index/rebuild",
  });
  assert.equal(answer.payload, 3);
  assert.equal(calls(), 3);
  await runtime.shutdown();
});

test("an unsafe or missing ops failure is replaced by a generic one for its kind", () => {
  const unsafe = new OpsCommandError("failed", {
    code: "Bad Code!",
    message: "x",
  });
  assert.deepEqual(unsafe.failure, {
    code: "command_failed",
    message: "command failed",
  });
  const missing = new OpsCommandError("rejected");
  assert.deepEqual(publicFailure(missing, "command"), {
    code: "command_rejected",
    message: "command rejected",
  });
  const long = new OpsCommandError("failed", {
    code: "ok",
    message: "x".repeat(5000),
  });
  assert.equal(long.failure.code, "command_failed");
});

test("an answer without a valid outcome fails the command", async () => {
  const { runtime } = await runtimeWith(() => ({ outcome: "maybe" } as never));
  const error = await runtime.dispatch({
    worker: "index",
    name: "index/rebuild",
  }).catch((e) => e);
  assert.ok(error instanceof OpsCommandError);
  assert.equal(error.kind, "failed");
  await runtime.shutdown();
});

test("commandFromOps() refuses a missing handler", () => {
  assert.throws(
    () => commandFromOps({ name: "x" }, undefined as never),
    (e) => e instanceof WorkerkitError && e.code === "invalid_argument",
  );
});

test("no unhandled rejections", assertNoUnhandled);
