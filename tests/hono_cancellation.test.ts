// Issue 13, items 1 and 2: a request's cancellation and the router's
// deadlines reach the runtime call itself, on a real server on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime } from "../mod.ts";
import type { CommandContext, WorkerContext } from "../mod.ts";
import { opsRouter } from "../src/hono/mod.ts";
import { post, type Reply, withServer } from "./_support/serve.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred } from "./_support/workers.ts";

/** Generous: only a hang reaches it, never a passing run. */
const BOUND_MS = 20_000;

function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.body?.error?.code, code, reply.text);
  assert.equal(reply.headers.get("cache-control"), "no-store");
}

/** Rejects if `promise` has not settled within {@linkcode BOUND_MS}. */
async function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: hung`)), BOUND_MS);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

test("issue 13.1: a client that disconnects mid-command aborts the handler's signal and frees the in-flight slot", async () => {
  const entered = deferred<CommandContext>();
  const runtime = new Runtime({ name: "svc", commandConcurrency: 1 });
  runtime.register({
    name: "prices",
    // The command's own deadline is far away: only the disconnect can end it.
    commandTimeout: 600_000,
    worker: { start() {}, stop() {} },
    commands: [
      {
        name: "hold",
        handler: (_request, ctx) => {
          entered.resolve(ctx);
          return new Promise((resolve) =>
            ctx.signal.addEventListener("abort", () => resolve({}), {
              once: true,
            })
          );
        },
      },
      { name: "noop", handler: () => ({ message: "ran" }) },
    ],
  });
  await runtime.startAll();
  const app = opsRouter({ runtime, auth: () => true, commands: true });
  await withServer(app.fetch, async (url) => {
    const client = new AbortController();
    const request = fetch(new URL("/admin/commands/dispatch", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ worker: "prices", name: "hold" }),
      signal: client.signal,
    }).then(() => "answered", () => "client gave up");
    const ctx = await bounded(entered.promise, "the handler runs");
    assert.equal(runtime.status().inFlight, 1);
    assertError(
      await post(url, "/admin/commands/dispatch", {
        worker: "prices",
        name: "noop",
      }),
      429,
      "runtime_saturated",
    );

    client.abort();
    assert.equal(await request, "client gave up");
    await bounded(
      new Promise((resolve) =>
        ctx.signal.aborted
          ? resolve(undefined)
          : ctx.signal.addEventListener("abort", resolve, { once: true })
      ),
      "the handler's signal aborts",
    );
    await runtime.waitAllIdle({ signal: AbortSignal.timeout(BOUND_MS) });
    assert.equal(runtime.status().inFlight, 0);
    const next = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "noop",
    });
    assert.equal(next.status, 200, next.text);
    assert.equal(next.body.result.message, "ran");
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
});

test("a dispatch whose client left is not replayed: a retry with the same Idempotency-Key runs again", async () => {
  const entered = deferred<CommandContext>();
  let calls = 0;
  const runtime = new Runtime({ name: "svc" });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commands: [{
      name: "once",
      handler: (_request, ctx) => {
        calls++;
        if (calls > 1) return { message: "ran again" };
        entered.resolve(ctx);
        return new Promise((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve({}), {
            once: true,
          })
        );
      },
    }],
  });
  await runtime.startAll();
  const app = opsRouter({ runtime, auth: () => true, commands: true });
  await withServer(app.fetch, async (url) => {
    const headers = {
      "content-type": "application/json",
      "idempotency-key": "order-1",
    };
    const body = JSON.stringify({ worker: "prices", name: "once" });
    const client = new AbortController();
    const first = fetch(new URL("/admin/commands/dispatch", url), {
      method: "POST",
      headers,
      body,
      signal: client.signal,
    }).then(() => "answered", () => "client gave up");
    await bounded(entered.promise, "the handler runs");
    client.abort();
    assert.equal(await first, "client gave up");
    await runtime.waitAllIdle({ signal: AbortSignal.timeout(BOUND_MS) });
    const retry = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "once",
    }, { "idempotency-key": "order-1" });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.result.message, "ran again");
    assert.equal(retry.headers.get("idempotent-replayed"), null);
    assert.equal(calls, 2);
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
});

/**
 * A runtime with "holder", whose stop waits for `release`, and "queued",
 * whose stop is counted; both started.
 */
async function gatedRuntime(): Promise<{
  runtime: Runtime;
  release: () => void;
  queuedStops: () => number;
}> {
  const release = deferred();
  let stops = 0;
  const runtime = new Runtime({ name: "svc" });
  runtime.register({
    name: "holder",
    stopTimeout: 600_000,
    worker: { start() {}, stop: () => release.promise },
  });
  runtime.register({
    name: "queued",
    worker: {
      start() {},
      stop() {
        stops++;
      },
    },
  });
  await runtime.startAll();
  return {
    runtime,
    release: () => release.resolve(),
    queuedStops: () => stops,
  };
}

test("issue 13.2: past lifecycleTimeout a stop queued behind another lifecycle call answers 504 and never happens", async () => {
  const { runtime, release, queuedStops } = await gatedRuntime();
  const app = opsRouter({
    runtime,
    auth: () => true,
    lifecycle: true,
    lifecycleTimeout: 50,
  });
  await withServer(app.fetch, async (url) => {
    // Holds the lifecycle gate until released.
    const holding = runtime.stop("holder");
    assertError(
      await bounded(
        post(url, "/admin/workers/stop", { worker: "queued" }),
        "the queued stop answers",
      ),
      504,
      "deadline_exceeded",
    );
    assertError(
      await bounded(
        post(url, "/admin/runtime/stop", {}),
        "the queued runtime stop answers",
      ),
      504,
      "deadline_exceeded",
    );
    release();
    await holding;
    // Lifecycle calls run in call order: anything still queued from the
    // abandoned requests would run before this one.
    await runtime.drain("queued");
    assert.equal(queuedStops(), 0, "the abandoned stops never ran");
    assert.equal(runtime.worker("queued")?.status.state, "draining");
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
});

test("issue 13.2: past lifecycleTimeout a running start is abandoned: its signal aborts and the worker does not come up later", async () => {
  const entered = deferred<WorkerContext>();
  const finish = deferred();
  const runtime = new Runtime({ name: "svc" });
  runtime.register({
    name: "slow",
    startTimeout: 600_000,
    worker: {
      start(ctx) {
        entered.resolve(ctx);
        return finish.promise; // ignores its signal
      },
      stop() {},
    },
  });
  const app = opsRouter({
    runtime,
    auth: () => true,
    lifecycle: true,
    lifecycleTimeout: 50,
  });
  await withServer(app.fetch, async (url) => {
    assertError(
      await bounded(
        post(url, "/admin/workers/start", { worker: "slow" }),
        "the start answers",
      ),
      504,
      "deadline_exceeded",
    );
    const ctx = await entered.promise;
    assert.equal(ctx.signal.aborted, true);
    assert.equal((ctx.signal.reason as DOMException).name, "TimeoutError");
    finish.resolve();
    await finish.promise;
    await runtime.drainAll(); // a lifecycle turn after the late settle
    assert.equal(runtime.worker("slow")?.status.state, "failed");
    assert.equal(runtime.status().ready, false);
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
});

test("the router's timeout bounds lifecycle routes when it is shorter than lifecycleTimeout", async () => {
  const { runtime, release, queuedStops } = await gatedRuntime();
  const app = opsRouter({
    runtime,
    auth: () => true,
    lifecycle: true,
    timeout: 50,
  });
  await withServer(app.fetch, async (url) => {
    const holding = runtime.stop("holder");
    assertError(
      await bounded(
        post(url, "/admin/workers/stop", { worker: "queued" }),
        "the queued stop answers",
      ),
      504,
      "deadline_exceeded",
    );
    release();
    await holding;
    await runtime.drain("queued");
    assert.equal(queuedStops(), 0);
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
});

test("lifecycle routes within their deadline answer as before", async () => {
  const { runtime, release } = await gatedRuntime();
  release();
  const app = opsRouter({ runtime, auth: () => true, lifecycle: true });
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, "/admin/runtime/stop", {});
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.runtime.state, "stopped");
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
});

test("no unhandled rejections", assertNoUnhandled);
