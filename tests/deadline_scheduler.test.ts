import { test } from "node:test";
import assert from "node:assert/strict";
import { DeadlineScheduler } from "../src/runtime/_deadline_scheduler.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

function setup() {
  const clock = new ManualClock(1_000_000);
  const scheduler = new DeadlineScheduler(clock);
  const fired: string[] = [];
  const add = (ms: number, label: string) =>
    scheduler.add(ms, () => fired.push(`${label}@${clock.now()}`));
  return { clock, scheduler, fired, add };
}

test("DeadlineScheduler fires a deadline exactly at its time, not before", async () => {
  const { clock, fired, add } = setup();
  add(100, "a");
  await clock.advance(99);
  assert.deepEqual(fired, []);
  await clock.advance(1);
  assert.deepEqual(fired, ["a@1000100"]);
});

test("a deadline records when it expires in clock ms", () => {
  const { scheduler } = setup();
  const d = scheduler.add(250, () => {});
  assert.equal(d.at, 1_000_250);
  scheduler.dispose();
});

test("DeadlineScheduler fires deadlines of one duration in the order they were added", async () => {
  const { clock, fired, add } = setup();
  add(100, "a");
  await clock.advance(10);
  add(100, "b");
  await clock.advance(10);
  add(100, "c");
  await clock.advance(200);
  assert.deepEqual(fired, ["a@1000100", "b@1000110", "c@1000120"]);
  assert.equal(clock.pending, 0);
});

test("deadlines added at the same instant all fire at that instant, in order", async () => {
  const { clock, fired, add } = setup();
  for (const label of ["a", "b", "c", "d"]) add(50, label);
  await clock.advance(50);
  assert.deepEqual(fired, [
    "a@1000050",
    "b@1000050",
    "c@1000050",
    "d@1000050",
  ]);
});

test("cancel() prevents a deadline from firing", async () => {
  const { clock, scheduler, fired, add } = setup();
  const a = add(100, "a");
  add(100, "b");
  const c = add(100, "c");
  scheduler.cancel(a);
  scheduler.cancel(c);
  await clock.advance(1_000);
  assert.deepEqual(fired, ["b@1000100"]);
  assert.equal(a.onExpire, undefined);
  assert.equal(clock.pending, 0);
});

test("cancel() twice, or after the deadline fired, is a no-op", async () => {
  const { clock, scheduler, fired, add } = setup();
  const a = add(100, "a");
  scheduler.cancel(a);
  scheduler.cancel(a);
  const b = add(100, "b");
  await clock.advance(100);
  scheduler.cancel(b);
  scheduler.cancel(b);
  add(100, "c");
  await clock.advance(100);
  assert.deepEqual(fired, ["b@1000100", "c@1000200"]);
  assert.equal(clock.pending, 0);
});

test("cancelling a deadline in the middle of its queue leaves the others on time", async () => {
  const { clock, scheduler, fired, add } = setup();
  add(100, "a");
  await clock.advance(10);
  const b = add(100, "b");
  await clock.advance(10);
  add(100, "c");
  scheduler.cancel(b);
  await clock.advance(500);
  assert.deepEqual(fired, ["a@1000100", "c@1000120"]);
});

test("cancelling the earliest deadline does not make later ones fire early", async () => {
  const { clock, scheduler, fired, add } = setup();
  const a = add(100, "a");
  await clock.advance(50);
  add(100, "b"); // due at +150
  scheduler.cancel(a);
  await clock.advance(60); // +110: past a's old time
  assert.deepEqual(fired, []);
  await clock.advance(40); // +150
  assert.deepEqual(fired, ["b@1000150"]);
});

test("a shorter deadline added after a longer one fires first", async () => {
  const { clock, fired, add } = setup();
  add(1_000, "long");
  add(100, "short");
  await clock.advance(100);
  assert.deepEqual(fired, ["short@1000100"]);
  await clock.advance(900);
  assert.deepEqual(fired, ["short@1000100", "long@1001000"]);
  assert.equal(clock.pending, 0);
});

test("mixed durations added over time fire in deadline order", async () => {
  const { clock, fired, add } = setup();
  add(500, "a"); // 500
  await clock.advance(100);
  add(50, "b"); // 150
  add(1_000, "c"); // 1100
  await clock.advance(100);
  add(250, "d"); // 450
  add(50, "e"); // 250
  await clock.advance(2_000);
  assert.deepEqual(fired, [
    "b@1000150",
    "e@1000250",
    "d@1000450",
    "a@1000500",
    "c@1001100",
  ]);
  assert.equal(clock.pending, 0);
});

test("only one timer is armed at a time, however many deadlines wait", async () => {
  const { clock, add } = setup();
  for (let i = 0; i < 1_000; i++) {
    add(100 + (i % 7) * 10, `d${i}`);
    assert.equal(clock.pending, 1);
  }
  await clock.advance(10);
  assert.equal(clock.pending, 1);
});

test("the timer re-arms for the next deadline after each firing", async () => {
  const { clock, fired, add } = setup();
  add(100, "a");
  add(300, "b");
  assert.equal(clock.pending, 1);
  await clock.advance(100);
  assert.deepEqual(fired, ["a@1000100"]);
  assert.equal(clock.pending, 1);
  await clock.advance(200);
  assert.deepEqual(fired, ["a@1000100", "b@1000300"]);
  assert.equal(clock.pending, 0);
});

test("the timer is dropped shortly after the last deadline is cancelled", async () => {
  const { clock, scheduler, fired, add } = setup();
  const a = add(30_000, "a");
  const b = add(30_000, "b");
  scheduler.cancel(a);
  assert.ok(clock.pending >= 1);
  scheduler.cancel(b);
  assert.ok(clock.pending <= 2);
  await clock.advance(1);
  assert.equal(clock.pending, 0);
  await clock.advance(60_000);
  assert.deepEqual(fired, []);
});

test("a deadline added after the timer was dropped for idleness still fires", async () => {
  const { clock, scheduler, fired, add } = setup();
  scheduler.cancel(add(100, "a"));
  await clock.advance(1);
  assert.equal(clock.pending, 0);
  add(100, "b");
  assert.equal(clock.pending, 1);
  await clock.advance(100);
  assert.deepEqual(fired, ["b@1000101"]);
  assert.equal(clock.pending, 0);
});

test("a deadline added while the idle drop is pending keeps the timer", async () => {
  const { clock, scheduler, fired, add } = setup();
  scheduler.cancel(add(100, "a"));
  add(100, "b");
  add(40, "c");
  await clock.advance(1);
  assert.equal(clock.pending, 1);
  await clock.advance(99);
  assert.deepEqual(fired, ["c@1000040", "b@1000100"]);
  assert.equal(clock.pending, 0);
});

test("100k add+cancel in order keeps one timer and does not grow", async () => {
  const { clock, scheduler, fired } = setup();
  const onExpire = () => fired.push("x");
  for (let i = 0; i < 100_000; i++) {
    const d = scheduler.add(30_000, onExpire);
    scheduler.cancel(d);
    assert.ok(clock.pending <= 2);
  }
  // Interleaved: a window of 16 live deadlines settled first in, first out.
  const window: ReturnType<typeof scheduler.add>[] = [];
  for (let i = 0; i < 100_000; i++) {
    window.push(scheduler.add(30_000, onExpire));
    if (window.length > 16) scheduler.cancel(window.shift()!);
    if (i % 1_000 === 0) await clock.advance(1);
    assert.ok(clock.pending <= 2);
  }
  for (const d of window) scheduler.cancel(d);
  await clock.advance(1);
  assert.equal(clock.pending, 0);
  await clock.advance(60_000);
  assert.deepEqual(fired, []);
});

test("deadlines settled out of order are all forgotten and never fire", async () => {
  const { clock, scheduler, fired, add } = setup();
  const ds = Array.from({ length: 3_000 }, (_, i) => add(100, `d${i}`));
  for (let i = ds.length - 1; i >= 0; i -= 2) scheduler.cancel(ds[i]!);
  for (let i = 0; i < ds.length; i += 2) scheduler.cancel(ds[i]!);
  await clock.advance(1);
  assert.equal(clock.pending, 0);
  await clock.advance(1_000);
  assert.deepEqual(fired, []);
});

test("a throwing expiry callback does not stop the others", async () => {
  const { clock, scheduler, fired, add } = setup();
  add(100, "a");
  scheduler.add(100, () => {
    throw new Error("boom");
  });
  add(100, "c");
  add(200, "d");
  await clock.advance(200);
  assert.deepEqual(fired, ["a@1000100", "c@1000100", "d@1000200"]);
  assert.equal(clock.pending, 0);
});

test("an expiry callback may add a new deadline, which fires on time", async () => {
  const { clock, scheduler, fired, add } = setup();
  scheduler.add(100, () => {
    fired.push(`first@${clock.now()}`);
    add(10, "added"); // shorter than anything still waiting
  });
  add(300, "later");
  await clock.advance(100);
  assert.deepEqual(fired, ["first@1000100"]);
  await clock.advance(10);
  assert.deepEqual(fired, ["first@1000100", "added@1000110"]);
  await clock.advance(500);
  assert.deepEqual(fired, ["first@1000100", "added@1000110", "later@1000300"]);
  assert.equal(clock.pending, 0);
});

test("an expiry callback cancelling a deadline due at the same instant stops it", async () => {
  const { clock, scheduler, fired, add } = setup();
  let victim: ReturnType<typeof add> | undefined = undefined;
  scheduler.add(100, () => {
    fired.push("canceller");
    scheduler.cancel(victim!);
  });
  victim = add(100, "victim");
  await clock.advance(500);
  assert.deepEqual(fired, ["canceller"]);
  assert.equal(clock.pending, 0);
});

test("an expiry callback cancelling a later deadline of its queue stops it", async () => {
  const { clock, scheduler, fired, add } = setup();
  let victim: ReturnType<typeof add> | undefined = undefined;
  scheduler.add(100, () => {
    fired.push("canceller");
    scheduler.cancel(victim!);
  });
  await clock.advance(10);
  victim = add(100, "victim");
  await clock.advance(500);
  assert.deepEqual(fired, ["canceller"]);
  assert.equal(clock.pending, 0);
});

test("dispose() clears every timer and pending deadlines never fire", async () => {
  const { clock, scheduler, fired, add } = setup();
  add(100, "a");
  add(200, "b");
  scheduler.cancel(add(300, "c"));
  assert.ok(clock.pending >= 1);
  scheduler.dispose();
  assert.equal(clock.pending, 0);
  await clock.advance(1_000);
  assert.deepEqual(fired, []);
});

test("dispose() on an idle scheduler is harmless, and it can be used after", async () => {
  const { clock, scheduler, fired, add } = setup();
  scheduler.dispose();
  add(100, "a");
  await clock.advance(100);
  assert.deepEqual(fired, ["a@1000100"]);
  scheduler.dispose();
  assert.equal(clock.pending, 0);
});

// The runtime disposes its scheduler at shutdown while commands may still be
// in flight; they cancel their (already dropped) deadlines when they settle.
test("cancelling a deadline that dispose() dropped changes nothing: the idle timer is still dropped later", async () => {
  const { clock, scheduler, fired, add } = setup();
  const old = add(100, "old");
  scheduler.dispose();
  scheduler.cancel(old);
  const fresh = add(100, "fresh");
  scheduler.cancel(fresh);
  await clock.advance(1);
  assert.equal(
    clock.pending,
    0,
    "the idle timer should be dropped once nothing is pending",
  );
  await clock.advance(500);
  assert.deepEqual(fired, []);
});

test("no unhandled rejections", assertNoUnhandled);
