// OpenTelemetry for a runtime: the SDK prints every span with its
// ConsoleSpanExporter and the metrics with a ConsoleMetricExporter when the
// meter provider shuts down; otelObserver() reports to the global providers.
// A command handler starts a span of its own, which nests inside the
// `workerkit.command cache/refresh` span because the handler runs in its
// context; a checker's span nests inside its `workerkit.check` span. The same
// instruments are scraped in the Prometheus text format through
// metricsRouter() (`@opentelemetry/exporter-prometheus`). A failing
// command's span is ERROR with the public code and error.type only. At the
// end it checks that the secret in the handler's error appears in no span,
// metric or scrape. In production swap the console exporters for OTLP ones
// (see docs/observability.md).
//
//   deno run -A examples/observability-otel/main.ts
//   node examples/observability-otel/main.ts          (Node 22.18+ or 24)
//   bun examples/observability-otel/main.ts
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  AggregationTemporality,
  ConsoleMetricExporter,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { checkLoop, Runtime } from "../../mod.ts";
import { metricsRouter } from "../../src/hono/mod.ts";
import { otelObserver } from "../../src/otel/mod.ts";

const SECRET = "sk_live_51Hx-example-secret";

// ── SDK setup (once, at process start) ──────────────────────────────────
// The in-memory exporters only serve the secret check at the end.
const spansSeen = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [
    new SimpleSpanProcessor(new ConsoleSpanExporter()),
    new SimpleSpanProcessor(spansSeen),
  ],
});
const metricsSeen = new InMemoryMetricExporter(
  AggregationTemporality.CUMULATIVE,
);
// Prometheus scrapes the same instruments: no server of its own, collected
// on each request to the route (served here by metricsRouter()).
const prometheus = new PrometheusExporter({ preventServerStart: true });
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter(),
      exportIntervalMillis: 60_000, // exported at shutdown in this example
    }),
    new PeriodicExportingMetricReader({
      exporter: metricsSeen,
      exportIntervalMillis: 60_000,
    }),
    prometheus,
  ],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);

// ── The service ─────────────────────────────────────────────────────────
const tracer = trace.getTracer("prices-service");
const runtime = new Runtime({
  name: "billing",
  observer: otelObserver({ attributes: { "deployment.slot": "blue" } }),
});
runtime.register({
  name: "prices",
  worker: { start() {}, stop() {} },
  commands: [
    {
      name: "cache/refresh",
      handler: async () => {
        // A library's span: a child of the command span.
        await tracer.startActiveSpan("db.query prices", async (span) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          span.end();
        });
        return { message: "refreshed" };
      },
    },
    {
      name: "charge",
      handler: () => {
        throw new Error(`card declined for key ${SECRET}`);
      },
    },
  ],
});

// A check loop: the checker's own span nests under its workerkit.check span.
let checked = false;
runtime.register({
  name: "health",
  worker: checkLoop({
    name: "database",
    check: () =>
      Promise.resolve(tracer.startActiveSpan("db.ping", (span) => {
        span.end();
        checked = true;
        return { ready: true };
      })),
  }, { interval: 60_000 }),
});
// Registered, never started: the worker count says so.
runtime.register({ name: "backfill", worker: { start() {}, stop() {} } });

await runtime.start("prices");
await runtime.start("health");
while (!checked) await new Promise((resolve) => setTimeout(resolve, 1));
// A caller's span: the command spans become its children.
await tracer.startActiveSpan("nightly-job", async (job) => {
  await runtime.dispatch({ worker: "prices", name: "cache/refresh" });
  await runtime.dispatch({ worker: "prices", name: "charge" }).catch(() => {});
  job.end();
});
const scrape = await (await metricsRouter(prometheus).request("/metrics"))
  .text();
console.log("\nGET /metrics (excerpt):");
for (const line of scrape.split("\n")) {
  if (/^workerkit_(worker_instances|command_dispatches_total)\{/.test(line)) {
    console.log(`  ${line.replace(/,otel_scope_[a-z]+="[^"]*"/g, "")}`);
  }
}
await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });

// ── Flush and stop the SDK (a service does this on SIGTERM) ─────────────
const spanCount = spansSeen.getFinishedSpans().length;
const exported = JSON.stringify({
  spans: spansSeen.getFinishedSpans().map((s) => ({
    name: s.name,
    attributes: s.attributes,
    status: s.status,
    events: s.events,
  })),
});
await tracerProvider.shutdown();
await meterProvider.shutdown();
const exportedMetrics = JSON.stringify(metricsSeen.getMetrics());
const metricCount = new Set(
  metricsSeen.getMetrics().flatMap((r) =>
    r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name))
  ),
).size;
const leaked = exported.includes(SECRET) || exportedMetrics.includes(SECRET) ||
  scrape.includes(SECRET);
console.log(
  `\n${spanCount} spans, ${metricCount} metrics; secret in telemetry: ${leaked}`,
);
context.disable();
if (leaked) throw new Error("unexpected: the secret reached telemetry");
