// Shows how to test your own workers with Workerkit: inject a hand-driven
// clock through `new Runtime({ clock })` and step time forward instead of
// sleeping. Here a worker fails its first two start attempts and the start
// retry policy waits 1 s between attempts; the assertions prove each wait
// lasts exactly its backoff, without any real second passing. Put the same
// steps inside a node:test `test()` and `deno test`, `node --test` and
// `bun test` all run them.
//
//   deno run -A examples/testing/main.ts
//   node examples/testing/main.ts          (Node 22.18+ or 24)
//   bun examples/testing/main.ts
import assert from "node:assert/strict";
import {
  attempts,
  type Clock,
  constant,
  Runtime,
  type Worker,
} from "../../mod.ts";

/** Lets pending promise callbacks run (one real, zero-length macrotask). */
function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A Clock whose time moves only when advance() is called. */
class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward, firing due timers in order (ties in creation order). */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flush();
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) {
          next = entry;
        }
      }
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
      await flush();
    }
    this.#now = target;
    await flush();
  }
}

function ok(message: string): void {
  console.log(`ok - ${message}`);
}

// The worker under test: its connection fails twice, then works.
const attemptsAt: number[] = [];
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const flaky: Worker = {
  start() {
    attemptsAt.push(clock.now());
    if (attemptsAt.length < 3) throw new Error("connection refused");
  },
  stop() {},
};

const runtime = new Runtime({ name: "test", clock });
runtime.register({
  name: "flaky",
  worker: flaky,
  startRetry: attempts(3, { backoff: constant(1_000) }),
});

const realStart = performance.now();
const starting = runtime.start("flaky");
await flush();
assert.equal(attemptsAt.length, 1);
assert.equal(runtime.worker("flaky")?.status.state, "starting");
assert.equal(
  runtime.worker("flaky")?.status.lastFailure?.code,
  "worker_failed",
);
ok("the first attempt runs at once, fails, and the worker stays starting");

await clock.advance(999);
assert.equal(attemptsAt.length, 1);
await clock.advance(1);
assert.equal(attemptsAt.length, 2);
ok("the second attempt waits exactly the 1000 ms backoff");

await clock.advance(1_000);
await starting;
assert.equal(attemptsAt.length, 3);
assert.deepEqual(attemptsAt.map((at) => at - attemptsAt[0]!), [
  0,
  1_000,
  2_000,
]);
const status = runtime.worker("flaky")!.status;
assert.equal(status.state, "running");
assert.equal(status.lastFailure, undefined);
ok("the third attempt succeeds: running, lastFailure cleared");

assert.ok(performance.now() - realStart < 1_000);
ok("2 s of backoff took no real waiting");

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
assert.equal(runtime.worker("flaky")?.status.state, "stopped");
ok("shutdown stops the worker");
