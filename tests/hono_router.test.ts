import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { OpsRegistry, runService, Runtime, WorkerkitError } from "../mod.ts";
import type {
  CommandHandler,
  RuntimeOptions,
  ServiceResult,
  WorkerHandle,
} from "../mod.ts";
import { opsRouter, type OpsRouterOptions } from "../src/hono/mod.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import {
  call,
  post,
  type Reply,
  serveOnLoopback,
  withServer,
} from "./_support/serve.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred } from "./_support/workers.ts";

const KEY = { "x-ops-key": "let-me-in" };

/** A runtime "svc" with a worker "prices" that has a few commands. */
function runtimeWithPrices(options: Partial<RuntimeOptions> = {}): Runtime {
  const runtime = new Runtime({ name: "svc", ...options });
  const echo: CommandHandler = (request) => ({
    message: "echoed",
    payload: request.payload,
  });
  runtime.register({
    name: "prices",
    description: "keeps prices",
    worker: { start() {}, stop() {} },
    commands: [
      { name: "echo", handler: echo },
      { name: "cache/refresh", handler: () => {} },
    ],
  });
  return runtime;
}

function isInvalidArgument(error: unknown): boolean {
  return error instanceof WorkerkitError && error.code === "invalid_argument";
}

function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.body?.error?.code, code, reply.text);
  assert.equal(typeof reply.body.error.message, "string");
  assert.deepEqual(Object.keys(reply.body), ["error"]);
  assert.deepEqual(Object.keys(reply.body.error), ["code", "message"]);
  assert.match(reply.headers.get("content-type") ?? "", /^application\/json/);
}

test("opsRouter() answers through app.request() without a server", async () => {
  const runtime = runtimeWithPrices();
  const app = opsRouter({ runtime });
  const livez = await app.request("/livez");
  assert.equal(livez.status, 200);
  assert.deepEqual(await livez.json(), { ok: true });
  assert.equal(livez.headers.get("cache-control"), "no-store");
  assert.equal((await app.request("/readyz")).status, 503);
  await runtime.startAll();
  const readyz = await app.request("/readyz");
  assert.equal(readyz.status, 200);
  assert.equal((await readyz.json()).ready, true);
  const components = await app.request("/admin/components");
  assert.deepEqual(await components.json(), {
    components: [{
      name: "svc",
      kind: "workerkit.runtime",
      policy: "required",
    }],
  });
  await runtime.shutdown();
});

test("GET /livez and /readyz follow the registry, with no auth needed", async () => {
  let connected = false;
  const registry = new OpsRegistry();
  registry.register({
    name: "postgres",
    kind: "postgres",
    readiness: () =>
      connected
        ? { ready: true, state: "ready" }
        : { ready: false, state: "starting", reason: "connecting" },
  });
  registry.register(
    { name: "cache", readiness: () => ({ ready: false }) },
    { policy: "optional" },
  );
  const app = opsRouter({ registry, auth: () => false });
  await withServer(app.fetch, async (url) => {
    const livez = await call(url, "/livez");
    assert.equal(livez.status, 200);
    assert.deepEqual(livez.body, { ok: true });

    const down = await call(url, "/readyz");
    assert.equal(down.status, 503);
    assert.deepEqual(down.body, {
      ready: false,
      reason: "required component not ready: postgres",
      components: [
        {
          name: "postgres",
          kind: "postgres",
          policy: "required",
          ready: false,
          state: "starting",
          reason: "connecting",
        },
        { name: "cache", policy: "optional", ready: false },
      ],
    });

    connected = true;
    const up = await call(url, "/readyz");
    assert.equal(up.status, 200);
    assert.equal(up.body.ready, true);
    assert.equal("reason" in up.body, false);
    assert.equal(up.body.components.length, 2);
  });
});

test("with only a runtime, /readyz shows the runtime as the single component", async () => {
  const runtime = runtimeWithPrices();
  await withServer(opsRouter({ runtime }).fetch, async (url) => {
    const before = await call(url, "/readyz");
    assert.equal(before.status, 503);
    assert.equal(before.body.ready, false);
    assert.equal(before.body.reason, before.body.components[0].reason);
    assert.equal(before.body.components.length, 1);

    await runtime.startAll();
    const after = await call(url, "/readyz");
    assert.equal(after.status, 200);
    assert.deepEqual(after.body, {
      ready: true,
      components: [{
        name: "svc",
        kind: "workerkit.runtime",
        policy: "required",
        ready: true,
        state: "ready",
        items: [{ name: "prices", ready: true, impact: "required" }],
      }],
    });
  });
  await runtime.shutdown();
});

test("GET {prefix}/components lists the registry and /components/:name inspects one", async () => {
  const registry = new OpsRegistry();
  registry.register({
    name: "pool",
    kind: "postgres",
    readiness: () => ({ ready: true, state: "ready" }),
    inspect: () => ({ open: 4, since: new Date(0) }),
  });
  registry.register(
    { name: "config", readiness: () => ({ ready: true }) },
    { policy: "informational" },
  );
  const app = opsRouter({ registry, prefix: "/ops/v1" });
  await withServer(app.fetch, async (url) => {
    const list = await call(url, "/ops/v1/components");
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, {
      components: [
        { name: "pool", kind: "postgres", policy: "required" },
        { name: "config", policy: "informational" },
      ],
    });

    const pool = await call(url, "/ops/v1/components/pool");
    assert.equal(pool.status, 200);
    assert.deepEqual(pool.body, {
      name: "pool",
      kind: "postgres",
      policy: "required",
      readiness: { ready: true, state: "ready" },
      inspect: { open: 4, since: "1970-01-01T00:00:00.000Z" },
    });

    assertError(
      await call(url, "/ops/v1/components/nope"),
      404,
      "component_not_found",
    );
    const hostile = await call(url, "/ops/v1/components/%3Cscript%3E");
    assertError(hostile, 400, "invalid_name");
    assert.equal(hostile.text.includes("script"), false);

    assertError(await call(url, "/admin/components"), 404, "not_found");
  });
});

test("with only a runtime, the runtime is the single inspected component", async () => {
  const runtime = runtimeWithPrices();
  await runtime.startAll();
  await withServer(
    opsRouter({ runtime, auth: () => true }).fetch,
    async (url) => {
      const detail = await call(url, "/admin/components/svc");
      assert.equal(detail.status, 200);
      assert.equal(detail.body.kind, "workerkit.runtime");
      assert.equal(detail.body.readiness.ready, true);
      assert.equal(detail.body.inspect.status.state, "running");
      assert.equal(detail.body.inspect.workers[0].qualifiedName, "svc/prices");
      assert.deepEqual(detail.body.inspect.commands, {
        prices: [{ name: "cache/refresh" }, { name: "echo" }],
      });
    },
  );
  await runtime.shutdown();
});

test("POST {prefix}/commands/dispatch runs a command and answers { worker, name, result }", async () => {
  const runtime = runtimeWithPrices();
  await runtime.startAll();
  const app = opsRouter({
    runtime,
    auth: (c) => c.req.header("x-ops-key") === "let-me-in",
    commands: true,
  });
  await withServer(app.fetch, async (url) => {
    const payload = { ids: [1, 2], note: "ünïcode", nested: { ok: true } };
    const echoed = await post(
      url,
      "/admin/commands/dispatch",
      { worker: "prices", name: "echo", payload },
      KEY,
    );
    assert.equal(echoed.status, 200, echoed.text);
    assert.deepEqual(echoed.body, {
      worker: "prices",
      name: "echo",
      result: { message: "echoed", payload },
    });

    const qualified = await post(
      url,
      "/admin/commands/dispatch",
      { worker: "svc/prices", name: "cache/refresh" },
      KEY,
    );
    assert.equal(qualified.status, 200, qualified.text);
    assert.deepEqual(qualified.body, {
      worker: "svc/prices",
      name: "cache/refresh",
      result: {},
    });

    const nullPayload = await post(
      url,
      "/admin/commands/dispatch",
      { worker: "prices", name: "echo", payload: null },
      KEY,
    );
    assert.deepEqual(nullPayload.body.result, {
      message: "echoed",
      payload: null,
    });
  });
  await runtime.shutdown();
});

test("a command result that is not JSON answers 500 result_not_serialisable", async () => {
  const runtime = new Runtime({ name: "svc" });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commands: [{ name: "big", handler: () => ({ payload: 10n }) }],
  });
  await runtime.startAll();
  const app = opsRouter({
    runtime,
    commands: true,
    unsafeAllowUnauthenticated: true,
  });
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "big",
    });
    assertError(reply, 500, "result_not_serialisable");
  });
  await runtime.shutdown();
});

test("worker lifecycle routes drain, stop and start a worker and answer its snapshot", async () => {
  const runtime = runtimeWithPrices();
  await runtime.startAll();
  const app = opsRouter({ runtime, auth: () => true, lifecycle: true });
  await withServer(app.fetch, async (url) => {
    const drained = await post(url, "/admin/workers/drain", {
      worker: "prices",
    });
    assert.equal(drained.status, 200, drained.text);
    assert.equal(drained.body.worker.qualifiedName, "svc/prices");
    assert.equal(drained.body.worker.status.state, "draining");
    assert.equal(drained.body.worker.status.acceptingWork, false);

    const stopped = await post(url, "/admin/workers/stop", {
      worker: "svc/prices",
    });
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.body.worker.status.state, "stopped");

    const started = await post(url, "/admin/workers/start", {
      worker: "prices",
    });
    assert.equal(started.status, 200, started.text);
    assert.deepEqual(Object.keys(started.body), ["worker"]);
    assert.equal(started.body.worker.status.state, "running");
    assert.equal(started.body.worker.status.ready, true);

    assertError(
      await post(url, "/admin/workers/start", { worker: "missing" }),
      404,
      "worker_not_found",
    );
    assertError(
      await post(url, "/admin/workers/drain", { worker: "svc/missing" }),
      404,
      "worker_not_found",
    );
  });
  await runtime.shutdown();
});

test("runtime lifecycle routes stop, start and drain the whole runtime", async () => {
  const runtime = runtimeWithPrices();
  await runtime.startAll();
  const app = opsRouter({
    runtime,
    auth: () => true,
    lifecycle: true,
    commands: true,
  });
  await withServer(app.fetch, async (url) => {
    // No body at all: still declared JSON (an empty body of another type
    // is what a cross-site form sends).
    assertError(
      await call(url, "/admin/runtime/stop", { method: "POST" }),
      415,
      "unsupported_media_type",
    );
    assert.equal(runtime.status().state, "running");
    const stopped = await call(url, "/admin/runtime/stop", {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    assert.equal(stopped.status, 200, stopped.text);
    assert.deepEqual(Object.keys(stopped.body), ["runtime"]);
    assert.equal(stopped.body.runtime.state, "stopped");
    assert.equal(stopped.body.runtime.ready, false);

    const started = await post(url, "/admin/runtime/start", {});
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.runtime.state, "running");
    assert.equal(started.body.runtime.ready, true);

    const drained = await post(url, "/admin/runtime/drain", "");
    assert.equal(drained.status, 200, drained.text);
    assert.equal(drained.body.runtime.state, "draining");
    assertError(
      await post(url, "/admin/commands/dispatch", {
        worker: "prices",
        name: "echo",
      }),
      409,
      "invalid_worker_state",
    );
  });
  await runtime.shutdown();
});

test("stop routes answer without waiting for in-flight commands", async () => {
  const held = deferred();
  const runtime = new Runtime({ name: "svc" });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commands: [{ name: "slow", handler: () => held.promise }],
  });
  await runtime.startAll();
  const inFlight = runtime.dispatch({ worker: "prices", name: "slow" });
  const app = opsRouter({ runtime, auth: () => true, lifecycle: true });
  try {
    await withServer(app.fetch, async (url) => {
      const stopped = await post(url, "/admin/workers/stop", {
        worker: "prices",
      });
      assert.equal(stopped.status, 200, stopped.text);
      assert.equal(stopped.body.worker.status.state, "stopped");
      assert.equal(stopped.body.worker.status.inFlight, 1);
    });
  } finally {
    held.resolve();
  }
  await inFlight;
  await runtime.shutdown();
});

test("disabled routes answer 404, and unknown paths answer 404 JSON", async () => {
  const runtime = runtimeWithPrices();
  await runtime.startAll();
  await withServer(opsRouter({ runtime }).fetch, async (url) => {
    for (
      const path of [
        "/admin/commands/dispatch",
        "/admin/workers/stop",
        "/admin/runtime/stop",
        "/admin/runtime/start",
      ]
    ) {
      assertError(
        await post(url, path, { worker: "prices" }),
        404,
        "not_found",
      );
    }
    assertError(await call(url, "/admin"), 404, "not_found");
    assertError(await call(url, "/nothing-here"), 404, "not_found");
    assertError(await call(url, "/livez/"), 404, "not_found");
  });
  assert.equal(runtime.status().state, "running", "nothing was stopped");
  await runtime.shutdown();
});

test("the auth predicate guards everything under the prefix; refusals and throws answer 401", async () => {
  const runtime = runtimeWithPrices();
  await runtime.startAll();
  const predicates: Array<NonNullable<OpsRouterOptions["auth"]>> = [
    () => false,
    () => {
      throw new Error("sk_live_SECRET auth backend down");
    },
    () => Promise.reject(new Error("sk_live_SECRET")),
    () => "yes" as unknown as boolean,
  ];
  for (const auth of predicates) {
    const app = opsRouter({ runtime, auth, commands: true, lifecycle: true });
    await withServer(app.fetch, async (url) => {
      for (
        const reply of [
          await call(url, "/admin/components"),
          await call(url, "/admin/components/svc"),
          await post(url, "/admin/commands/dispatch", {
            worker: "prices",
            name: "echo",
          }),
          await post(url, "/admin/workers/stop", { worker: "prices" }),
          await post(url, "/admin/runtime/stop", {}),
          await call(url, "/admin/unknown"),
          await call(url, "/admin"),
        ]
      ) {
        assertError(reply, 401, "unauthorized");
        assert.deepEqual(reply.body, {
          error: { code: "unauthorized", message: "unauthorized" },
        });
      }
      assert.equal((await call(url, "/livez")).status, 200);
      assert.equal((await call(url, "/readyz")).status, 200);
    });
  }
  assert.equal(runtime.status().state, "running", "nothing was stopped");

  const app = opsRouter({
    runtime,
    auth: async (c) => {
      await Promise.resolve();
      return c.req.header("x-ops-key") === "let-me-in";
    },
    commands: true,
  });
  await withServer(app.fetch, async (url) => {
    assert.equal(
      (await call(url, "/admin/components", { headers: KEY })).status,
      200,
    );
    const ok = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "echo",
    }, KEY);
    assert.equal(ok.status, 200, ok.text);
    assertError(
      await call(url, "/admin/unknown", { headers: KEY }),
      404,
      "not_found",
    );
    assertError(
      await post(url, "/admin/workers/stop", { worker: "prices" }, KEY),
      404,
      "not_found",
    );
  });
  await runtime.shutdown();
});

test("bearerAuth as authMiddleware guards the admin routes but not the probes", async () => {
  const runtime = runtimeWithPrices();
  await runtime.startAll();
  const app = opsRouter({
    runtime,
    authMiddleware: bearerAuth({ token: "s3cret-token" }),
    commands: true,
  });
  await withServer(app.fetch, async (url) => {
    const missing = await call(url, "/admin/components");
    assertError(missing, 401, "unauthorized");
    assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);

    const wrong = await call(url, "/admin/components", {
      headers: { authorization: "Bearer not-the-token" },
    });
    assertError(wrong, 401, "unauthorized");
    assert.equal(wrong.text.includes("not-the-token"), false);

    const malformed = await call(url, "/admin/components", {
      headers: { authorization: "Basic Zm9vOmJhcg==" },
    });
    assertError(malformed, 400, "bad_request");

    const refused = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "echo",
    });
    assertError(refused, 401, "unauthorized");

    const bearer = { authorization: "Bearer s3cret-token" };
    assert.equal(
      (await call(url, "/admin/components", { headers: bearer })).status,
      200,
    );
    const dispatched = await post(
      url,
      "/admin/commands/dispatch",
      { worker: "prices", name: "echo", payload: 1 },
      bearer,
    );
    assert.equal(dispatched.status, 200, dispatched.text);
    assert.deepEqual(dispatched.body.result, { message: "echoed", payload: 1 });

    assert.equal((await call(url, "/livez")).status, 200);
    assert.equal((await call(url, "/readyz")).status, 200);
  });
  await runtime.shutdown();
});

test("an authMiddleware that throws or answers nothing fails closed with 401", async () => {
  const runtime = runtimeWithPrices();
  const middlewares: Array<NonNullable<OpsRouterOptions["authMiddleware"]>> = [
    () => Promise.reject(new Error("sk_live_SECRET")),
    () => {
      throw "not even an error";
    },
    () => Promise.resolve(),
  ];
  for (const authMiddleware of middlewares) {
    const app = opsRouter({ runtime, authMiddleware, lifecycle: true });
    const reply = await app.request("/admin/runtime/stop", { method: "POST" });
    assert.equal(reply.status, 401);
    const text = await reply.text();
    assert.deepEqual(JSON.parse(text), {
      error: { code: "unauthorized", message: "unauthorized" },
    });
  }
  assert.equal(
    runtime.status().state,
    "registered",
    "nothing was started or stopped",
  );
});

test("mutating routes without auth refuse to be built unless unsafeAllowUnauthenticated", async () => {
  const runtime = runtimeWithPrices();
  for (
    const enabled of [
      { commands: true },
      { lifecycle: true },
      { dashboard: true },
      { commands: true, lifecycle: true, dashboard: true },
    ]
  ) {
    assert.throws(() => opsRouter({ runtime, ...enabled }), isInvalidArgument);
    assert.throws(
      () =>
        opsRouter({ runtime, ...enabled, unsafeAllowUnauthenticated: false }),
      isInvalidArgument,
    );
    opsRouter({ runtime, ...enabled, auth: () => true });
    opsRouter({
      runtime,
      ...enabled,
      authMiddleware: bearerAuth({ token: "t" }),
    });
    opsRouter({ runtime, ...enabled, unsafeAllowUnauthenticated: true });
  }

  await runtime.startAll();
  const open = opsRouter({
    runtime,
    commands: true,
    unsafeAllowUnauthenticated: true,
  });
  const reply = await open.request("/admin/commands/dispatch", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ worker: "prices", name: "echo" }),
  });
  assert.equal(reply.status, 200);

  // `dashboard: true` serves the page shell, which holds no data.
  const dashboard = opsRouter({ runtime, dashboard: true, auth: () => true });
  assert.equal((await dashboard.request("/admin")).status, 200);
  await runtime.shutdown();
});

test("opsRouter() refuses invalid options with invalid_argument", () => {
  const runtime = runtimeWithPrices();
  const registry = new OpsRegistry();
  const bad: unknown[] = [
    undefined,
    null,
    {},
    { runtime: {} },
    { registry: {} },
    { registry, commands: true, auth: () => true },
    { registry, lifecycle: true, auth: () => true },
    { runtime, comands: true },
    { runtime, commands: "yes", auth: () => true },
    { runtime, auth: "token" },
    { runtime, authMiddleware: {} },
    { runtime, auth: () => true, authMiddleware: bearerAuth({ token: "t" }) },
    ...[
      "",
      "/",
      "admin",
      "/admin/",
      "//admin",
      "/a b",
      "/../x",
      "/a/:id",
      "/a/*",
      "/livez",
      "/readyz",
    ]
      .map((prefix) => ({ runtime, prefix })),
    ...[0, -1, 1.5, Number.NaN, Infinity, "64"].map((bodyLimit) => ({
      runtime,
      bodyLimit,
    })),
    ...[0, -1, Number.NaN, Infinity, 2 ** 31, "5"].flatMap((ms) => [
      { runtime, timeout: ms },
      { runtime, lifecycleTimeout: ms },
    ]),
  ];
  for (const options of bad) {
    assert.throws(
      () => opsRouter(options as OpsRouterOptions),
      isInvalidArgument,
      JSON.stringify(options),
    );
  }
  for (const prefix of ["/ops", "/ops/v1", "/_admin.x~y-z"]) {
    opsRouter({ runtime, prefix });
  }
  opsRouter({ registry, bodyLimit: 1, timeout: 1, lifecycleTimeout: 1 });
});

test("an unknown option is refused with invalid_argument naming the key", () => {
  const runtime = runtimeWithPrices();
  for (const key of ["comands", "lifecycleTimeOut", "constructor"]) {
    assert.throws(
      () => opsRouter({ runtime, [key]: true } as OpsRouterOptions),
      (error: unknown) =>
        isInvalidArgument(error) &&
        (error as Error).message.includes(JSON.stringify(key)),
      key,
    );
  }
});

test("the router mounts into a parent app with app.route() and keeps its error format", async () => {
  class BrokenRuntime extends Runtime {
    override live(): boolean {
      throw new Error("sk_live_SECRET liveness exploded");
    }
  }
  const runtime = new BrokenRuntime({ name: "svc" });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commands: [{ name: "echo", handler: () => ({}) }],
  });
  await runtime.startAll();
  const parent = new Hono();
  parent.get("/", (c) => c.text("home"));
  parent.route("/", opsRouter({ runtime, commands: true, auth: () => true }));
  await withServer(parent.fetch, async (url) => {
    assert.equal((await call(url, "/")).text, "home");
    assert.equal((await call(url, "/readyz")).status, 200);
    const livez = await call(url, "/livez");
    assertError(livez, 500, "internal_error");
    assert.equal(livez.text.includes("sk_live_SECRET"), false);
    assertError(
      await post(url, "/admin/commands/dispatch", "{"),
      400,
      "invalid_json",
    );
    const ok = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "echo",
    });
    assert.equal(ok.status, 200, ok.text);
  });
  await runtime.shutdown();
});

test("/readyz answers 503 during runService's shutdownDelay while /livez stays 200", async () => {
  const runtime = runtimeWithPrices();
  const server = await serveOnLoopback(opsRouter({ runtime }).fetch);
  const url = server.url;
  const stop = new AbortController();
  const service: Promise<ServiceResult> = runService({
    runtime,
    server,
    signal: stop.signal,
    shutdownDelay: 1_000,
    shutdownTimeout: 10_000,
  });
  try {
    let readyz = await call(url, "/readyz");
    for (let i = 0; i < 1_000 && readyz.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      readyz = await call(url, "/readyz");
    }
    assert.equal(readyz.status, 200, "ready once the workers run");

    stop.abort();
    for (let i = 0; i < 1_000 && readyz.status === 200; i++) {
      readyz = await call(url, "/readyz");
    }
    assert.equal(readyz.status, 503);
    assert.equal(readyz.body.ready, false);
    assert.equal(readyz.body.reason, "shutting down");
    const livez = await call(url, "/livez");
    assert.equal(livez.status, 200);
    assert.deepEqual(livez.body, { ok: true });
    assert.equal(runtime.worker("prices")!.status.state, "running");
  } finally {
    stop.abort();
    assert.equal((await service).exitCode, 0);
  }
  assert.equal(runtime.status().state, "stopped");
});

test("/livez answers 503 while a livenessOnStall worker is stalled", async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const runtime = new Runtime({ name: "svc", clock });
  let handle: WorkerHandle | undefined;
  runtime.register({
    name: "pump",
    stallTimeout: 1_000,
    livenessOnStall: true,
    worker: {
      start(ctx) {
        handle = ctx.worker;
      },
      stop() {},
    },
  });
  await runtime.startAll();
  await withServer(opsRouter({ runtime }).fetch, async (url) => {
    assert.equal((await call(url, "/livez")).status, 200);
    await clock.advance(1_000);
    assert.equal(runtime.worker("pump")!.status.stalled, true);

    const stalled = await call(url, "/livez");
    assert.equal(stalled.status, 503);
    assert.deepEqual(stalled.body, { ok: false });
    const readyz = await call(url, "/readyz");
    assert.equal(readyz.status, 503);
    assert.equal(readyz.body.components[0].items[0].reason, "stalled");

    handle!.heartbeat();
    assert.equal((await call(url, "/livez")).status, 200);
    assert.equal((await call(url, "/readyz")).status, 200);
  });
  await runtime.shutdown();
});

test("no unhandled rejections", assertNoUnhandled);
