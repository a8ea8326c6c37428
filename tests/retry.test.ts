import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attempts,
  attemptsIf,
  constant,
  delay,
  exponential,
  full,
  never,
  retry,
  type RetryPolicy,
} from "../src/retry/mod.ts";
import { MAX_TIMER_MS } from "../src/base/clock.ts";
import { ManualClock, settle } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

/** Returns the given values in order, starting over after the last one. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length] ?? 0;
}

/** An AbortController whose signal counts its live "abort" listeners. */
function trackedController(): {
  controller: AbortController;
  signal: AbortSignal;
  listeners: () => number;
} {
  const controller = new AbortController();
  const signal = controller.signal;
  const live = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: AddEventListenerOptions | boolean,
  ) => {
    if (type === "abort") {
      live.add(listener);
      const once = typeof options === "object" && options.once === true;
      if (once) {
        // A once-listener is gone after it fires.
        add(type, () => live.delete(listener), { once: true });
      }
    }
    add(type, listener, options);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: EventListenerOptions | boolean,
  ) => {
    if (type === "abort") live.delete(listener);
    remove(type, listener, options);
  }) as typeof signal.removeEventListener;
  return { controller, signal, listeners: () => live.size };
}

/** Records how retry() was driven: attempt numbers and each one's signal. */
function failingUntil<T>(
  success: number,
  value: T,
  calls: Array<{ attempt: number; signal: AbortSignal }>,
): (attempt: number, signal: AbortSignal) => Promise<T> {
  return (attempt, signal) => {
    calls.push({ attempt, signal });
    return attempt < success
      ? Promise.reject(new Error(`failure ${attempt}`))
      : Promise.resolve(value);
  };
}

// --- retry(): counts and results ----------------------------------------------

test("retry() resolves with the first successful attempt's value", async () => {
  const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
  const result = await retry(failingUntil(3, "ok", calls), attempts(5));
  assert.equal(result, "ok");
  assert.deepEqual(calls.map((call) => call.attempt), [1, 2, 3]);
});

test("retry() calls fn once when the first attempt succeeds", async () => {
  let calls = 0;
  const result = await retry(() => {
    calls++;
    return Promise.resolve(42);
  }, attempts(3));
  assert.equal(result, 42);
  assert.equal(calls, 1);
});

test("retry() rejects with the last error when the policy stops", async () => {
  const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
  await assert.rejects(
    retry(failingUntil(99, "never", calls), attempts(3)),
    { message: "failure 3" },
  );
  assert.equal(calls.length, 3);
});

test("retry() with never() makes exactly one attempt", async () => {
  let calls = 0;
  const error = new Error("only once");
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(error);
    }, never()),
    (thrown) => thrown === error,
  );
  assert.equal(calls, 1);
});

test("retry() rejects with a non-Error value thrown by the last attempt", async () => {
  await assert.rejects(
    retry(() => Promise.reject("plain string"), attempts(2)),
    (thrown) => thrown === "plain string",
  );
});

test("retry() counts a synchronous throw from fn as a failed attempt", async () => {
  let calls = 0;
  const result = await retry((attempt) => {
    calls++;
    if (attempt === 1) throw new Error("sync failure");
    return Promise.resolve("second time lucky");
  }, attempts(2));
  assert.equal(result, "second time lucky");
  assert.equal(calls, 2);
});

test("retry() asks the policy with the failure count and the error", async () => {
  const asked: Array<[number, unknown]> = [];
  const inner = attempts(3);
  const policy: RetryPolicy = {
    delay(failures, error) {
      asked.push([failures, (error as Error).message]);
      return inner.delay(failures, error);
    },
  };
  await assert.rejects(retry(failingUntil(99, 0, []), policy));
  assert.deepEqual(asked, [[1, "failure 1"], [2, "failure 2"], [
    3,
    "failure 3",
  ]]);
});

test("retry() stops at once when retryIf rejects the error", async () => {
  let calls = 0;
  const fatal = new TypeError("bug");
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(fatal);
    }, attemptsIf(5, (error) => !(error instanceof TypeError))),
    (thrown) => thrown === fatal,
  );
  assert.equal(calls, 1);
});

test("retry() retries while retryIf accepts the error", async () => {
  const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
  const result = await retry(
    failingUntil(4, "done", calls),
    attemptsIf(5, (error) => error instanceof Error),
  );
  assert.equal(result, "done");
  assert.equal(calls.length, 4);
});

// --- retry(): waits on the clock ----------------------------------------------

test("retry() waits the policy's delays on the injected clock", async () => {
  const clock = new ManualClock();
  const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
  const policy = attempts(4, {
    backoff: exponential(100, 2, 1_000),
    jitter: full(sequence(0.5, 1, 0.25)),
  });
  const done = retry(failingUntil(4, "ok", calls), policy, { clock });
  await settle();
  assert.equal(calls.length, 1);
  assert.deepEqual(clock.scheduled, [50]);

  await clock.advance(49);
  assert.equal(calls.length, 1, "must not retry before the delay has passed");
  await clock.advance(1);
  assert.equal(calls.length, 2);
  assert.deepEqual(clock.scheduled, [50, 200]);

  await clock.advance(200);
  assert.equal(calls.length, 3);
  assert.deepEqual(clock.scheduled, [50, 200, 100]);

  await clock.advance(100);
  assert.equal(await done, "ok");
  assert.equal(calls.length, 4);
  assert.equal(clock.now(), 350);
  assert.equal(clock.pending, 0);
});

test("retry() clamps a policy's NaN and negative delays to 0 and Infinity to 2^31 - 1", async () => {
  const clock = new ManualClock();
  const answers = [NaN, -5, Infinity];
  const policy: RetryPolicy = {
    delay: (failures) => answers[failures - 1],
  };
  const done = retry(failingUntil(4, "ok", []), policy, { clock });
  await clock.advance(0);
  await clock.advance(0);
  assert.deepEqual(clock.scheduled, [0, 0, MAX_TIMER_MS]);
  await clock.advance(MAX_TIMER_MS);
  assert.equal(await done, "ok");
});

test("retry() rejects with the last error when the policy throws", async () => {
  let calls = 0;
  const policy: RetryPolicy = {
    delay() {
      throw new Error("policy bug");
    },
  };
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(new Error("real failure"));
    }, policy),
    { message: "real failure" },
  );
  assert.equal(calls, 1);
});

test("retry() rejects with the last error when the policy returns a non-number", async () => {
  for (const bad of [null, "100", {}, true]) {
    let calls = 0;
    const policy = { delay: () => bad } as unknown as RetryPolicy;
    await assert.rejects(
      retry(() => {
        calls++;
        return Promise.reject(new Error("real failure"));
      }, policy),
      { message: "real failure" },
      `policy returned ${String(bad)}`,
    );
    assert.equal(calls, 1);
  }
});

// --- retry(): signals ---------------------------------------------------------

test("retry() passes the caller's signal to every attempt", async () => {
  const controller = new AbortController();
  const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
  await retry(failingUntil(3, "ok", calls), attempts(3), {
    signal: controller.signal,
  });
  assert.equal(calls.length, 3);
  for (const call of calls) assert.equal(call.signal, controller.signal);
});

test("retry() passes a never-aborted signal when the caller gives none", async () => {
  const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
  await retry(failingUntil(2, "ok", calls), attempts(2));
  for (const call of calls) {
    assert.ok(call.signal instanceof AbortSignal);
    assert.equal(call.signal.aborted, false);
  }
});

test("retry() rejects with signal.reason and makes no attempt when aborted before start", async () => {
  const controller = new AbortController();
  const reason = new Error("shutting down");
  controller.abort(reason);
  let calls = 0;
  await assert.rejects(
    retry(
      () => {
        calls++;
        return Promise.resolve(1);
      },
      attempts(3),
      { signal: controller.signal },
    ),
    (thrown) => thrown === reason,
  );
  assert.equal(calls, 0);
});

test("retry() rejects with signal.reason when aborted during an attempt that ignores its signal", async () => {
  const { controller, signal, listeners } = trackedController();
  const reason = new Error("deadline");
  let rejectAttempt: (error: unknown) => void = () => {};
  let calls = 0;
  const done = retry(
    () => {
      calls++;
      return new Promise<never>((_resolve, reject) => {
        rejectAttempt = reject;
      });
    },
    attempts(5),
    { signal },
  );
  await settle();
  controller.abort(reason);
  await assert.rejects(done, (thrown) => thrown === reason);
  assert.equal(calls, 1);
  // The abandoned attempt settles late; that is neither retried nor unhandled.
  rejectAttempt(new Error("late failure"));
  await settle();
  assert.equal(calls, 1);
  assert.equal(listeners(), 0);
});

test("retry() rejects with signal.reason when an attempt fails because of the abort", async () => {
  const controller = new AbortController();
  const reason = new DOMException("stop", "AbortError");
  const done = retry(
    (_attempt, signal) =>
      new Promise<never>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(new Error("cleanup")), {
          once: true,
        });
      }),
    attempts(5),
    { signal: controller.signal },
  );
  await settle();
  controller.abort(reason);
  await assert.rejects(done, (thrown) => thrown === reason);
});

test("retry() rejects with signal.reason when an attempt aborts the signal itself", async () => {
  const controller = new AbortController();
  const reason = new Error("self-abort");
  let calls = 0;
  await assert.rejects(
    retry(
      () => {
        calls++;
        controller.abort(reason);
        return Promise.reject(new Error("attempt failed"));
      },
      attempts(5),
      { signal: controller.signal },
    ),
    (thrown) => thrown === reason,
  );
  assert.equal(calls, 1);
});

test("retry() rejects with signal.reason when aborted during a wait, and leaves no timer", async () => {
  const clock = new ManualClock();
  const { controller, signal, listeners } = trackedController();
  const reason = new Error("canceled while waiting");
  let calls = 0;
  const done = retry(
    () => {
      calls++;
      return Promise.reject(new Error("down"));
    },
    attempts(5, { backoff: constant(1_000) }),
    { signal, clock },
  );
  await settle();
  assert.equal(clock.pending, 1);
  await clock.advance(500);
  controller.abort(reason);
  await assert.rejects(done, (thrown) => thrown === reason);
  assert.equal(clock.pending, 0);
  assert.equal(listeners(), 0);
  await clock.advance(10_000);
  assert.equal(calls, 1);
});

test("retry() leaves no abort listener behind after success or final failure", async () => {
  const clock = new ManualClock();
  const ok = trackedController();
  const succeeded = retry(
    failingUntil(3, "ok", []),
    attempts(3, {
      backoff: constant(10),
    }),
    { signal: ok.signal, clock },
  );
  await clock.advance(10);
  await clock.advance(10);
  assert.equal(await succeeded, "ok");
  assert.equal(ok.listeners(), 0);

  const failed = trackedController();
  const gaveUp = retry(
    failingUntil(99, "never", []),
    attempts(2, {
      backoff: constant(10),
    }),
    { signal: failed.signal, clock },
  );
  const rejected = assert.rejects(gaveUp, { message: "failure 2" });
  await clock.advance(10);
  await rejected;
  assert.equal(failed.listeners(), 0);
  assert.equal(clock.pending, 0);
});

test("retry() rejects with TypeError on arguments of the wrong type", async () => {
  const anyOf = (value: unknown) => value as never;
  const fn = () => Promise.resolve(1);
  await assert.rejects(retry(anyOf("fn"), never()), TypeError);
  await assert.rejects(retry(fn, anyOf(undefined)), TypeError);
  await assert.rejects(retry(fn, anyOf({ delay: 5 })), TypeError);
  await assert.rejects(retry(fn, never(), anyOf(5)), TypeError);
  await assert.rejects(retry(fn, never(), { signal: anyOf({}) }), TypeError);
  await assert.rejects(retry(fn, never(), { clock: anyOf({}) }), TypeError);
  await assert.rejects(
    retry(fn, anyOf({})),
    /policy must be an object with a delay\(\) method/,
  );
});

// --- delay() ------------------------------------------------------------------

test("delay() resolves once the clock reaches ms, not before", async () => {
  const clock = new ManualClock();
  let resolved = false;
  const done = delay(100, { clock }).then(() => {
    resolved = true;
  });
  await clock.advance(99);
  assert.equal(resolved, false);
  await clock.advance(1);
  await done;
  assert.equal(resolved, true);
  assert.equal(clock.pending, 0);
});

test("delay() resolves on the system clock without options", async () => {
  await delay(0);
  await delay(1, {});
});

test("delay() rejects with signal.reason and schedules nothing when already aborted", async () => {
  const clock = new ManualClock();
  const reason = new Error("already over");
  await assert.rejects(
    delay(100, { signal: AbortSignal.abort(reason), clock }),
    (thrown) => thrown === reason,
  );
  assert.equal(clock.pending, 0);
  assert.deepEqual(clock.scheduled, []);
});

test("delay() rejects with signal.reason on abort and clears its timer and listener", async () => {
  const clock = new ManualClock();
  const { controller, signal, listeners } = trackedController();
  const done = delay(1_000, { signal, clock });
  assert.equal(clock.pending, 1);
  assert.equal(listeners(), 1);
  controller.abort();
  await assert.rejects(done, { name: "AbortError" });
  assert.equal(clock.pending, 0);
  assert.equal(listeners(), 0);
});

test("delay() removes its abort listener when the wait completes", async () => {
  const clock = new ManualClock();
  const { signal, listeners } = trackedController();
  const done = delay(10, { signal, clock });
  assert.equal(listeners(), 1);
  await clock.advance(10);
  await done;
  assert.equal(listeners(), 0);
  assert.equal(clock.pending, 0);
});

test("delay() rejects and removes its listener when the clock cannot schedule", async () => {
  const { signal, listeners } = trackedController();
  const broken = new ManualClock();
  broken.setTimeout = () => {
    throw new Error("no timers here");
  };
  await assert.rejects(delay(10, { signal, clock: broken }), {
    message: "no timers here",
  });
  assert.equal(listeners(), 0);
});

test("delay() splits a wait longer than 2^31 - 1 ms into several timers", async () => {
  const clock = new ManualClock();
  let resolved = false;
  const done = delay(MAX_TIMER_MS + 10, { clock }).then(() => {
    resolved = true;
  });
  assert.deepEqual(clock.scheduled, [MAX_TIMER_MS]);
  await clock.advance(MAX_TIMER_MS);
  assert.equal(resolved, false);
  assert.deepEqual(clock.scheduled, [MAX_TIMER_MS, 10]);
  await clock.advance(10);
  await done;
  assert.equal(resolved, true);
});

test("delay() rejects with RangeError or TypeError on bad arguments", async () => {
  const anyOf = (value: unknown) => value as never;
  for (const bad of [-1, NaN, Infinity, -Infinity]) {
    await assert.rejects(delay(bad), RangeError, `ms ${bad}`);
  }
  await assert.rejects(delay(anyOf("10")), TypeError);
  await assert.rejects(delay(10, anyOf(null)), TypeError);
  await assert.rejects(delay(10, { signal: anyOf("signal") }), TypeError);
  await assert.rejects(delay(10, { clock: anyOf(Date) }), TypeError);
});

test("no unhandled rejections", assertNoUnhandled);
