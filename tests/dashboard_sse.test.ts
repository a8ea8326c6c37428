// The dashboard's routes against a real server on each runtime's adapter:
// the event stream (content, public fields only, auth, teardown, the cap)
// and the page shell (served without auth, strict CSP).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { bearerAuth } from "hono/bearer-auth";
import {
  OperationalFailure,
  OpsRegistry,
  runService,
  Runtime,
  WorkerkitError,
} from "../mod.ts";
import type { WorkerHandle } from "../mod.ts";
import { opsRouter, type OpsRouterOptions } from "../src/hono/mod.ts";
import {
  adapterName,
  call,
  post,
  serveOnLoopback,
  withServer,
} from "./_support/serve.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const TOKEN = "dash-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SECRET = "sk_live_SECRET";

/** The public fields each streamed event type may carry (section 10). */
const ALLOWED: Record<string, string[]> = {
  transition: ["runtime", "worker", "from", "to", "reason", "at"],
  readiness: ["runtime", "worker", "ready", "at"],
  failure: [
    "runtime",
    "worker",
    "kind",
    "code",
    "message",
    "command",
    "attempt",
    "dispatchId",
    "at",
  ],
  commandstart: ["runtime", "worker", "command", "dispatchId", "at"],
  commandend: [
    "runtime",
    "worker",
    "command",
    "dispatchId",
    "ok",
    "attempts",
    "durationMs",
    "code",
    "message",
    "at",
  ],
  checkstart: ["runtime", "worker", "check", "at"],
  checkend: [
    "runtime",
    "worker",
    "check",
    "outcome",
    "durationMs",
    "code",
    "message",
    "at",
  ],
};

/** The stream's own messages, besides the runtime's events. */
const NOT_RUNTIME_EVENTS = ["history", "snapshot", "metrics", "summary", "end"];

interface SseEvent {
  event: string;
  id?: string;
  // deno-lint-ignore no-explicit-any
  data: any;
}

/** Reads an event stream in the background, keeping the raw text too. */
class SseClient {
  raw = "";
  events: SseEvent[] = [];
  comments = 0;
  ended = false;
  readonly status: number;
  readonly headers: Headers;
  readonly done: Promise<void>;
  readonly #controller: AbortController;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(response: Response, controller: AbortController) {
    this.status = response.status;
    this.headers = response.headers;
    this.#controller = controller;
    this.#reader = response.body!.getReader();
    this.done = this.#read();
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value: chunk, done } = await this.#reader.read();
        if (done) break;
        const text = decoder.decode(chunk, { stream: true });
        this.raw += text;
        buffer += text;
        let at: number;
        while ((at = buffer.indexOf("\n\n")) >= 0) {
          this.#block(buffer.slice(0, at));
          buffer = buffer.slice(at + 2);
        }
      }
    } catch {
      // aborted by the test
    } finally {
      this.ended = true;
    }
  }

  #block(block: string): void {
    let event = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) this.comments++;
      else if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length) {
      const parsed = { event, data: JSON.parse(data.join("\n")) };
      this.events.push(id === undefined ? parsed : { ...parsed, id });
    }
  }

  /** Waits (bounded) until `predicate` holds. */
  async until(
    predicate: (client: SseClient) => boolean,
    what: string,
    ms = 5_000,
  ): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; got:\n${this.raw}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The non-snapshot events of `type`. */
  of(type: string): SseEvent["data"][] {
    return this.events.filter((e) => e.event === type).map((e) => e.data);
  }

  lastSnapshot(): SseEvent["data"] {
    return this.events.filter((e) => e.event === "snapshot").at(-1)?.data;
  }

  async close(): Promise<void> {
    opened.delete(this);
    // Both: an abort alone does not always end a pending read on Deno.
    this.#controller.abort();
    await this.#reader.cancel().catch(() => {});
    await this.done;
  }
}

/** Streams opened and not yet closed: closed before the server shuts down. */
const opened = new Set<SseClient>();

async function openStream(
  base: URL,
  headers: Record<string, string> = AUTH,
  path = "/admin/events",
): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(new URL(path, base), {
    headers,
    signal: controller.signal,
  });
  const client = new SseClient(response, controller);
  opened.add(client);
  return client;
}

/** `withServer`, closing every stream the test left open first. */
function serve(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  fn: (url: URL) => Promise<void>,
): Promise<void> {
  return withServer(app.fetch, async (url) => {
    try {
      await fn(url);
    } finally {
      await Promise.all([...opened].map((s) => s.close()));
    }
  });
}

/** Counts the runtime's listeners (per type) and observers added and not yet removed. */
function spyListeners(runtime: Runtime): { count(): number } {
  const live = new Map<unknown, Set<string>>();
  let observers = 0;
  const add = runtime.addEventListener.bind(runtime);
  const remove = runtime.removeEventListener.bind(runtime);
  const observe = runtime.observe.bind(runtime);
  runtime.addEventListener = (type, listener, options) => {
    const types = live.get(listener) ?? new Set();
    types.add(type);
    live.set(listener, types);
    add(type, listener, options);
  };
  runtime.removeEventListener = (type, listener, options) => {
    live.get(listener)?.delete(type);
    remove(type, listener, options);
  };
  runtime.observe = (observer) => {
    const stop = observe(observer);
    observers++;
    let stopped = false;
    return () => {
      if (!stopped) observers--;
      stopped = true;
      stop();
    };
  };
  return {
    count: () =>
      observers +
      [...live.values()].reduce((n, types) => n + types.size, 0),
  };
}

/** Polls `probe` until it gives a value (not undefined or false), bounded. */
async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = 5_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function dashboardRouter(
  runtime: Runtime,
  options: Partial<OpsRouterOptions> = {},
) {
  return opsRouter({
    runtime,
    dashboard: true,
    authMiddleware: bearerAuth({ token: TOKEN }),
    ...options,
  });
}

test("the event stream starts with a snapshot, then streams a start/dispatch/drain story with public fields only", async () => {
  const runtime = new Runtime({ name: "svc" });
  let flaky: WorkerHandle | undefined;
  runtime.register({
    name: "prices",
    description: "keeps prices",
    worker: { start() {}, stop() {} },
    commands: [
      {
        name: "echo",
        description: "echoes its payload",
        handler: (r) => ({ message: "echoed", payload: r.payload }),
      },
      {
        name: "leak",
        handler: () => {
          throw new Error(`card declined, key=${SECRET}`);
        },
      },
    ],
  });
  runtime.register({
    name: "flaky",
    worker: {
      start(ctx) {
        flaky = ctx.worker;
      },
      stop() {},
    },
  });
  runtime.register({
    name: "broken",
    worker: {
      start() {
        throw new Error(`password=${SECRET}`);
      },
      stop() {},
    },
  });
  const app = dashboardRouter(runtime, {
    commands: true,
    heartbeatInterval: 40,
  });
  await serve(app, async (url) => {
    const stream = await openStream(url);
    assert.equal(stream.status, 200);
    assert.match(
      stream.headers.get("content-type") ?? "",
      /^text\/event-stream/,
    );
    assert.equal(stream.headers.get("cache-control"), "no-store");
    await stream.until((s) => s.lastSnapshot() !== undefined, "a snapshot");

    // A fresh stream: the (empty) history, then the state, then the charts.
    assert.deepEqual(
      stream.events.slice(0, 3).map((e) => e.event),
      ["history", "snapshot", "metrics"],
    );
    assert.deepEqual(stream.events[0]!.data, {
      resumed: false,
      missed: 0,
      events: 0,
    });
    const first = stream.events[1]!;
    assert.equal(first.data.status.name, "svc");
    assert.equal(first.data.status.state, "registered");
    assert.deepEqual(first.data.controls, { commands: true, lifecycle: false });
    assert.equal(first.data.heartbeatMs, 40);
    assert.deepEqual(
      first.data.workers.map((w: { name: string }) => w.name),
      ["prices", "flaky", "broken"],
    );
    assert.deepEqual(
      first.data.commands.prices.map((c: { name: string }) => c.name),
      ["echo", "leak"],
    );
    assert.equal(
      first.data.commands.prices[0].description,
      "echoes its payload",
    );

    await runtime.start("prices");
    await runtime.start("flaky");
    await assert.rejects(runtime.start("broken"));
    const echo = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "echo",
      payload: { card: "4111-1111-1111-1111" },
    }, AUTH);
    assert.equal(echo.status, 200, echo.text);
    const leak = await post(url, "/admin/commands/dispatch", {
      worker: "prices",
      name: "leak",
    }, AUTH);
    assert.equal(leak.status, 500);
    flaky!.reportFailure(new Error(`lost broker, token ${SECRET}`));
    await runtime.drain("prices");

    await stream.until(
      (s) =>
        s.of("transition").some((e) =>
          e.worker === "svc/prices" && e.to === "draining"
        ) &&
        s.lastSnapshot()?.workers[0].status.state === "draining" &&
        s.comments > 0,
      "the drain, a snapshot after it and a heartbeat",
    );

    // The story, in order, for prices.
    const story = stream.events
      .filter((e) =>
        !NOT_RUNTIME_EVENTS.includes(e.event) && e.data.worker === "svc/prices"
      )
      .map((e) =>
        e.event === "transition"
          ? `${e.event} ${e.data.from}->${e.data.to}`
          : e.event === "readiness"
          ? `readiness ${e.data.ready}`
          : e.event === "failure"
          ? `failure ${e.data.kind}`
          : `${e.event} ${e.data.command}`
      );
    assert.deepEqual(story, [
      "transition registered->starting",
      "transition starting->running",
      "readiness true",
      "commandstart echo",
      "commandend echo",
      "commandstart leak",
      "failure command",
      "commandend leak",
      "transition running->draining",
      "readiness false",
    ]);
    const [echoEnd, leakEnd] = stream.of("commandend");
    assert.equal(echoEnd.ok, true);
    assert.equal(echoEnd.attempts, 1);
    assert.equal(typeof echoEnd.durationMs, "number");
    assert.equal(leakEnd.ok, false);
    assert.equal(leakEnd.code, "command_failed");
    assert.equal(leakEnd.message, "command failed");
    const failures = stream.of("failure");
    assert.deepEqual(
      failures.map((f) => `${f.worker} ${f.kind} ${f.code}`),
      [
        "svc/broken lifecycle worker_failed",
        "svc/prices command command_failed",
        "svc/flaky background worker_failed",
      ],
    );
    assert.ok(
      stream.of("transition").some((e) =>
        e.worker === undefined && e.runtime === "svc"
      ),
      "the runtime's own transitions are streamed too",
    );

    // Public fields only: every event is a subset of its allowed fields,
    // and no cause, payload or error text reached the wire.
    for (const { event, data } of stream.events) {
      if (NOT_RUNTIME_EVENTS.includes(event)) continue;
      const allowed = ALLOWED[event];
      assert.ok(allowed, `unexpected event type ${event}`);
      for (const key of Object.keys(data)) {
        assert.ok(allowed.includes(key), `${event} carries ${key}`);
      }
    }
    assert.ok(!stream.raw.includes(SECRET), "the secret reached the stream");
    assert.ok(!stream.raw.includes("4111"), "a payload reached the stream");
    assert.ok(!stream.raw.includes('"cause"'), "a cause reached the stream");

    // The snapshot after the story shows what events alone cannot.
    const last = stream.lastSnapshot();
    const byName = Object.fromEntries(
      last.workers.map((w: { name: string }) => [w.name, w]),
    );
    assert.equal(byName.prices.status.state, "draining");
    assert.equal(
      byName.prices.status.lastCommandFailure.code,
      "command_failed",
    );
    assert.equal(byName.flaky.status.state, "failed");
    assert.equal(byName.flaky.status.lastFailure.code, "worker_failed");
    assert.equal(byName.broken.status.state, "failed");
    assert.equal(last.status.inFlight, 0);

    await stream.close();
  });
  await runtime.shutdown();
});

test("snapshots after events are throttled to at most four a second per stream", async () => {
  const runtime = new Runtime({ name: "svc" });
  let handle: WorkerHandle | undefined;
  runtime.register({
    name: "toggler",
    worker: {
      start(ctx) {
        handle = ctx.worker;
      },
      stop() {},
    },
  });
  await runtime.startAll();
  await serve(dashboardRouter(runtime), async (url) => {
    const stream = await openStream(url);
    await stream.until((s) => s.events.length > 0, "the first snapshot");
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      handle!.setReady(i % 2 === 1);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await stream.until(
      (s) => s.of("readiness").filter((e) => e.worker).length >= 40,
      "forty readiness events",
    );
    await stream.until(
      (s) => s.lastSnapshot()?.workers[0].status.ready === true,
      "a snapshot after the last event",
    );
    const elapsed = Date.now() - started;
    const snapshots = stream.events.filter((e) => e.event === "snapshot");
    // One at the start, then at most one per 250 ms (plus one in flight).
    assert.ok(
      snapshots.length <= 2 + Math.ceil(elapsed / 250),
      `${snapshots.length} snapshots in ${elapsed} ms`,
    );
    assert.ok(snapshots.length >= 2, "a snapshot follows the events");
    await stream.close();
  });
  await runtime.shutdown();
});

test("the router's timeout does not cut an event stream short", async () => {
  const runtime = new Runtime({ name: "svc" });
  runtime.register({ name: "a", worker: { start() {}, stop() {} } });
  const app = dashboardRouter(runtime, { timeout: 30 });
  await serve(app, async (url) => {
    const stream = await openStream(url);
    await stream.until((c) => c.events.length > 0, "a snapshot");
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runtime.start("a");
    await stream.until(
      (c) => c.of("transition").some((e) => e.to === "running"),
      "the start, after the timeout",
    );
    assert.equal(stream.ended, false);
    await stream.close();
  });
  await runtime.shutdown();
});

test("the event stream needs auth (401); the page shell does not", async () => {
  const runtime = new Runtime({ name: "svc" });
  await serve(dashboardRouter(runtime), async (url) => {
    const anonymous = await call(url, "/admin/events");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, "unauthorized");
    const wrong = await call(url, "/admin/events", {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await call(url, "/admin/components")).status, 401);
    const page = await call(url, "/admin");
    assert.equal(page.status, 200);
  });
});

test("a client that leaves ends its stream and frees its slot; all streams share one runtime observer", async () => {
  const runtime = new Runtime({ name: "svc" });
  runtime.register({ name: "a", worker: { start() {}, stop() {} } });
  const listeners = spyListeners(runtime);
  const before = listeners.count();
  const app = dashboardRouter(runtime, {
    maxEventStreams: 3,
    heartbeatInterval: 50,
  });
  // The router's hub observes once, for the replay ring and the charts.
  assert.equal(listeners.count(), before + 1);
  await serve(app, async (url) => {
    const streams = [
      await openStream(url),
      await openStream(url),
      await openStream(url),
    ];
    for (const s of streams) {
      await s.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    }
    assert.equal(listeners.count(), before + 1);
    assert.equal(
      (await call(url, "/admin/events", { headers: AUTH })).status,
      429,
    );

    await streams[0]!.close();
    await streams[1]!.close();
    // Their slots are free again.
    await eventually(async () => {
      const again = await openStream(url);
      if (again.status === 200) return again;
      await again.close();
      return undefined;
    }, "a slot to be freed").then(async (again) => {
      await again.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    });
    // Events still reach the stream that stayed.
    await runtime.start("a");
    await streams[2]!.until(
      (c) => c.of("transition").some((e) => e.to === "running"),
      "the start on the remaining stream",
    );
    assert.equal(listeners.count(), before + 1);
  });
  await runtime.shutdown();
  // Shutdown ends the streams and the hub's listeners with them.
  assert.equal(listeners.count(), before);
});

test("streams end when the service begins stopping, so the graceful HTTP shutdown is not held open", async () => {
  const runtime = new Runtime({ name: "svc" });
  runtime.register({ name: "a", worker: { start() {}, stop() {} } });
  const listeners = spyListeners(runtime);
  const server = await serveOnLoopback(
    dashboardRouter(runtime, { heartbeatInterval: 60_000 }).fetch,
  );
  const stop = new AbortController();
  const service = runService({
    runtime,
    server,
    signal: stop.signal,
    shutdownTimeout: 10_000,
  });
  await eventually(() => runtime.status().state === "running", "the start");
  const streams = [await openStream(server.url), await openStream(server.url)];
  for (const s of streams) {
    await s.until((c) => c.events.length > 0, "a snapshot");
  }
  const started = Date.now();
  stop.abort();
  const { exitCode } = await service;
  assert.equal(exitCode, 0);
  // Far below the 10 s budget: no stream (nor its idle keep-alive
  // connection) held the HTTP server's graceful shutdown open.
  assert.ok(
    Date.now() - started < 2_000,
    `shutdown took ${Date.now() - started} ms`,
  );
  for (const s of streams) {
    await s.until((c) => c.ended, "the stream to end");
    assert.deepEqual(s.events.at(-1), {
      event: "end",
      data: { reason: "stopping" },
    });
  }
  assert.equal(listeners.count(), 0);
});

test("the router's signal ends open streams and refuses new ones with 503", async () => {
  const runtime = new Runtime({ name: "svc" });
  const listeners = spyListeners(runtime);
  const close = new AbortController();
  const app = dashboardRouter(runtime, { signal: close.signal });
  await serve(app, async (url) => {
    const stream = await openStream(url);
    await stream.until((c) => c.events.length > 0, "a snapshot");
    close.abort();
    await stream.until((c) => c.ended, "the stream to end");
    assert.equal(stream.events.at(-1)?.event, "end");
    assert.equal(listeners.count(), 0);
    const refused = await call(url, "/admin/events", { headers: AUTH });
    assert.equal(refused.status, 503);
    assert.deepEqual(refused.body, {
      error: { code: "shutting_down", message: "the service is shutting down" },
    });
  });
});

test("beyond maxEventStreams the stream answers 429 too_many_streams", async () => {
  const runtime = new Runtime({ name: "svc" });
  const app = dashboardRouter(runtime, { maxEventStreams: 2 });
  await serve(app, async (url) => {
    const a = await openStream(url);
    const b = await openStream(url);
    await a.until((c) => c.events.length > 0, "a snapshot");
    await b.until((c) => c.events.length > 0, "a snapshot");
    const refused = await call(url, "/admin/events", { headers: AUTH });
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, {
      error: { code: "too_many_streams", message: "too many event streams" },
    });
    assert.equal(refused.headers.get("retry-after"), "5");
    await a.close();
    await b.close();
  });
});

test("with the dashboard disabled both routes answer 404 (401 without credentials)", async () => {
  const runtime = new Runtime({ name: "svc" });
  const app = opsRouter({
    runtime,
    commands: true,
    authMiddleware: bearerAuth({ token: TOKEN }),
  });
  await serve(app, async (url) => {
    for (const path of ["/admin", "/admin/events"]) {
      const reply = await call(url, path, { headers: AUTH });
      assert.equal(reply.status, 404, path);
      assert.equal(reply.body.error.code, "not_found");
      assert.equal((await call(url, path)).status, 401, path);
    }
  });
});

test("GET {prefix} serves a data-free page shell with a strict CSP and a fresh nonce", async () => {
  const runtime = new Runtime({ name: "hidden-runtime-name" });
  runtime.register({
    name: "secret-worker",
    worker: { start() {}, stop() {} },
  });
  const app = dashboardRouter(runtime, { prefix: "/ops/x", lifecycle: true });
  await serve(app, async (url) => {
    const one = await call(url, "/ops/x");
    const two = await call(url, "/ops/x");
    assert.equal(one.status, 200);
    assert.match(one.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(one.headers.get("cache-control"), "no-store");
    assert.equal(one.headers.get("x-frame-options"), "DENY");
    assert.equal(one.headers.get("referrer-policy"), "no-referrer");
    assert.equal(one.headers.get("strict-transport-security"), null);
    const csp = one.headers.get("content-security-policy") ?? "";
    const directives = new Map(
      csp.split(";").map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name!, values.join(" ")];
      }),
    );
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.equal(directives.get("default-src"), "'none'");
    assert.equal(directives.get("script-src"), `'nonce-${nonce}'`);
    assert.equal(directives.get("style-src"), `'nonce-${nonce}'`);
    assert.equal(directives.get("connect-src"), "'self'");
    assert.equal(directives.get("img-src"), "'self' data:");
    assert.equal(directives.get("frame-ancestors"), "'none'");
    assert.equal(directives.get("base-uri"), "'none'");
    assert.equal(directives.get("form-action"), "'none'");
    assert.ok(one.text.includes(`<script nonce="${nonce}">`));
    assert.ok(one.text.includes(`<style nonce="${nonce}">`));
    assert.equal(one.text.match(/<script/g)?.length, 1);
    assert.ok(!/<(script|link)[^>]+src=/i.test(one.text), "no external script");
    assert.ok(
      !/https?:\/\//.test(
        one.text.replace(/xmlns=%22http[^%]*%22/g, "")
          // The SVG namespace the script creates chart elements in: a
          // name, never fetched.
          .replaceAll('"http://www.w3.org/2000/svg"', ""),
      ),
      "no external URL",
    );
    assert.notEqual(
      /'nonce-([^']+)'/.exec(two.headers.get("content-security-policy")!)?.[1],
      nonce,
      "a fresh nonce per response",
    );
    // No data in the shell: it is served without credentials.
    assert.ok(!one.text.includes("hidden-runtime-name"));
    assert.ok(!one.text.includes("secret-worker"));
    // Other paths under the prefix stay behind auth.
    assert.equal((await call(url, "/ops/x/events")).status, 401);
  });
});

test("opsRouter() checks the dashboard's options", () => {
  const runtime = new Runtime({ name: "svc" });
  const auth = () => true;
  const bad: unknown[] = [
    { registry: new OpsRegistry(), dashboard: true, auth },
    { runtime, dashboard: true, auth, maxEventStreams: 0 },
    { runtime, dashboard: true, auth, maxEventStreams: 1.5 },
    { runtime, dashboard: true, auth, maxEventStreams: "4" },
    { runtime, dashboard: true, auth, heartbeatInterval: 0 },
    { runtime, dashboard: true, auth, heartbeatInterval: Number.NaN },
    { runtime, dashboard: true, auth, heartbeatInterval: 2 ** 31 },
    { runtime, dashboard: true, auth, signal: {} },
  ];
  for (const options of bad) {
    assert.throws(
      () => opsRouter(options as OpsRouterOptions),
      (e) => e instanceof WorkerkitError && e.code === "invalid_argument",
      JSON.stringify(options),
    );
  }
  opsRouter({
    runtime,
    dashboard: true,
    auth,
    maxEventStreams: 1,
    heartbeatInterval: 1,
    signal: new AbortController().signal,
  });
});

test("examples/dashboard --once serves the page and a snapshot, then exits 0", async () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const args = adapterName() === "deno"
    ? ["run", "-A", "examples/dashboard/main.ts", "--once"]
    : ["examples/dashboard/main.ts", "--once"];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let output = "";
  child.stdout!.on("data", (chunk) => output += String(chunk));
  child.stderr!.on("data", (chunk) => output += String(chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) =>
    child.on("close", (c) => resolve(c))
  );
  clearTimeout(timer);
  assert.equal(code, 0, output);
  assert.match(output, /\/admin#token=[0-9a-f]{32}/);
  assert.match(
    output,
    /self-check: page \d+ bytes; snapshot: shop \w+, 4 workers/,
  );
});

test("an OperationalFailure's public code and message are streamed, its cause never", async () => {
  const runtime = new Runtime({ name: "svc" });
  runtime.register({
    name: "relay",
    worker: { start() {}, stop() {} },
    commands: [{
      name: "send",
      handler: () => {
        throw new OperationalFailure(
          { code: "relay_unavailable", message: "mail relay unreachable" },
          { cause: new Error(`AUTH ${SECRET}`) },
        );
      },
    }],
  });
  await runtime.startAll();
  await serve(dashboardRouter(runtime), async (url) => {
    const stream = await openStream(url);
    await stream.until((c) => c.events.length > 0, "a snapshot");
    await assert.rejects(runtime.dispatch({ worker: "relay", name: "send" }));
    await stream.until((c) => c.of("commandend").length > 0, "the end");
    const [failure] = stream.of("failure");
    assert.equal(failure.code, "relay_unavailable");
    assert.equal(failure.message, "mail relay unreachable");
    assert.ok(!stream.raw.includes(SECRET));
    await stream.close();
  });
  await runtime.shutdown();
});

/** The events a stream got with an `id` (runtime events and summaries). */
function kept(client: SseClient): SseEvent[] {
  return client.events.filter((e) => e.id !== undefined);
}

/** A plain worker that hands its handle to the test in `box.handle`. */
function handedWorker(box: { handle?: WorkerHandle }) {
  return {
    start(ctx: { worker: WorkerHandle }) {
      box.handle = ctx.worker;
    },
    stop() {},
  };
}

/** Two commands: one succeeds, one fails with a secret in its cause. */
const CALC_COMMANDS = [
  { name: "ok", handler: () => ({ message: "ok" }) },
  {
    name: "bad",
    handler: (): never => {
      throw new Error(`denied ${SECRET}`);
    },
  },
];

test("a new stream replays the ring first; a reconnect with Last-Event-ID resumes with no gap and no duplicate", async () => {
  const runtime = new Runtime({ name: "svc" });
  const box: { handle?: WorkerHandle } = {};
  runtime.register({ name: "a", worker: handedWorker(box) });
  // The router listens from here on: the start below is kept.
  const app = dashboardRouter(runtime);
  await runtime.startAll();
  await serve(app, async (url) => {
    const first = await openStream(url);
    await first.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    // What happened before the stream opened is replayed, ids increasing.
    assert.deepEqual(first.events[0]!.data.resumed, false);
    const replayed = kept(first);
    assert.ok(replayed.length >= 3, "the start was replayed");
    assert.ok(
      replayed.some((e) => e.event === "transition" && e.data.to === "running"),
    );
    const ids = replayed.map((e) => Number(e.id!.split("-")[1]));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, ids.length);
    // The replay comes before the snapshot: the state it shows is current.
    const snapshotAt = first.events.findIndex((e) => e.event === "snapshot");
    assert.ok(
      first.events.findIndex((e) => e.id === replayed.at(-1)!.id) < snapshotAt,
    );

    box.handle!.setReady(false);
    await first.until(
      (c) => c.of("readiness").some((e) => e.worker && !e.ready),
      "the readiness change",
    );
    const lastSeen = kept(first).at(-1)!.id!;
    await first.close();

    // Missed while away: three readiness flips.
    box.handle!.setReady(true);
    box.handle!.setReady(false);
    box.handle!.setReady(true);
    const back = await openStream(url, { ...AUTH, "last-event-id": lastSeen });
    await back.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    const resumed = kept(back);
    assert.deepEqual(back.events[0]!.data, {
      resumed: true,
      missed: 0,
      events: resumed.length,
    });
    assert.deepEqual(
      resumed.filter((e) => e.data.worker).map((e) =>
        `${e.event} ${e.data.ready}`
      ),
      ["readiness true", "readiness false", "readiness true"],
    );
    // Exactly the ids after the last one seen: no gap, no duplicate.
    const lastNumber = Number(lastSeen.split("-")[1]);
    assert.deepEqual(
      resumed.map((e) => Number(e.id!.split("-")[1])),
      resumed.map((_, i) => lastNumber + 1 + i),
    );

    // An id from another process (a restarted pod) or garbage: a full
    // replay, not a resume.
    for (
      const id of ["zzzz-1", "not an id", `${lastSeen.split("-")[0]}-99999`]
    ) {
      const other = await openStream(url, { ...AUTH, "last-event-id": id });
      await other.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
      assert.equal(other.events[0]!.data.resumed, false, id);
      assert.equal(
        kept(other).length,
        kept(first).length + resumed.length,
        id,
      );
      await other.close();
    }
    await back.close();
  });
  await runtime.shutdown();
});

test("the ring is bounded by eventHistory; a client that missed evicted events is told how many", async () => {
  const runtime = new Runtime({ name: "svc" });
  const box: { handle?: WorkerHandle } = {};
  runtime.register({ name: "a", worker: handedWorker(box) });
  // The router listens from here on: the start below is kept.
  const app = dashboardRouter(runtime, { eventHistory: 5 });
  await runtime.startAll();
  await serve(app, async (url) => {
    const first = await openStream(url);
    await first.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    assert.ok(kept(first).length <= 5);
    const lastSeen = kept(first).at(-1)!.id!;
    await first.close();
    for (let i = 0; i < 8; i++) box.handle!.setReady(i % 2 === 0);
    const back = await openStream(url, { ...AUTH, "last-event-id": lastSeen });
    await back.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    const oldestKept = Number(kept(back)[0]!.id!.split("-")[1]);
    assert.deepEqual(back.events[0]!.data, {
      resumed: false,
      missed: oldestKept - Number(lastSeen.split("-")[1]) - 1,
      events: 5,
    });
    assert.ok(back.events[0]!.data.missed > 0);
    assert.equal(kept(back).length, 5);
    await back.close();
  });
  await runtime.shutdown();
});

test("past 50 command events a second the rest is coalesced into summary events, counted exactly", async () => {
  const clock = new ManualClock(1_000_000);
  const runtime = new Runtime({ name: "svc", clock });
  runtime.register({
    name: "calc",
    worker: { start() {}, stop() {} },
    commands: CALC_COMMANDS,
  });
  await runtime.startAll();
  await serve(dashboardRouter(runtime), async (url) => {
    const live = await openStream(url);
    await live.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    for (let i = 0; i < 300; i++) {
      await runtime.dispatch({ worker: "calc", name: "ok" });
    }
    for (let i = 0; i < 20; i++) {
      await runtime.dispatch({ worker: "calc", name: "bad" }).catch(() => {});
    }
    // Time has stood still: one rate window. The next one flushes it.
    await clock.advance(1_000);
    const late = await openStream(url);
    await late.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    await live.until((c) => c.of("summary").length >= 2, "the summaries");
    for (const client of [live, late]) {
      const individual = client.of("commandstart").length +
        client.of("commandend").length +
        client.of("failure").filter((f) => f.kind === "command").length;
      assert.ok(individual <= 50, `${individual} individual events`);
      const ends = client.of("commandend");
      const summaries = client.of("summary");
      const total = (name: string) =>
        ends.filter((e) => e.command === name).length +
        summaries.filter((e) => e.command === name)
          .reduce((n, e) => n + e.count, 0);
      assert.equal(total("ok"), 300);
      assert.equal(total("bad"), 20);
      const bad = summaries.find((e) => e.command === "bad");
      assert.equal(bad.failed, bad.count);
      assert.equal(bad.worker, "svc/calc");
      assert.ok(!client.raw.includes(SECRET));
    }
    await live.close();
    await late.close();
  });
  await runtime.shutdown();
});

test("metrics: per-command counts, failures and p50/p99 in fixed buckets, timelines of states and readiness, public text only", async () => {
  const clock = new ManualClock(5_000_000);
  const runtime = new Runtime({ name: "svc", clock });
  const box: { handle?: WorkerHandle } = {};
  runtime.register({
    name: "calc",
    worker: handedWorker(box),
    commands: CALC_COMMANDS,
  });
  await runtime.startAll();
  const app = dashboardRouter(runtime, {
    chartBucket: 1_000,
    chartWindow: 10_000,
  });
  await serve(app, async (url) => {
    for (let i = 0; i < 3; i++) {
      await runtime.dispatch({ worker: "calc", name: "ok" });
    }
    await runtime.dispatch({
      worker: "calc",
      name: "bad",
      payload: { card: SECRET },
    }).catch(() => {});
    await clock.advance(1_000);
    await runtime.dispatch({ worker: "calc", name: "ok" });
    box.handle!.reportFailure(new Error(`lost ${SECRET}`));
    const stream = await openStream(url);
    await stream.until((c) => c.of("metrics").length > 0, "the metrics");
    const metrics = stream.of("metrics")[0];
    assert.equal(metrics.bucketMs, 1_000);
    assert.equal(metrics.windowMs, 10_000);
    assert.equal(metrics.now, 5_001_000);
    assert.equal(metrics.start, 4_992_000);
    const ok = metrics.commands.find((c: { command: string }) =>
      c.command === "ok"
    );
    assert.equal(ok.worker, "svc/calc");
    assert.equal(ok.count.length, 10);
    assert.deepEqual(ok.count.slice(-2), [3, 1]);
    assert.deepEqual(ok.failed.slice(-2), [0, 0]);
    assert.equal(typeof ok.p50.at(-1), "number");
    assert.ok(ok.p99.at(-1) >= ok.p50.at(-1));
    assert.equal(ok.p50[0], null);
    const bad = metrics.commands.find((c: { command: string }) =>
      c.command === "bad"
    );
    assert.deepEqual(bad.count.slice(-2), [1, 0]);
    assert.deepEqual(bad.failed.slice(-2), [1, 0]);
    const lane = metrics.workers.find((w: { worker: string }) =>
      w.worker === "svc/calc"
    );
    assert.deepEqual(lane.states.map((p: [number, string]) => p[1]), [
      "running",
      "failed",
    ]);
    assert.equal(lane.states.at(-1)[0], 5_001_000);
    assert.equal(metrics.readiness.at(-1)[1], false);
    assert.equal(metrics.live.at(-1)[1], true);
    // The snapshot carries the probes and who serves the page.
    const snapshot = stream.lastSnapshot();
    assert.deepEqual(snapshot.probes, {
      live: true,
      ready: false,
      reason: snapshot.probes.reason,
    });
    assert.equal(typeof snapshot.identity.jsRuntime, "string");
    assert.match(snapshot.identity.workerkit, /^\d+\.\d+\.\d+/);
    assert.equal(snapshot.now, 5_001_000);
    // Canary: no secret in the replay, the summaries or the chart data.
    assert.ok(!stream.raw.includes(SECRET), "a secret reached the stream");
    assert.ok(!stream.raw.includes('"cause"'));
    await stream.close();
  });
  await runtime.shutdown();
});

test("regression #13.3: HEAD {prefix}/events answers without opening a stream or taking a slot", async () => {
  const runtime = new Runtime({ name: "svc" });
  const app = dashboardRouter(runtime, { maxEventStreams: 1 });
  await serve(app, async (url) => {
    for (let i = 0; i < 4; i++) {
      const head = await fetch(new URL("/admin/events", url), {
        method: "HEAD",
        headers: AUTH,
      });
      assert.equal(head.status, 200);
      assert.match(head.headers.get("content-type") ?? "", /event-stream/);
      assert.equal(head.headers.get("cache-control"), "no-store");
      assert.equal(await head.text(), "");
    }
    const unauthorized = await fetch(new URL("/admin/events", url), {
      method: "HEAD",
    });
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();
    // Four HEADs later the one slot is still free.
    const stream = await openStream(url);
    assert.equal(stream.status, 200);
    await stream.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    const full = await fetch(new URL("/admin/events", url), {
      method: "HEAD",
      headers: AUTH,
    });
    assert.equal(full.status, 429);
    await full.body?.cancel();
    await stream.close();
  });
});

/** A started runtime with one worker "a", whose handle lands in `box`. */
async function startedWithOneWorker() {
  const runtime = new Runtime({ name: "svc" });
  const box: { handle?: WorkerHandle } = {};
  runtime.register({ name: "a", worker: handedWorker(box) });
  await runtime.startAll();
  return { runtime, box };
}

/**
 * Opens the event stream on a raw socket that takes the headers and a
 * first chunk, then stops reading (the socket stays open).
 */
async function silentClient(url: URL): Promise<{ destroy(): void }> {
  const { connect } = await import("node:net");
  const socket = connect(Number(url.port), "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received = 0;
  socket.on("data", (chunk: Uint8Array) => {
    received += chunk.length;
    socket.pause();
  });
  socket.write(
    `GET /admin/events HTTP/1.1\r\nhost: ${url.host}\r\n` +
      `authorization: Bearer ${TOKEN}\r\n\r\n`,
  );
  try {
    await eventually(() => received > 0, "the response to start");
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return socket;
}

test("regression #13.4: a stream whose client stops reading is closed after eventStreamWriteTimeout and its slot is free again", async () => {
  const runtime = new Runtime({ name: "svc" });
  let handle: WorkerHandle | undefined;
  // Big snapshots fill the socket buffers quickly.
  for (let i = 0; i < 200; i++) {
    runtime.register({
      name: `w${i}`,
      description: "x".repeat(2_000),
      worker: {
        start(ctx) {
          if (i === 0) handle = ctx.worker;
        },
        stop() {},
      },
    });
  }
  await runtime.startAll();
  const app = dashboardRouter(runtime, {
    maxEventStreams: 1,
    eventStreamWriteTimeout: 300,
  });
  await serve(app, async (url) => {
    const socket = await silentClient(url);
    let flips = 0;
    const toggler = setInterval(() => handle!.setReady(flips++ % 2 === 0), 20);
    try {
      // The slot frees once a write has waited 300 ms for the client.
      const again = await eventually(
        async () => {
          const reply = await fetch(new URL("/admin/events", url), {
            method: "HEAD",
            headers: AUTH,
          });
          await reply.body?.cancel();
          return reply.status === 200 ? reply : undefined;
        },
        "the stalled stream to be closed",
        30_000,
      );
      assert.equal(again.status, 200);
    } finally {
      clearInterval(toggler);
      socket.destroy();
    }
  });
  await runtime.shutdown();
});

test("regression #13.4: a client that connects and never reads loses its slot at eventStreamMaxAge, though no write ever stalls", async () => {
  const { runtime, box } = await startedWithOneWorker();
  const app = dashboardRouter(runtime, {
    maxEventStreams: 1,
    // Far beyond the test: only the stream's age can free the slot.
    eventStreamWriteTimeout: 600_000,
    eventStreamMaxAge: 1_500,
  });
  const headStatus = async (url: URL): Promise<number> => {
    const reply = await fetch(new URL("/admin/events", url), {
      method: "HEAD",
      headers: AUTH,
    });
    await reply.body?.cancel();
    return reply.status;
  };
  await serve(app, async (url) => {
    const socket = await silentClient(url);
    let flips = 0;
    const toggler = setInterval(
      () => box.handle!.setReady(flips++ % 2 === 0),
      20,
    );
    try {
      // Small frames: the paused socket's buffers never fill, no write
      // stalls, yet the slot must come back.
      assert.equal(
        await headStatus(url),
        429,
        "the silent client holds the slot",
      );
      await eventually(
        async () => (await headStatus(url)) === 200,
        "the slot to be freed by eventStreamMaxAge",
        30_000,
      );
    } finally {
      clearInterval(toggler);
      socket.destroy();
    }
  });
  await runtime.shutdown();
});

test("regression #13.4: at eventStreamMaxAge a reading stream gets event: end {reason: max_age}; reconnecting with Last-Event-ID resumes with no gap", async () => {
  const { runtime, box } = await startedWithOneWorker();
  const app = dashboardRouter(runtime, {
    maxEventStreams: 1,
    eventStreamMaxAge: 300,
  });
  await serve(app, async (url) => {
    const first = await openStream(url);
    await first.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    box.handle!.setReady(false);
    await first.until((c) => c.of("readiness").length > 0, "a readiness event");
    await first.until((c) => c.ended, "the stream to end at its max age");
    assert.deepEqual(first.of("end"), [{ reason: "max_age" }]);
    assert.equal(first.events.at(-1)!.event, "end");
    const lastSeen = kept(first).at(-1)!.id!;
    // Between the two streams: missed, then replayed.
    box.handle!.setReady(true);
    // The slot of the ended stream is free (maxEventStreams: 1).
    const back = await openStream(url, { ...AUTH, "last-event-id": lastSeen });
    assert.equal(back.status, 200);
    await back.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
    assert.equal(back.events[0]!.data.resumed, true);
    const lastNumber = Number(lastSeen.split("-")[1]);
    const resumed = kept(back);
    assert.deepEqual(
      resumed.map((e) => Number(e.id!.split("-")[1])),
      resumed.map((_, i) => lastNumber + 1 + i),
    );
    assert.ok(
      resumed.some((e) => e.event === "readiness" && e.data.ready === true),
      "the event missed between the streams is replayed",
    );
    await back.close();
  });
  await runtime.shutdown();
});

test("opsRouter() checks the replay and chart options", () => {
  const runtime = new Runtime({ name: "svc" });
  const auth = () => true;
  const bad: unknown[] = [
    { eventHistory: -1 },
    { eventHistory: 1.5 },
    { eventHistory: 100_001 },
    { chartBucket: 99 },
    { chartBucket: "1000" },
    { chartBucket: 1_000, chartWindow: 1_500 },
    { chartBucket: 1_000, chartWindow: 1_001_000 },
    { chartWindow: 0 },
    { eventStreamWriteTimeout: 0 },
    { eventStreamWriteTimeout: 2 ** 31 },
    { eventStreamMaxAge: 0 },
    { eventStreamMaxAge: 2 ** 31 },
    { eventStreamMaxAge: "600000" },
    { identity: "pod-1" },
    { identity: { host: 1 } },
    { identity: { pod: "x" } },
  ];
  for (const extra of bad) {
    assert.throws(
      () =>
        opsRouter({
          runtime,
          dashboard: true,
          auth,
          ...(extra as object),
        } as OpsRouterOptions),
      (e) => e instanceof WorkerkitError && e.code === "invalid_argument",
      JSON.stringify(extra),
    );
  }
  opsRouter({
    runtime,
    dashboard: true,
    auth,
    eventHistory: 0,
    chartBucket: 100,
    chartWindow: 100_000,
    eventStreamWriteTimeout: 1,
    eventStreamMaxAge: 1,
    identity: { host: "pod-7", version: "1.2.3" },
  });
});

test("the package version the dashboard shows is deno.json's", async () => {
  const { readFile } = await import("node:fs/promises");
  const root = fileURLToPath(new URL("..", import.meta.url));
  const config = JSON.parse(await readFile(`${root}/deno.json`, "utf8"));
  const runtime = new Runtime({ name: "svc" });
  await serve(
    dashboardRouter(runtime, { identity: { host: "pod-7", version: "9.9" } }),
    async (url) => {
      const stream = await openStream(url);
      await stream.until((c) => c.lastSnapshot() !== undefined, "a snapshot");
      const { identity } = stream.lastSnapshot();
      assert.equal(identity.workerkit, config.version);
      assert.equal(identity.host, "pod-7");
      assert.equal(identity.version, "9.9");
      assert.ok(Date.parse(identity.startedAt) <= Date.now());
      await stream.close();
    },
  );
});

test("no unhandled rejections", assertNoUnhandled);
