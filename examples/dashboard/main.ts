// The live ops dashboard: a runtime with a few lively workers, served with
// the Hono ops router (`dashboard`, `commands` and `lifecycle` on, behind a
// bearer token) through the adapter of the runtime it runs on, until Ctrl-C.
//
//   ingest    a loopWorker that is ready for 6 s, then catching up for 2 s
//   metrics   an intervalWorker that samples every 2 s
//   prices    a plain worker with commands (one slow, one dangerous, one
//             with a payload JSON Schema the page builds a form from);
//             a few lookups a second keep its charts moving
//   mailer    a loopWorker that loses its relay every 10-20 s and is
//             restarted with backoff; its public failure code shows on the
//             page, the secret in the original error never does
//
//   deno task example dashboard            then open the printed URL
//   node examples/dashboard/main.ts        (Node 22.18+ or 24)
//   bun examples/dashboard/main.ts
//   PORT=9000 OPS_TOKEN=secret deno task example dashboard
//   deno task example dashboard --once     start, fetch the page and one
//                                          event-stream snapshot, shut down
//
// The token travels in the URL fragment (`/admin#token=…`): browsers never
// send a fragment to the server, and the page moves it into memory and out
// of the address bar at once.
import process from "node:process";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import {
  attempts,
  exponential,
  type FetchHandler,
  intervalWorker,
  loopWorker,
  OperationalFailure,
  runService,
  Runtime,
} from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { serve, shutdownSignal } from "../../adapters/serve.ts";

const ONCE = process.argv.includes("--once");

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

const between = (min: number, max: number) =>
  min + Math.floor(Math.random() * (max - min));

// ── The runtime and its workers ──────────────────────────────────────────

const runtime = new Runtime({ name: "shop" });

runtime.register({
  name: "ingest",
  description: "consumes the order queue; catches up now and then",
  worker: loopWorker(async ({ signal, drainSignal, worker }) => {
    while (!signal.aborted && !drainSignal.aborted) {
      worker.setReady(true);
      await sleep(6_000, drainSignal);
      if (drainSignal.aborted) break;
      worker.setReady(false); // catching up: not ready, still running
      await sleep(2_000, drainSignal);
    }
    // Drained: wait for the stop.
    await sleep(2 ** 31 - 1, signal);
  }, { autoReady: false }),
});

let samples = 0;
runtime.register({
  name: "metrics",
  description: "samples queue depth every 2 s",
  worker: intervalWorker(() => {
    samples++;
  }, { interval: 2_000, runImmediately: true }),
});

const prices = new Map<string, number>([["sku-1", 1999], ["sku-2", 4500]]);
runtime.register({
  name: "prices",
  description: "keeps the price list",
  worker: { start() {}, stop() {} },
  commands: [
    {
      name: "prices/get",
      description: "reads one price",
      payloadKind: "json",
      // The page builds a form from this instead of a JSON editor.
      payloadJsonSchema: {
        type: "object",
        properties: { sku: { enum: ["sku-1", "sku-2", "sku-3"] } },
        required: ["sku"],
      },
      idempotent: true,
      handler: ({ payload }) => {
        const sku = (payload as { sku?: unknown } | undefined)?.sku;
        const cents = typeof sku === "string" ? prices.get(sku) : undefined;
        if (cents === undefined) {
          throw new OperationalFailure({
            code: "unknown_sku",
            message: "no such SKU",
          });
        }
        return { message: "found", payload: { sku, cents } };
      },
    },
    {
      name: "cache/refresh",
      description: "reloads the price list (takes a moment)",
      payloadKind: "none",
      idempotent: true,
      handler: async (_request, { signal }) => {
        await sleep(between(400, 1_200), signal);
        return { message: "refreshed", payload: { entries: prices.size } };
      },
    },
    {
      name: "prices/reset",
      description: "drops every price",
      payloadKind: "none",
      dangerous: true,
      handler: () => {
        prices.clear();
        return { message: "reset" };
      },
    },
  ],
});

runtime.register({
  name: "mailer",
  description: "sends receipts through the mail relay",
  worker: loopWorker(async ({ signal, drainSignal }) => {
    await sleep(between(10_000, 20_000), drainSignal);
    if (drainSignal.aborted) return await sleep(2 ** 31 - 1, signal);
    // The cause holds a secret: only the public code and message are shown.
    throw new OperationalFailure(
      { code: "relay_unavailable", message: "mail relay unreachable" },
      { cause: new Error("AUTH failed for smtp://mailer:hunter2@relay") },
    );
  }),
  restart: {
    backoff: attempts(1_000, { backoff: exponential(500, 2, 5_000) }),
    maxRestarts: 10,
    withinMs: 60_000,
  },
});

// ── HTTP: the ops router with the dashboard ──────────────────────────────

const token = process.env.OPS_TOKEN ?? randomToken();
const app = new Hono();
app.route(
  "/",
  opsRouter({
    runtime,
    dashboard: true,
    commands: true,
    lifecycle: true,
    identity: { version: "shop 2.3.0" },
    authMiddleware: bearerAuth({ token }),
  }),
);

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Serves on PORT, or 8080, or — when 8080 is taken and PORT is unset — any free port. */
async function listen(handler: FetchHandler) {
  // Loopback unless HOST says otherwise: the dashboard is for this machine.
  const hostname = process.env.HOST ?? "127.0.0.1";
  if (ONCE) return await serve(handler, { port: 0, hostname });
  const explicit = process.env.PORT;
  const port = explicit === undefined ? 8080 : Number(explicit);
  try {
    return await serve(handler, { port, hostname });
  } catch (error) {
    const e = error as { code?: unknown; name?: unknown };
    const inUse = e.code === "EADDRINUSE" || e.name === "AddrInUse";
    if (explicit !== undefined || !inUse) throw error;
    return await serve(handler, { port: 0, hostname });
  }
}

/** --once: the page and the stream's first snapshot, over real HTTP. */
async function selfCheck(base: string): Promise<void> {
  const page = await fetch(`${base}/admin`);
  const html = await page.text();
  if (page.status !== 200 || !html.includes("<table")) {
    throw new Error(`GET /admin answered ${page.status}`);
  }
  if (!page.headers.get("content-security-policy")?.includes("'nonce-")) {
    throw new Error("GET /admin has no CSP with a nonce");
  }
  const stream = new AbortController();
  const timer = setTimeout(() => stream.abort(), 5_000);
  try {
    const events = await fetch(`${base}/admin/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: stream.signal,
    });
    if (events.status !== 200 || events.body === null) {
      throw new Error(`GET /admin/events answered ${events.status}`);
    }
    const reader = events.body.pipeThrough(new TextDecoderStream())
      .getReader();
    // The stream opens with `history` (the replayed events), then a
    // `snapshot` of the current state.
    let text = "";
    let block: string | undefined;
    while (block === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      block = text.split("\n\n").find((b) => b.startsWith("event: snapshot\n"));
    }
    if (!text.startsWith("event: history\n") || block === undefined) {
      throw new Error("the event stream did not open with history, snapshot");
    }
    const data = block.split("\n")[1]!;
    const snapshot = JSON.parse(data.slice(6));
    console.log(
      `self-check: page ${html.length} bytes; snapshot: ${snapshot.status.name} ` +
        `${snapshot.status.state}, ${snapshot.workers.length} workers`,
    );
  } finally {
    clearTimeout(timer);
    stream.abort();
  }
}

// ── Serve until Ctrl-C (or, with --once, until the self-check is done) ───

const shutdown = shutdownSignal();
const selfCheckDone = new AbortController();
const server = await listen(app.fetch);
const base = server.url.href.replace(/\/$/, "");

console.log(`
shop — the Workerkit dashboard example, serving ${base}

  dashboard   ${base}/admin#token=${token}
  readiness   ${base}/readyz

  ${ONCE ? "--once: checking itself, then shutting down" : "Ctrl-C stops it."}
`);

const service = runService({
  runtime,
  server,
  signal: AbortSignal.any([shutdown, selfCheckDone.signal]),
  shutdownTimeout: 10_000,
});

// Shoppers: a few price lookups a second (some for a SKU that does not
// exist), so the page's command charts have something to draw.
const shoppers = ONCE ? undefined : setInterval(() => {
  const sku = `sku-${between(1, 4)}`;
  runtime.dispatch({ worker: "prices", name: "prices/get", payload: { sku } })
    .catch(() => {}); // unknown_sku, or refused while stopping: charted
}, 250);

let selfCheckFailed = false;
if (ONCE) {
  try {
    await selfCheck(base);
  } catch (error) {
    selfCheckFailed = true;
    console.error(`self-check failed: ${String(error)}`);
  }
  selfCheckDone.abort();
}

const { exitCode } = await service;
clearInterval(shoppers);
console.log(`stopped (exit code ${exitCode}, ${samples} samples taken)`);
process.exit(selfCheckFailed ? 1 : exitCode);
