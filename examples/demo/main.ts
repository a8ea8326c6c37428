// The main demo: "catalog", a small but real service built on Workerkit. It
// serves HTTP on the adapter of the runtime it runs on and shows every moving
// part at once, with a live dashboard to watch them:
//
//   ingest         a loopWorker consuming an in-memory order queue; heartbeats,
//                  stallTimeout 5 s; its debug/stall command wedges it on
//                  purpose, and /livez answers 503 while it is stalled
//   indexer        owns the stock index; commands index/rebuild (an ops command:
//                  completed / accepted / rejected), cache/refresh, index/stats
//   maintenance    an intervalWorker pruning the index every 10 s
//   search-check   a checkLoop on a fake search cluster that drops out for 5 s
//                  every 30 s, so /readyz flips to 503 and back
//   notifications  a flaky subscriber that loses its connection every 15-25 s
//                  and is restarted with backoff (supervision)
//
// plus an ops registry (the runtime and a fake "database" pool), the Hono ops
// router with commands, lifecycle controls and the dashboard behind a bearer
// token, a compact console log of the runtime's events (failures, commands,
// transitions, readiness), and a graceful shutdown on Ctrl-C through
// runService and the adapter's shutdownSignal().
//
//   deno task demo                        (or, with only Node: npx deno task demo)
//   deno task demo:node / deno task demo:bun
//   PORT=9000 OPS_TOKEN=secret deno task demo
//   deno task demo --once                 start, check itself over HTTP, shut down
//
// PORT defaults to 8080; when 8080 is taken (and PORT was not set) it picks a
// free port. --once listens on a free port, checks /livez, waits for /readyz,
// loads the dashboard and its event stream, dispatches a command over HTTP,
// then shuts down.
import process from "node:process";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import {
  attempts,
  checkLoop,
  commandFromOps,
  type Component,
  delay,
  exponential,
  type FetchHandler,
  intervalWorker,
  loopWorker,
  OperationalFailure,
  OpsRegistry,
  runService,
  Runtime,
  type Server,
  symmetric,
} from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { logObserver, type StructuredLogger } from "../../src/log/mod.ts";
import { serve, shutdownSignal } from "../../adapters/serve.ts";

const ONCE = process.argv.includes("--once");

// ── The platform: the serve entry picks the server by itself ─────────────

/** For the banner only. */
function platform(): "deno" | "bun" | "node" {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

// ── Logs: one compact line per event ─────────────────────────────────────

/** `12:00:01.234 info  catalog/ingest starting -> running` and the like. */
function line(level: string, message: string, fields: object = {}): void {
  const {
    at,
    event: _event,
    runtime: _runtime,
    ok: _ok,
    dispatchId: _dispatchId,
    ...rest
  } = fields as Record<string, unknown>;
  const time = typeof at === "string"
    ? at.slice(11, 23)
    : new Date().toISOString().slice(11, 23);
  let text = message;
  if (message === "transition" && rest.worker) {
    const { worker, from, to, reason } = rest;
    text = `${worker} ${from} -> ${to}${reason ? ` (${reason})` : ""}`;
  } else {
    const pairs = Object.entries(rest).map(([k, v]) =>
      `${k}=${
        typeof v === "string"
          ? v
          : typeof v === "number" && !Number.isInteger(v)
          ? v.toFixed(1)
          : JSON.stringify(v)
      }`
    );
    text = `${message} ${pairs.join(" ")}`;
  }
  const out = `${time} ${level.padEnd(5)} ${text}`.trimEnd();
  (level === "error" ? console.error : console.log)(out);
}

/**
 * A console logger for logObserver that keeps the log readable: failures and
 * commands; worker transitions that arrive somewhere (running, failed,
 * stopped) or restart; the runtime's readiness; and a check's outcome only
 * when it changes (a check runs every 2 s).
 */
const lastOutcome = new Map<unknown, unknown>();
function interesting(level: string, p: Record<string, unknown>): boolean {
  if (level === "error") return true;
  switch (p.event) {
    case "workerkit.transition":
      return p.worker !== undefined &&
        (p.reason !== undefined || ["running", "failed", "stopped"].includes(
          p.to as string,
        ));
    case "workerkit.readiness":
      return p.worker === undefined;
    case "workerkit.check": {
      const changed = lastOutcome.get(p.check) !== p.outcome;
      lastOutcome.set(p.check, p.outcome);
      return changed;
    }
    default:
      return true;
  }
}
function write(level: string) {
  return (message: string, properties: Record<string, unknown> = {}) => {
    if (!interesting(level, properties)) return;
    line(level, message.replace(/^workerkit /, ""), properties);
  };
}
const consoleLogger: StructuredLogger = {
  debug: () => {},
  info: write("info"),
  warn: write("warn"),
  error: write("error"),
};

// ── The outside world, simulated ─────────────────────────────────────────

interface Order {
  id: number;
  sku: string;
  quantity: number;
}

const SKUS = ["apple", "pear", "plum", "fig", "kiwi", "lime"];

/** A stand-in for a message broker: an order arrives every 100-500 ms. */
class OrderQueue {
  #items: Order[] = [];
  #next = 1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;

  /** Starts the upstream producer. */
  produce(): void {
    const tick = (): void => {
      this.#items.push({
        id: this.#next++,
        sku: SKUS[Math.floor(Math.random() * SKUS.length)]!,
        quantity: 1 + Math.floor(Math.random() * 3),
      });
      if (this.#items.length > 1_000) this.#items.shift(); // a bounded queue
      this.#wake?.();
      this.#timer = setTimeout(tick, 100 + Math.random() * 400);
    };
    this.#timer = setTimeout(tick, 50);
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  get depth(): number {
    return this.#items.length;
  }

  /** The next order, or undefined after `waitMs` without one. */
  async take(signal: AbortSignal, waitMs: number): Promise<Order | undefined> {
    signal.throwIfAborted();
    if (this.#items.length === 0) {
      await new Promise<void>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener("abort", abort);
          this.#wake = undefined;
          resolve();
        };
        const abort = (): void => {
          clearTimeout(timer);
          this.#wake = undefined;
          reject(signal.reason);
        };
        const timer = setTimeout(done, waitMs);
        signal.addEventListener("abort", abort, { once: true });
        this.#wake = done;
      });
    }
    return this.#items.shift();
  }
}

const started = Date.now();
/** The search cluster is down for 5 s of every 30 s, starting at 25 s. */
function searchClusterUp(): boolean {
  return (Date.now() - started) % 30_000 < 25_000;
}

/** A database pool that is simply healthy; an ops component, not a worker. */
const database: Component = {
  name: "database",
  kind: "postgres",
  readiness: () => ({ ready: true, state: "ready" }),
  inspect: () => ({ open: 4, idle: 3, target: 4, host: "db.internal:5432" }),
};

// ── Domain state shared by the workers ───────────────────────────────────

const queue = new OrderQueue();
const stock = new Map<string, number>(); // the index: units ordered per SKU
const cache = new Map<string, number>(); // hot query results
let processed = 0;
let stallUntil = 0; // set by the debug/stall command
let rebuilding = false;
let rebuilds = 0;

// ── The runtime ──────────────────────────────────────────────────────────

const runtime = new Runtime({
  name: "catalog",
  observer: logObserver(consoleLogger),
  defaults: { startTimeout: 10_000, stopTimeout: 5_000 },
});

runtime.register({
  name: "ingest",
  description: "consumes orders from the queue into the stock index",
  stallTimeout: 5_000,
  livenessOnStall: true,
  worker: loopWorker(async ({ signal, drainSignal, worker }) => {
    // `signal` aborts at stop, `drainSignal` already at drain: either way,
    // finish the order in hand and take no more.
    const stopTaking = AbortSignal.any([signal, drainSignal]);
    while (!stopTaking.aborted) {
      try {
        if (stallUntil > Date.now()) {
          // Wedged on purpose (debug/stall): no heartbeat while we wait.
          await delay(stallUntil - Date.now(), { signal: stopTaking });
        }
        const order = await queue.take(stopTaking, 1_000);
        if (order) {
          await delay(10 + Math.random() * 40, { signal: stopTaking });
          stock.set(order.sku, (stock.get(order.sku) ?? 0) + order.quantity);
          cache.set(order.sku, stock.get(order.sku)!);
          processed++;
        }
      } catch {
        break; // drain or stop while waiting
      }
      worker.heartbeat(); // progress, or at least an idle poll
    }
  }),
  commands: [
    {
      name: "queue/stats",
      description: "queue depth and orders processed",
      idempotent: true,
      handler: () => ({ payload: { depth: queue.depth, processed } }),
    },
    {
      name: "debug/stall",
      description:
        "wedges the loop for N seconds (default 8) to trip the watchdog",
      payloadKind: "json",
      // The dashboard builds its payload form from this; being dangerous,
      // it asks for the worker's name before sending.
      payloadJsonSchema: {
        type: "object",
        properties: {
          seconds: { type: "number", minimum: 1, maximum: 60 },
        },
      },
      dangerous: true,
      handler: (request) => {
        const seconds = (request.payload as { seconds?: unknown } | undefined)
          ?.seconds ?? 8;
        if (typeof seconds !== "number" || !(seconds > 0 && seconds <= 60)) {
          throw new OperationalFailure({
            code: "invalid_payload",
            message: "seconds must be a number in (0, 60]",
          });
        }
        stallUntil = Date.now() + seconds * 1_000;
        return {
          message: `ingest stalls for ${seconds} s; stalled after 5 s`,
        };
      },
    },
  ],
});

runtime.register({
  name: "indexer",
  description: "owns the stock index and the query cache",
  commandConcurrency: 2,
  commandTimeout: 10_000,
  worker: {
    async start({ signal }) {
      await delay(300, { signal }); // load the index snapshot
    },
    stop() {
      cache.clear();
    },
  },
  commands: [
    commandFromOps({
      name: "index/rebuild",
      description:
        'rebuilds the index: {"mode":"incremental"} at once, {"mode":"full"} in the background',
      payloadKind: "json",
    }, (request, ctx) => {
      const mode = (request.payload as { mode?: unknown } | undefined)?.mode ??
        "incremental";
      if (mode !== "incremental" && mode !== "full") {
        return {
          outcome: "rejected",
          failure: {
            code: "invalid_payload",
            message: 'mode must be "incremental" or "full"',
          },
        };
      }
      if (rebuilding) {
        return {
          outcome: "rejected",
          failure: { code: "busy", message: "a full rebuild is running" },
        };
      }
      rebuilds++;
      if (mode === "incremental") {
        return { outcome: "completed", result: { skus: stock.size } };
      }
      // A full rebuild takes ~3 s: answer now, finish in the background,
      // and stop early (checkpointing) if the worker is drained meanwhile.
      rebuilding = true;
      const rebuild = rebuilds;
      void (async () => {
        try {
          for (let step = 0; step < 10 && !ctx.drainSignal.aborted; step++) {
            await delay(300);
          }
          line("info", "indexer", {
            rebuild,
            done: ctx.drainSignal.aborted ? "interrupted by drain" : "full",
          });
        } finally {
          rebuilding = false;
        }
      })();
      return { outcome: "accepted", result: { rebuild } };
    }),
    {
      name: "cache/refresh",
      description: "drops the query cache",
      handler: () => {
        const dropped = cache.size;
        cache.clear();
        return { message: "refreshed", payload: { dropped } };
      },
    },
    {
      name: "index/stats",
      description: "index size and rebuild count",
      idempotent: true,
      handler: () => ({
        payload: { skus: stock.size, cached: cache.size, rebuilds, rebuilding },
      }),
    },
  ],
});

runtime.register({
  name: "maintenance",
  description: "prunes the index every 10 s",
  worker: intervalWorker(async ({ signal }) => {
    await delay(20, { signal });
    for (const [sku, units] of stock) {
      if (units > 500) stock.set(sku, Math.floor(units / 2)); // compaction
    }
  }, {
    interval: 10_000,
    jitter: symmetric(0.1),
    timeout: 2_000,
    runImmediately: false,
    continueOnError: true,
  }),
});

runtime.register({
  name: "search-check",
  description: "pings the search cluster; drives readiness",
  worker: checkLoop({
    name: "search-cluster",
    async check(signal) {
      await delay(15, { signal }); // a round trip
      const up = searchClusterUp();
      return { ready: up, message: up ? "green" : "unreachable" };
    },
  }, { interval: 2_000, timeout: 1_000 }),
});

runtime.register({
  name: "notifications",
  description: "subscribes to price notifications; reconnects when dropped",
  // Best effort: while it reconnects the service stays ready.
  contributesToReadiness: false,
  stallTimeout: 5_000,
  restart: {
    // 0.5 s, 1 s, 2 s, ... up to 8 s (±20 %); more than 5 restarts within a
    // minute and supervision gives up (the worker stays failed).
    backoff: attempts(6, {
      backoff: exponential(500, 2, 8_000),
      jitter: symmetric(0.2),
    }),
    maxRestarts: 5,
    withinMs: 60_000,
  },
  worker: loopWorker(async ({ signal, worker }) => {
    const dropAfter = 15_000 + Math.random() * 10_000;
    const connectedAt = Date.now();
    while (!signal.aborted) {
      try {
        await delay(1_000, { signal }); // a message, now and then
      } catch {
        return; // stopped
      }
      worker.heartbeat();
      if (Date.now() - connectedAt > dropAfter) {
        throw new OperationalFailure({
          code: "connection_lost",
          message: "notification stream disconnected",
        });
      }
    }
  }, {
    onStart: ({ signal }) => delay(200, { signal }), // connect
  }),
});

const registry = new OpsRegistry();
registry.register(runtime);
registry.register(database);

// ── HTTP: a domain route and the ops router ──────────────────────────────

const token = process.env.OPS_TOKEN ?? randomToken();
const app = new Hono();
app.get(
  "/",
  (c) => c.text("catalog: see /stock, /livez, /readyz and /admin\n"),
);
app.get("/stock", (c) => c.json(Object.fromEntries(stock)));
app.route(
  "/",
  opsRouter({
    runtime,
    registry,
    commands: true,
    lifecycle: true,
    dashboard: true,
    // Shown in the dashboard's header next to the pod name.
    identity: { version: "catalog 1.0.0" },
    authMiddleware: bearerAuth({ token }),
    timeout: 30_000,
  }),
);

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ── Serve, run, shut down ────────────────────────────────────────────────

// First: install the SIGINT/SIGTERM listeners.
const shutdown = shutdownSignal();
const selfCheckDone = new AbortController();
shutdown.addEventListener("abort", () => {
  line("info", "shutting down (Ctrl-C again to force)");
}, { once: true });

const hostname = process.env.HOST ?? "127.0.0.1";
const server = await listen(app.fetch, hostname);
const base = server.url.href.replace(/\/$/, "");
queue.produce();

console.log(`
catalog — a Workerkit demo service on ${platform()}, serving ${base}

  liveness    ${base}/livez
  readiness   ${base}/readyz
  dashboard   ${base}/admin#token=${token}
  stock       ${base}/stock

  try:
    export TOKEN=${token}
    curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
      -d '{"worker":"indexer","name":"index/rebuild","payload":{"mode":"full"}}' \\
      ${base}/admin/commands/dispatch
    curl -s -H "Authorization: Bearer $TOKEN" ${base}/admin/components/catalog

  The search cluster drops out for 5 s every 30 s (watch /readyz), the
  notification stream is dropped every 15-25 s and restarted.
  ${ONCE ? "--once: checking itself, then shutting down" : "Ctrl-C stops it."}
`);

const service = runService({
  runtime,
  server,
  signal: AbortSignal.any([shutdown, selfCheckDone.signal]),
  shutdownTimeout: 10_000,
});

let selfCheckFailed = false;
if (ONCE) {
  try {
    await selfCheck();
  } catch (error) {
    selfCheckFailed = true;
    console.error(`self-check failed: ${String(error)}`);
  }
  selfCheckDone.abort();
}

const { exitCode } = await service;
queue.close();
const restarts = runtime.worker("notifications")?.status.restarts ?? 0;
line("info", "stopped", { exitCode, processed, restarts });
process.exit(selfCheckFailed ? 1 : exitCode);

/** Serves on PORT, or 8080, or — when 8080 is taken and PORT is unset — any free port. */
async function listen(
  handler: FetchHandler,
  hostname: string,
): Promise<Server> {
  if (ONCE) return await serve(handler, { port: 0, hostname });
  const explicit = process.env.PORT;
  const port = explicit === undefined ? 8080 : Number(explicit);
  try {
    return await serve(handler, { port, hostname });
  } catch (error) {
    const e = error as { code?: unknown; name?: unknown };
    const inUse = e.code === "EADDRINUSE" || e.name === "AddrInUse";
    if (explicit !== undefined || !inUse) throw error;
    line("warn", "port 8080 is taken; using a free port instead");
    return await serve(handler, { port: 0, hostname });
  }
}

/** --once: the probes, the dashboard and one dispatch, over real HTTP. */
async function selfCheck(): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const expect = async (
    what: string,
    response: Promise<Response>,
    status: number,
  ): Promise<Response> => {
    const r = await response;
    if (r.status !== status) {
      throw new Error(`${what}: expected ${status}, got ${r.status}`);
    }
    console.log(`self-check: ${what} -> ${r.status}`);
    return r;
  };

  await (await expect("GET /livez", fetch(`${base}/livez`), 200)).body
    ?.cancel();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await fetch(`${base}/readyz`);
    await r.body?.cancel();
    // Ready, and every worker started (notifications does not count toward
    // readiness, but shutting down mid-start would cancel it).
    if (r.status === 200 && runtime.status().state === "running") break;
    if (Date.now() > deadline) throw new Error("/readyz never answered 200");
    await delay(100);
  }
  console.log("self-check: GET /readyz -> 200");
  // The page is a shell without data: it opens without credentials and
  // hands the token from the URL fragment to its own requests.
  const page = await expect(
    "GET /admin (the dashboard)",
    fetch(`${base}/admin`),
    200,
  );
  const html = (await page.text()).toLowerCase();
  if (!html.includes("<html")) {
    throw new Error("the dashboard is not an HTML page");
  }
  // The page's live feed: Server-Sent Events, opening with a snapshot.
  const events = await expect(
    "GET /admin/events",
    fetch(`${base}/admin/events`, { headers: auth }),
    200,
  );
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = "";
  while (!received.includes("event: snapshot")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the event stream ended before a snapshot");
    received += value;
  }
  await reader.cancel();
  console.log("self-check: the event stream opened with a snapshot");
  await (await expect(
    "POST /admin/commands/dispatch without a token",
    fetch(`${base}/admin/commands/dispatch`, { method: "POST" }),
    401,
  )).body?.cancel();
  const dispatched = await expect(
    "POST /admin/commands/dispatch indexer index/rebuild",
    fetch(`${base}/admin/commands/dispatch`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        worker: "indexer",
        name: "index/rebuild",
        payload: { mode: "incremental" },
      }),
    }),
    200,
  );
  console.log(`self-check: ${JSON.stringify(await dispatched.json())}`);
}
