// Everything composed the way a production service would: configuration from
// the environment, an ops registry (the runtime plus a database pool), the
// Hono ops router with commands, lifecycle controls and the dashboard behind a
// bearer token from a Secret, structured JSON logs through LogTape,
// OpenTelemetry through the global API, and runService() on the serve entry's
// shutdownSignal() with the library's shutdown defaults: on SIGTERM /readyz
// turns 503 at once, the pod stays up for the shutdown delay (5 s in
// Kubernetes, 0 elsewhere) so load balancers stop routing, then within one
// 20 s budget HTTP closes, the workers drain and stop, and the telemetry is
// flushed — inside Kubernetes' default 30 s grace period. Every step is
// logged, and the shutdown report says which worker, if any, held the pod.
// k8s.yaml next to this file runs it (see docs/production.md).
//
//   deno run -A examples/production/main.ts
//   node examples/production/main.ts          (Node 22.18+ or 24)
//   bun examples/production/main.ts
//   ... --once                                start, check itself, shut down
//
// Environment (all optional):
//   PORT (8080), HOST (every interface; 127.0.0.1 with --once), OPS_TOKEN (a
//   one-off token is made and printed when unset), GRACE_PERIOD_MS (30000:
//   the manifest's terminationGracePeriodSeconds), SHUTDOWN_DELAY_MS (5000 in
//   Kubernetes, else 0), SHUTDOWN_TIMEOUT_MS (20000), LOG_LEVEL (info),
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
  intervalWorker,
  loopWorker,
  multiObserver,
  OpsRegistry,
  runService,
  type RunServiceOptions,
  Runtime,
  type RuntimeEvent,
  type ServiceWarningEvent,
  type ShutdownEvent,
  symmetric,
} from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { serve, shutdownSignal } from "../../adapters/serve.ts";
import { logObserver } from "../../src/log/mod.ts";
import { otelObserver } from "../../src/otel/mod.ts";

const SERVICE = "orders";
const ONCE = process.argv.includes("--once");
const env = process.env;
const config = {
  port: ONCE ? 0 : Number(env.PORT ?? 8080),
  // Unset: every interface, so the kubelet's probes to the pod IP arrive.
  hostname: env.HOST ?? (ONCE ? "127.0.0.1" : undefined),
  logLevel: (env.LOG_LEVEL ?? "info") as LogLevel,
};
/** Only what the environment sets; runService's defaults do the rest. */
const budget: Partial<RunServiceOptions> = {
  ...number("gracePeriod", env.GRACE_PERIOD_MS),
  ...number("shutdownDelay", ONCE ? "0" : env.SHUTDOWN_DELAY_MS),
  ...number("shutdownTimeout", env.SHUTDOWN_TIMEOUT_MS),
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
  // Inside the workers' share of the 20 s budget (what the server's 5 s and
  // the flush's 2 s leave), so a slow stop or command is cut by its own
  // deadline, with its own error, before the budget runs out.
  defaults: {
    startTimeout: 15_000,
    stopTimeout: 10_000,
    commandTimeout: 10_000,
  },
});
// The shutdown report: how long each phase took and which worker, if any,
// did not stop in time; and any budget setting that cannot work.
runtime.addEventListener("shutdown", (event) => {
  const report = (event as RuntimeEvent<ShutdownEvent>).detail;
  const level = report.exitCode === 0 ? "info" : "error";
  log[level]("shutdown ended with exit code {exitCode}", { ...report });
});
runtime.addEventListener("servicewarning", (event) => {
  const warning = (event as RuntimeEvent<ServiceWarningEvent>).detail;
  log.warn("shutdown budget: {message}", { ...warning });
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

const shutdown = shutdownSignal(); // SIGTERM from the kubelet
const selfCheckDone = new AbortController();
const server = await serve(app.fetch, {
  port: config.port,
  ...(config.hostname === undefined ? {} : { hostname: config.hostname }),
});
log.info("serving on {url}", { url: server.url.href, ...config, ...budget });

const service = runService({
  runtime,
  server,
  signal: AbortSignal.any([shutdown, selfCheckDone.signal]),
  ...budget,
  // The last spans and metrics, bounded by what is left of the budget.
  flush: (signal) => telemetry.shutdown(signal),
});
shutdown.addEventListener("abort", () => {
  log.info("shutdown signal: unready now, closing in {delayMs} ms", {
    delayMs: budget.shutdownDelay ?? server.shutdownDelay ?? 0,
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
log.info("stopped with exit code {exitCode}", { exitCode, processed });
process.exit(failedCheck ? 1 : exitCode);

// ── Helpers ──────────────────────────────────────────────────────────────

/** `{ [name]: ms }` when the variable is set, else nothing. */
function number(name: keyof RunServiceOptions, value: string | undefined) {
  return value === undefined ? {} : { [name]: Number(value) };
}

/**
 * Registers the OpenTelemetry SDK as the global providers, with console or
 * OTLP exporters as the standard OTEL_* variables ask — or nothing, leaving
 * the API's no-op providers. Returns the flush for the end.
 */
async function setUpTelemetry(): Promise<
  { shutdown(signal: AbortSignal): Promise<void> }
> {
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
    // runService stops waiting when `signal` aborts; the exporters' own
    // timeouts end their requests soon after.
    async shutdown(signal) {
      const results = await Promise.allSettled([
        tracerProvider.shutdown(),
        meterProvider.shutdown(),
      ]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed && !signal.aborted) throw failed.reason;
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
