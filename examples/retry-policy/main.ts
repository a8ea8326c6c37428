/**
 * Retry toolkit walkthrough: a flaky operation retried with capped
 * exponential backoff and full jitter, a retry that gives up, and a retry
 * cancelled through an AbortSignal while it waits.
 *
 * Run it with any of:
 *   deno run examples/retry-policy/main.ts
 *   node examples/retry-policy/main.ts        (Node 22.18+ / 24)
 *   bun examples/retry-policy/main.ts
 */
import {
  attempts,
  constant,
  exponential,
  full,
  retry,
  type RetryPolicy,
} from "../../src/retry/mod.ts";

const started = performance.now();
function log(message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(5)} ms  ${message}`);
}

/** Wraps a policy so that every decision it makes is printed. */
function narrated(policy: RetryPolicy): RetryPolicy {
  return {
    delay(failures, error) {
      const ms = policy.delay(failures, error);
      const why = error instanceof Error ? error.message : String(error);
      log(
        ms === undefined
          ? `  policy: stop after ${failures} failure(s) (${why})`
          : `  policy: failure ${failures} (${why}), waiting ${
            ms.toFixed(1)
          } ms`,
      );
      return ms;
    },
  };
}

// Four attempts in total; waits of 10, 20, 40 ms (capped at 200 ms), each
// drawn uniformly from [0, wait] by full jitter.
const policy = attempts(4, {
  backoff: exponential(10, 2, 200),
  jitter: full(),
});

// 1. A flaky upstream that fails twice, then answers.
let calls = 0;
function fetchPrice(signal: AbortSignal): Promise<number> {
  signal.throwIfAborted();
  calls++;
  return calls <= 2
    ? Promise.reject(new Error(`upstream unavailable (call ${calls})`))
    : Promise.resolve(42);
}

log("1. flaky operation");
const price = await retry((attempt, signal) => {
  log(`  attempt ${attempt}`);
  return fetchPrice(signal);
}, narrated(policy));
log(`  -> resolved with ${price} after ${calls} calls`);

// 2. An upstream that never recovers: retry() rejects with the last error.
log("2. operation that keeps failing");
try {
  await retry((attempt) => {
    log(`  attempt ${attempt}`);
    return Promise.reject(new Error(`still down (attempt ${attempt})`));
  }, narrated(policy));
} catch (error) {
  log(`  -> rejected with the last error: ${(error as Error).message}`);
}

// 3. Cancelling: the caller aborts while retry() waits between attempts.
log("3. aborted retry");
const controller = new AbortController();
const timer = setTimeout(
  () => controller.abort(new Error("caller gave up")),
  120,
);
try {
  await retry(
    (attempt, signal) => {
      log(`  attempt ${attempt} (signal aborted: ${signal.aborted})`);
      return Promise.reject(new Error("busy"));
    },
    narrated(attempts(100, { backoff: constant(50) })),
    { signal: controller.signal },
  );
} catch (error) {
  log(`  -> rejected with signal.reason: ${(error as Error).message}`);
} finally {
  clearTimeout(timer);
}
log("done");
