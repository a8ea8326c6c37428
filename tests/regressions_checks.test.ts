// Regressions for issue 12, items 14 and 15: check loops that wait before
// their first run, and checks stopped mid-flight. Public API only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLoop } from "../mod.ts";
import type { CheckLoopOptions, CheckResult } from "../mod.ts";
import { setup } from "./_support/runtime_setup.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { record, until } from "./_support/workers.ts";

/** A running check loop on a manual clock, counting its checks. */
async function counted(options: CheckLoopOptions) {
  const { clock, runtime } = setup();
  const seen = { checks: 0 };
  runtime.register({
    name: "db",
    worker: checkLoop({
      name: "postgres",
      check: () => {
        seen.checks++;
        return Promise.resolve({ ready: true });
      },
    }, options),
  });
  await runtime.start("db");
  return { clock, runtime, seen };
}

test("regression: checkLoop runImmediately: false waits one interval before the first check", async () => {
  const { clock, runtime, seen } = await counted({
    interval: 60_000,
    runImmediately: false,
  });
  await clock.advance(20);
  assert.equal(seen.checks, 0, "no check 20 ms after start");
  await clock.advance(60_000 - 21);
  assert.equal(seen.checks, 0, "no check before one interval");
  await clock.advance(1);
  await until(() => seen.checks === 1, "the first check after one interval");
  await runtime.shutdown();
});

test("regression: checkLoop runImmediately: false adds initialDelay and jitter to the first wait", async () => {
  const { clock, runtime, seen } = await counted({
    interval: 1_000,
    initialDelay: 500,
    jitter: (interval: number) => interval * 2,
    runImmediately: false,
  });
  await clock.advance(2_499);
  assert.equal(
    seen.checks,
    0,
    "no check before initialDelay + jittered interval",
  );
  await clock.advance(1);
  await until(() => seen.checks === 1, "the first check at 2 500 ms");
  await runtime.shutdown();
});

test(
  "regression: a check stopped mid-flight ends canceled whatever it returns",
  async () => {
    const { clock, runtime } = setup();
    let calls = 0;
    const results: CheckResult[] = [];
    runtime.register({
      name: "db",
      worker: checkLoop({
        name: "postgres",
        check: (signal) => {
          calls++;
          if (calls === 1) return Promise.resolve({ ready: true });
          // Later checks answer "not ready" once they are told to stop.
          return new Promise<CheckResult>((resolve) => {
            signal.addEventListener("abort", () => resolve({ ready: false }));
          });
        },
      }, { interval: 10, onResult: (result) => results.push(result) }),
    });
    const events = record(runtime, ["checkend"]);
    await runtime.start("db");
    await until(() => events.length === 1, "the first check ended");
    await clock.advance(10);
    await until(() => calls === 2, "the second check began");
    await runtime.stop("db");
    await until(() => events.length === 2, "the second check ended");
    assert.deepEqual(events.map((e) => e.detail.outcome), [
      "ready",
      "canceled",
    ]);
    assert.deepEqual(
      results,
      [{ ready: true }],
      "a canceled check has no result",
    );
    await runtime.shutdown();
  },
);

test("no unhandled rejections", assertNoUnhandled);
