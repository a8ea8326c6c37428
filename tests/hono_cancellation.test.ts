// Issue 13, items 1 and 2: a request's cancellation and the router's
// deadlines reach the runtime call itself, on a real server on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Runtime } from "../mod.ts";
import type {
  Command,
  CommandContext,
  CommandResult,
  WorkerContext,
} from "../mod.ts";
import { opsRouter, type OpsRouterOptions } from "../src/hono/mod.ts";
import { startPrices } from "./_support/prices.ts";
import { call, post, type Reply, withServer } from "./_support/serve.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, record } from "./_support/workers.ts";

/** Generous: only a hang reaches it, never a passing run. */
const BOUND_MS = 20_000;
const DISPATCH = "/admin/commands/dispatch";

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

/** Resolves once `signal` has aborted (bounded, so a hang fails). */
function aborted(signal: AbortSignal, what: string): Promise<unknown> {
  return bounded(
    new Promise((resolve) =>
      signal.aborted
        ? resolve(undefined)
        : signal.addEventListener("abort", resolve, { once: true })
    ),
    what,
  );
}

/** A handler's answer that comes only when its signal aborts. */
function untilAborted(ctx: CommandContext): Promise<CommandResult> {
  return new Promise((resolve) =>
    ctx.signal.addEventListener("abort", () => resolve({}), { once: true })
  );
}

/**
 * Dispatches `name` on "prices" with `headers`, waits until its handler
 * has `entered`, runs `meanwhile`, then disconnects the client.
 */
async function dispatchThenLeave(
  url: URL,
  name: string,
  entered: Promise<CommandContext>,
  options: {
    headers?: Record<string, string>;
    meanwhile?: () => Promise<void>;
  } = {},
): Promise<CommandContext> {
  const client = new AbortController();
  const request = fetch(new URL("/admin/commands/dispatch", url), {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify({ worker: "prices", name }),
    signal: client.signal,
  }).then(() => "answered", () => "client gave up");
  const ctx = await bounded(entered, "the handler runs");
  await options.meanwhile?.();
  client.abort();
  assert.equal(await request, "client gave up");
  return ctx;
}

test("issue 13.1: a client that disconnects mid-command aborts the handler's signal and frees the in-flight slot", async () => {
  const entered = deferred<CommandContext>();
  const hold: Command = {
    name: "hold",
    handler: (_request, ctx) => {
      entered.resolve(ctx);
      return untilAborted(ctx);
    },
  };
  const runtime = await startPrices([hold], {
    runtime: { commandConcurrency: 1 },
    // The command's own deadline is far away: only the disconnect can end it.
    worker: { commandTimeout: 600_000 },
  });
  const events = record(runtime, ["commandend", "failure"]);
  const app = opsRouter({ runtime, auth: () => true, commands: true });
  const noop = { worker: "prices", name: "noop" };
  await withServer(app.fetch, async (url) => {
    const ctx = await dispatchThenLeave(url, "hold", entered.promise, {
      meanwhile: async () => {
        assert.equal(runtime.status().inFlight, 1);
        assertError(await post(url, DISPATCH, noop), 429, "runtime_saturated");
      },
    });
    await aborted(ctx.signal, "the handler's signal aborts");
    // The same on every runtime, whatever its own abort reason.
    assert.equal((ctx.signal.reason as DOMException).name, "AbortError");
    await runtime.waitAllIdle({ signal: AbortSignal.timeout(BOUND_MS) });
    assert.equal(runtime.status().inFlight, 0);
    const ended = events.find((e) =>
      e.type === "commandend" && e.detail.command === "hold"
    );
    assert.equal(ended?.detail.ok, false);
    assert.equal(ended?.detail.code, "canceled");
    assert.equal(
      events.some((e) => e.type === "failure"),
      false,
      "a canceled dispatch is not a failure",
    );
    const next = await post(url, DISPATCH, noop);
    assert.equal(next.status, 200, next.text);
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
});

test("a dispatch whose client left is not replayed: a retry with the same Idempotency-Key runs again", async () => {
  const entered = deferred<CommandContext>();
  let calls = 0;
  const once: Command = {
    name: "once",
    handler: (_request, ctx) => {
      calls++;
      if (calls > 1) return { message: "ran again" };
      entered.resolve(ctx);
      return untilAborted(ctx);
    },
  };
  const runtime = await startPrices([once]);
  const app = opsRouter({ runtime, auth: () => true, commands: true });
  await withServer(app.fetch, async (url) => {
    const key = { "idempotency-key": "order-1" };
    await dispatchThenLeave(url, "once", entered.promise, { headers: key });
    await runtime.waitAllIdle({ signal: AbortSignal.timeout(BOUND_MS) });
    const retry = await post(
      url,
      DISPATCH,
      { worker: "prices", name: "once" },
      key,
    );
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

/** POSTs `body` to `path` and expects the router's 504 (a hang fails). */
async function assert504(url: URL, path: string, body: unknown) {
  assertError(
    await bounded(post(url, path, body), `${path} answers`),
    504,
    "deadline_exceeded",
  );
}

/**
 * While another stop holds the lifecycle gate, each of `requests` answers
 * 504 under the router's `deadlines`, and none of their stops runs later.
 */
async function assertQueuedStopsAbandoned(
  deadlines: Pick<OpsRouterOptions, "timeout" | "lifecycleTimeout">,
  requests: Array<[path: string, body: unknown]>,
): Promise<void> {
  const { runtime, release, queuedStops } = await gatedRuntime();
  const app = opsRouter({
    runtime,
    auth: () => true,
    lifecycle: true,
    ...deadlines,
  });
  await withServer(app.fetch, async (url) => {
    const holding = runtime.stop("holder");
    for (const [path, body] of requests) await assert504(url, path, body);
    release();
    await holding;
    // Lifecycle calls run in call order: anything still queued from the
    // abandoned requests would run before this one.
    await runtime.drain("queued");
    assert.equal(queuedStops(), 0, "the abandoned stops never ran");
    assert.equal(runtime.worker("queued")?.status.state, "draining");
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(BOUND_MS) });
}

test("issue 13.2: past lifecycleTimeout a stop queued behind another lifecycle call answers 504 and never happens", async () => {
  await assertQueuedStopsAbandoned({ lifecycleTimeout: 50 }, [
    ["/admin/workers/stop", { worker: "queued" }],
    ["/admin/runtime/stop", {}],
  ]);
});

test("the router's timeout bounds lifecycle routes when it is shorter than lifecycleTimeout", async () => {
  await assertQueuedStopsAbandoned({ timeout: 50 }, [
    ["/admin/workers/stop", { worker: "queued" }],
  ]);
});

test("a lifecycle call whose client disconnected while it was queued never runs", async () => {
  const { runtime, release, queuedStops } = await gatedRuntime();
  const arrived = deferred<AbortSignal>();
  const app = opsRouter({
    runtime,
    auth: (c) => {
      arrived.resolve(c.req.raw.signal);
      return true;
    },
    lifecycle: true,
  });
  await withServer(app.fetch, async (url) => {
    const holding = runtime.stop("holder");
    const client = new AbortController();
    const request = fetch(new URL("/admin/workers/stop", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ worker: "queued" }),
      signal: client.signal,
    }).then(() => "answered", () => "client gave up");
    const server = await bounded(arrived.promise, "the request arrives");
    client.abort();
    assert.equal(await request, "client gave up");
    // The server notices the disconnect a little later (Deno: some ms).
    await aborted(server, "the server sees the disconnect");
    release();
    await holding;
    await runtime.drain("queued");
    assert.equal(queuedStops(), 0, "the abandoned stop never ran");
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
    // Long enough for the start to begin even on a loaded machine.
    lifecycleTimeout: 500,
  });
  await withServer(app.fetch, async (url) => {
    await assert504(url, "/admin/workers/start", { worker: "slow" });
    const ctx = await bounded(entered.promise, "the start began");
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

test("the router's timeout still bounds a slow auth, on operation routes and the others", async () => {
  const runtime = await startPrices();
  const never = new Promise<boolean>(() => {});
  const app = opsRouter({
    runtime,
    auth: () => never,
    commands: true,
    lifecycle: true,
    timeout: 50,
  });
  await withServer(app.fetch, async (url) => {
    await assert504(url, DISPATCH, { worker: "prices", name: "noop" });
    await assert504(url, "/admin/runtime/stop", {});
    assertError(
      await bounded(call(url, "/admin/components"), "components answer"),
      504,
      "deadline_exceeded",
    );
  });
  assert.equal(runtime.status().state, "running");
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
