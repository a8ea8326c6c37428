// Everything composed the way a production service would: configuration from
// the environment, an ops registry (the runtime plus a database pool), the
// Hono ops router with commands, lifecycle controls and the dashboard behind a
// bearer token from a Secret, structured JSON logs through LogTape,
// OpenTelemetry through the global API, and runService() on the adapter's
// shutdownSignal(): on SIGTERM /readyz turns 503 at once, the pod stays up for
// SHUTDOWN_DELAY_MS so load balancers stop routing, then HTTP drains, then the
// workers, all within SHUTDOWN_TIMEOUT_MS. k8s.yaml next to this file runs it
// in Kubernetes (see the Kubernetes section of docs/ops-and-http.md).
//
//   deno run -A examples/production/main.ts
//   node examples/production/main.ts          (Node 22.18+ or 24)
//   bun examples/production/main.ts
//   ... --once                                start, check itself, shut down
//
// Environment (all optional):
//   PORT (8080), HOST (127.0.0.1; 0.0.0.0 in a container), OPS_TOKEN (a
//   one-off token is made and printed when unset), SHUTDOWN_DELAY_MS (5000),
//   SHUTDOWN_TIMEOUT_MS (20000), LOG_LEVEL (info),
//   OTEL_TRACES_EXPORTER=console   spans and metrics printed to the console
//   OTEL_EXPORTER_OTLP_ENDPOINT    OTLP/HTTP to a collector; needs the packages
//     @opentelemetry/exporter-trace-otlp-http, -metrics-otlp-http, resources
//   neither: the OpenTelemetry API's no-op providers (nothing is recorded).
import process from "node:process";
import {
  configure,
  getConsoleSink,
  getLogger,
  jsonLinesFormatter,
  type LogLevel,
} from "@logtape/logtape";
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import {
  checkLoop,
  delay,
  type FetchHandler,
  intervalWorker,
  loopWorker,
  multiObserver,
  OpsRegistry,
  runService,
  Runtime,
  type ServeOptions,
  type Server,
  symmetric,
} from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { logObserver } from "../../src/log/mod.ts";
import { otelObserver } from "../../src/otel/mod.ts";

const SERVICE = "orders";
const ONCE = process.argv.includes("--once");
const env = process.env;
const config = {
  port: ONCE ? 0 : Number(env.PORT ?? 8080),
  hostname: env.HOST ?? "127.0.0.1",
  shutdownDelay: ONCE ? 0 : Number(env.SHUTDOWN_DELAY_MS ?? 5_000),
  shutdownTimeout: Number(env.SHUTDOWN_TIMEOUT_MS ?? 20_000),
  logLevel: (env.LOG_LEVEL ?? "info") as LogLevel,
};

// ── Logs: JSON lines on stdout, the format log pipelines ingest ──────────
await configure({
  sinks: { console: getConsoleSink({ formatter: jsonLinesFormatter }) },
  loggers: [
    { category: [SERVICE], sinks: ["console"], lowestLevel: config.logLevel },
    {
      category: ["logtape", "meta"],
      sinks: ["console"],
      lowestLevel: "warning",
    },
  ],
});
const log = getLogger([SERVICE]);

// ── Telemetry: set up before the runtime, flushed after it ───────────────
const telemetry = await setUpTelemetry();

// ── The runtime and its workers ──────────────────────────────────────────
const runtime = new Runtime({
  name: SERVICE,
  observer: multiObserver(
    otelObserver(),
    logObserver(getLogger([SERVICE, "workerkit"]), {
      fields: { service: SERVICE },
    }),
  ),
  defaults: { startTimeout: 15_000, stopTimeout: 10_000 },
});

// A stand-in for a broker client; a real one would be connected in onStart.
let backlog = 0;
let processed = 0;
const broker = setInterval(() => backlog++, 50);

runtime.register({
  name: "consumer",
  description: "consumes orders from the broker",
  // A consumer wedged for 30 s is unready; /livez answers 503 and Kubernetes
  // restarts the pod.
  stallTimeout: 30_000,
  livenessOnStall: true,
  worker: loopWorker(async ({ signal, drainSignal, worker }) => {
    const stopTaking = AbortSignal.any([signal, drainSignal]);
    while (!stopTaking.aborted) {
      if (backlog > 0) {
        backlog--;
        processed++;
      }
      worker.heartbeat();
      await delay(20, { signal: stopTaking }).catch(() => {});
    }
  }),
  commands: [{
    name: "backlog/read",
    description: "the consumer's backlog and throughput",
    idempotent: true,
    handler: () => ({ payload: { backlog, processed } }),
  }],
});

let priceListVersion = 0;
runtime.register({
  name: "price-refresh",
  description: "reloads the price list every minute",
  worker: intervalWorker(async ({ signal }) => {
    await delay(10, { signal }); // fetch(url, { signal }) in real life
    priceListVersion++;
  }, {
    interval: 60_000,
    jitter: symmetric(0.1),
    timeout: 10_000,
    continueOnError: true,
  }),
  commands: [{
    name: "cache/refresh",
    description: "reloads the price list now",
    handler: async (_request, ctx) => {
      await delay(10, { signal: ctx.signal });
      return { message: "refreshed", payload: { version: ++priceListVersion } };
    },
  }],
});

// The database pool: a component for /readyz, watched by a check loop.
const pool = { open: 0, target: 4 };
runtime.register({
  name: "db-check",
  description: "pings the database every 10 s",
  worker: checkLoop({
    name: "postgres",
    async check(signal) {
      await delay(5, { signal }); // SELECT 1
      pool.open = pool.target;
      return { ready: true };
    },
  }, { interval: 10_000, timeout: 2_000 }),
});

const registry = new OpsRegistry();
registry.register(runtime);
registry.register({
  name: "postgres",
  kind: "postgres",
  readiness: () =>
    pool.open > 0
      ? { ready: true, state: "ready" }
      : { ready: false, state: "starting", reason: "no connection yet" },
  inspect: () => ({ ...pool }),
});

// ── HTTP ─────────────────────────────────────────────────────────────────
let token = env.OPS_TOKEN;
if (!token) {
  token = crypto.randomUUID().replaceAll("-", "");
  log.warn("OPS_TOKEN is not set; using a one-off token {token}", { token });
}
const app = new Hono();
app.get("/orders/stats", (c) => c.json({ backlog, processed }));
app.route(
  "/",
  opsRouter({
    runtime,
    registry,
    authMiddleware: bearerAuth({ token }),
    commands: true,
    lifecycle: true,
    dashboard: true,
    timeout: 30_000,
  }),
);

const adapter = await loadAdapter();
const shutdown = adapter.shutdownSignal(); // SIGTERM from the kubelet
const selfCheckDone = new AbortController();
const server = await adapter.serve(app.fetch, {
  port: config.port,
  hostname: config.hostname,
});
log.info("serving on {url}", { url: server.url.href, ...config });

const service = runService({
  runtime,
  server,
  signal: AbortSignal.any([shutdown, selfCheckDone.signal]),
  shutdownDelay: config.shutdownDelay,
  shutdownTimeout: config.shutdownTimeout,
});
shutdown.addEventListener("abort", () => {
  log.info("shutdown signal: unready now, stopping in {delayMs} ms", {
    delayMs: config.shutdownDelay,
  });
}, { once: true });

let failedCheck = false;
if (ONCE) {
  failedCheck = !await selfCheck(server.url, token).catch((error) => {
    log.error("self-check failed: {error}", { error: String(error) });
    return false;
  });
  selfCheckDone.abort();
}

const { exitCode } = await service;
clearInterval(broker);
await telemetry.shutdown(); // flush the last spans and metrics
log.info("stopped with exit code {exitCode}", { exitCode, processed });
process.exit(failedCheck ? 1 : exitCode);

// ── Helpers ──────────────────────────────────────────────────────────────

/** What this service needs from `@workerkit/core/{deno,node,bun}`. */
interface Adapter {
  serve(handler: FetchHandler, options?: ServeOptions): Promise<Server>;
  shutdownSignal(): AbortSignal;
}

/** The adapter of the runtime this runs on, by feature detection. */
function loadAdapter(): Promise<Adapter> {
  if ("Deno" in globalThis) return import("../../adapters/deno.ts");
  if ("Bun" in globalThis) return import("../../adapters/bun.ts");
  return import("../../adapters/node.ts");
}

/**
 * Registers the OpenTelemetry SDK as the global providers, with console or
 * OTLP exporters as the standard OTEL_* variables ask — or nothing, leaving
 * the API's no-op providers. Returns the flush for the end.
 */
async function setUpTelemetry(): Promise<{ shutdown(): Promise<void> }> {
  let spans: SpanExporter;
  let metricExporter: PushMetricExporter;
  let resource: unknown;
  if (env.OTEL_TRACES_EXPORTER === "console") {
    spans = new ConsoleSpanExporter();
    metricExporter = new ConsoleMetricExporter();
  } else if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    try {
      // Not dependencies of this repository: install them in your image.
      const load = (name: string) => import(name);
      const [traceOtlp, metricsOtlp, resources] = await Promise.all([
        load("@opentelemetry/exporter-trace-otlp-http"),
        load("@opentelemetry/exporter-metrics-otlp-http"),
        load("@opentelemetry/resources"),
      ]);
      spans = new traceOtlp.OTLPTraceExporter();
      metricExporter = new metricsOtlp.OTLPMetricExporter();
      // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (pod name, namespace).
      resource = resources.detectResources({
        detectors: [resources.envDetector],
      });
    } catch {
      log.warn("OTLP exporters are not installed; telemetry is off");
      return { shutdown: () => Promise.resolve() };
    }
  } else {
    return { shutdown: () => Promise.resolve() }; // the API's no-ops
  }
  const withResource = resource === undefined ? {} : { resource } as object;
  const tracerProvider = new BasicTracerProvider({
    ...withResource,
    spanProcessors: [new BatchSpanProcessor(spans)],
  });
  const meterProvider = new MeterProvider({
    ...withResource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: 15_000,
      }),
    ],
  });
  context.setGlobalContextManager(
    new AsyncLocalStorageContextManager().enable(),
  );
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    async shutdown() {
      await Promise.allSettled([
        tracerProvider.shutdown(),
        meterProvider.shutdown(),
      ]);
    },
  };
}

/** --once: liveness, readiness, the dashboard shell and one command over HTTP. */
async function selfCheck(url: URL, token: string): Promise<boolean> {
  const get = async (path: string) => {
    const response = await fetch(new URL(path, url));
    await response.body?.cancel();
    return response.status;
  };
  const deadline = Date.now() + 20_000;
  while (await get("/readyz") !== 200) {
    if (Date.now() > deadline) throw new Error("/readyz never answered 200");
    await delay(50);
  }
  const dispatched = await fetch(new URL("/admin/commands/dispatch", url), {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ worker: "price-refresh", name: "cache/refresh" }),
  });
  const answer = await dispatched.json();
  const statuses = {
    livez: await get("/livez"),
    readyz: 200,
    dashboard: await get("/admin"),
    dispatch: dispatched.status,
  };
  log.info("self-check {statuses}", { statuses, answer });
  return Object.values(statuses).every((status) => status === 200);
}
