// The Hono ops router on a real server: probes, component inspection,
// command dispatch and lifecycle controls behind bearer auth, mounted next to
// the application's own routes and served by the adapter of the runtime this
// runs on (Deno.serve, @hono/node-server or Bun.serve). It prints curl
// commands to try; Ctrl-C shuts it down gracefully.
//
//   deno run -A examples/hono-ops/main.ts            (PORT, OPS_TOKEN optional)
//   node examples/hono-ops/main.ts                   (Node 22.18+ or 24)
//   bun examples/hono-ops/main.ts
//   deno run -A examples/hono-ops/main.ts --once     runs the requests itself, then exits
import process from "node:process";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import {
  delay,
  loopWorker,
  OpsRegistry,
  runService,
  Runtime,
} from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { serve, shutdownSignal } from "../../adapters/serve.ts";

const ONCE = process.argv.includes("--once");
const token = process.env.OPS_TOKEN ?? "change-me";

// ── A runtime with two workers, and an ops registry ──────────────────────
const prices = new Map<string, number>([["apple", 1.2], ["pear", 0.9]]);
const runtime = new Runtime({ name: "billing" });
runtime.register({
  name: "prices",
  description: "keeps the price list",
  worker: { start() {}, stop() {} },
  commands: [{
    name: "cache/refresh",
    description: "reloads the price list",
    idempotent: true,
    handler: () => ({ message: "refreshed", payload: { size: prices.size } }),
  }, {
    name: "price/set",
    payloadKind: "json",
    handler: (request) => {
      const { sku, price } = request.payload as { sku: string; price: number };
      prices.set(sku, price);
      return { message: `${sku} = ${price}` };
    },
  }],
});
runtime.register({
  name: "ingest",
  description: "consumes invoices",
  stallTimeout: 5_000,
  worker: loopWorker(async ({ signal, worker }) => {
    while (!signal.aborted) {
      worker.heartbeat();
      await delay(500, { signal }).catch(() => {});
    }
  }),
});

const registry = new OpsRegistry();
registry.register(runtime);
registry.register({
  name: "config",
  readiness: () => ({ ready: true }),
  inspect: () => ({ region: "eu-west-1", features: ["fast-refresh"] }),
}, { policy: "informational" });

// ── The HTTP app: the application's routes plus the ops router ───────────
const app = new Hono();
app.get("/prices/:sku", (c) => {
  const price = prices.get(c.req.param("sku"));
  return price === undefined ? c.notFound() : c.json({ price });
});
app.route(
  "/",
  opsRouter({
    runtime,
    registry,
    authMiddleware: bearerAuth({ token }),
    commands: true,
    lifecycle: true,
    // Dispatch is abandoned past 10 s, lifecycle calls past 5 s (queue wait
    // included); a client that disconnects cancels its command.
    timeout: 10_000,
    lifecycleTimeout: 5_000,
  }),
);

// ── Serve on this runtime's server (the serve entry picks it) ────────────
const shutdown = shutdownSignal();
const port = ONCE ? 0 : Number(process.env.PORT ?? 8080);
// Loopback: the example prints curl lines for this machine only.
const server = await serve(app.fetch, { port, hostname: "127.0.0.1" });
const base = server.url.href.replace(/\/$/, "");
const done = new AbortController();
const service = runService({
  runtime,
  server,
  signal: AbortSignal.any([shutdown, done.signal]),
  shutdownTimeout: 10_000,
});

const auth = `-H "Authorization: Bearer ${token}"`;
const json = `${auth} -H 'content-type: application/json'`;
const requests: [string, string, string?, string?][] = [
  ["GET", "/livez"],
  ["GET", "/readyz"],
  ["GET", "/prices/apple"],
  ["GET", "/admin/components"], // no token: 401
  ["GET", "/admin/components", auth],
  ["GET", "/admin/components/billing", auth],
  [
    "POST",
    "/admin/commands/dispatch",
    json,
    '{"worker":"prices","name":"price/set","payload":{"sku":"plum","price":2.5}}',
  ],
  [
    "POST",
    "/admin/commands/dispatch",
    json,
    '{"worker":"prices","name":"cache/clear"}',
  ],
  ["POST", "/admin/workers/drain", json, '{"worker":"ingest"}'],
  ["POST", "/admin/workers/stop", json, '{"worker":"ingest"}'],
  ["POST", "/admin/workers/start", json, '{"worker":"ingest"}'],
];

console.log(`billing ops on ${base} (token: ${token}); try:\n`);
for (const [method, path, headers, body] of requests) {
  const parts = ["curl -s", method === "GET" ? "" : `-X ${method}`, headers];
  if (body) parts.push(`-d '${body}'`);
  console.log(`  ${parts.filter(Boolean).join(" ")} ${base}${path}`);
}

if (ONCE) {
  // Wait until the workers run, then make the same requests with fetch.
  while (!runtime.status().ready) await delay(10);
  console.log("\n--once: making those requests");
  for (const [method, path, headers, body] of requests) {
    const init: RequestInit = { method, headers: {} };
    if (headers?.includes("Bearer")) {
      init.headers = {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
      };
    }
    if (body) init.body = body;
    const response = await fetch(`${base}${path}`, init);
    console.log(
      `  ${method} ${path} -> ${response.status} ${
        summary(await response.text())
      }`,
    );
  }
  done.abort();
} else {
  console.log("\nCtrl-C to stop.");
}

const { exitCode } = await service;
console.log(`shut down, exit code ${exitCode}`);
process.exit(exitCode);

/** A worker's new state for lifecycle answers, else the body cut at 90 characters. */
function summary(text: string): string {
  const state =
    (JSON.parse(text) as { worker?: { status?: { state?: string } } })
      .worker?.status?.state;
  if (state) return `{ worker: { status: { state: "${state}", ... } } }`;
  return text.length > 90 ? `${text.slice(0, 90)}...` : text;
}
