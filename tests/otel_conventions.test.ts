// OpenTelemetry conventions of otelObserver with the real SDK: the
// instrumentation scope (name and the package's version), the worker count
// that always equals status(), checker spans nested in their check span,
// command spans that continue an HTTP request's trace (`traceparent`), and
// no context work at all without an SDK.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  createNoopMeter,
  metrics,
  propagation,
  ProxyTracerProvider,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { DataPoint } from "@opentelemetry/sdk-metrics";
import { httpInstrumentationMiddleware } from "@hono/otel";
import { Hono } from "hono";
import { checkLoop, type LifecycleState, Runtime } from "../mod.ts";
import { opsRouter } from "../src/hono/mod.ts";
import { otelObserver } from "../src/otel/mod.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { withTelemetry } from "./_support/telemetry.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { until } from "./_support/workers.ts";

const idle = { start() {}, stop() {} };

/** The package version, read the way the runtime never reads it. */
function packageVersion(): string {
  const url = new URL("../deno.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string })
    .version;
}

test("spans and metrics carry the instrumentation scope @workerkit/core at the package's version", async () => {
  await withTelemetry(async ({ tracerProvider, meterProvider, spans }) => {
    const runtime = new Runtime({
      name: "billing",
      observer: otelObserver({ tracerProvider, meterProvider }),
    });
    runtime.register({
      name: "prices",
      worker: idle,
      commands: [{ name: "refresh", handler: () => ({}) }],
    });
    await runtime.startAll();
    await runtime.dispatch({ worker: "prices", name: "refresh" });
    await runtime.shutdown();
    const version = packageVersion();
    assert.match(version, /^\d+\.\d+\.\d+/);
    const [span] = spans();
    assert.deepEqual(
      [span!.instrumentationScope.name, span!.instrumentationScope.version],
      ["@workerkit/core", version],
    );
  });
});

test("the metric scope has the package's version too", async () => {
  await withTelemetry(async ({ meterProvider, reader }) => {
    const runtime = new Runtime({
      name: "billing",
      observer: otelObserver({ meterProvider }),
    });
    runtime.register({ name: "prices", worker: idle });
    const { resourceMetrics } = await reader.collect();
    assert.deepEqual(
      resourceMetrics.scopeMetrics.map((s) => [s.scope.name, s.scope.version]),
      [["@workerkit/core", packageVersion()]],
    );
    await runtime.shutdown();
  });
});

/** `{ state: count }` of `workerkit.worker.instances` for one runtime. */
async function workerCount(
  collect: () => Promise<Map<string, { dataPoints: unknown[] }>>,
  runtime: string,
): Promise<Record<string, number>> {
  const metric = (await collect()).get("workerkit.worker.instances");
  assert.ok(metric, "workerkit.worker.instances exists");
  const counts: Record<string, number> = {};
  for (const point of metric.dataPoints as DataPoint<number>[]) {
    if (point.attributes["workerkit.runtime"] !== runtime) continue;
    const state = point.attributes["workerkit.state"] as string;
    if (point.value !== 0) counts[state] = point.value;
  }
  return counts;
}

/** The same, counted from status snapshots. */
function statusCounts(runtime: Runtime): Record<string, number> {
  const counts: Partial<Record<LifecycleState, number>> = {};
  for (const w of runtime.workers()) {
    counts[w.status.state] = (counts[w.status.state] ?? 0) + 1;
  }
  return counts;
}

test("regression (issue 12, item 16): workerkit.worker.instances always equals the per-state counts of status(): never-started workers counted, unregistered ones gone", async () => {
  await withTelemetry(async ({ meterProvider, collect }) => {
    const runtime = new Runtime({
      name: "billing",
      observer: otelObserver({ meterProvider }),
    });
    runtime.register({ name: "a", worker: idle });
    runtime.register({ name: "b", worker: idle });
    runtime.register({ name: "c", worker: idle });
    assert.deepEqual(await workerCount(collect, "billing"), { registered: 3 });
    await runtime.start("a");
    assert.deepEqual(await workerCount(collect, "billing"), {
      registered: 2,
      running: 1,
    });
    await runtime.stop("a");
    await runtime.unregister("a");
    await runtime.unregister("b");
    assert.deepEqual(await workerCount(collect, "billing"), { registered: 1 });
    assert.deepEqual(
      await workerCount(collect, "billing"),
      statusCounts(runtime),
    );
    await runtime.startAll();
    assert.deepEqual(
      await workerCount(collect, "billing"),
      statusCounts(runtime),
    );
    await runtime.shutdown();
    assert.deepEqual(await workerCount(collect, "billing"), { stopped: 1 });
  });
});

test("a global SDK set after the runtime started gets the worker count at the next transition, with no dispatch", async () => {
  await withTelemetry(async ({ meterProvider, collect }) => {
    const runtime = new Runtime({ name: "billing", observer: otelObserver() });
    runtime.register({ name: "a", worker: idle });
    runtime.register({ name: "b", worker: idle });
    await runtime.start("a");
    metrics.setGlobalMeterProvider(meterProvider);
    try {
      await runtime.start("b");
      assert.deepEqual(await workerCount(collect, "billing"), { running: 2 });
      await runtime.shutdown();
    } finally {
      metrics.disable();
    }
  });
});

test("one observer on two runtimes counts each under its own name", async () => {
  await withTelemetry(async ({ meterProvider, collect }) => {
    const observer = otelObserver({ meterProvider });
    const billing = new Runtime({ name: "billing", observer });
    const search = new Runtime({ name: "search", observer });
    billing.register({ name: "a", worker: idle });
    search.register({ name: "a", worker: idle });
    search.register({ name: "b", worker: idle });
    await search.start("b");
    assert.deepEqual(await workerCount(collect, "billing"), { registered: 1 });
    assert.deepEqual(await workerCount(collect, "search"), {
      registered: 1,
      running: 1,
    });
    await billing.shutdown();
    await search.shutdown();
  });
});

test("a checker's own spans nest under its workerkit.check span", async () => {
  await withTelemetry(async ({ tracerProvider, meterProvider, spans }) => {
    trace.setGlobalTracerProvider(tracerProvider);
    const clock = new ManualClock(Date.parse("2026-01-01T00:00:00.000Z"));
    const runtime = new Runtime({
      name: "billing",
      clock,
      observer: otelObserver({ tracerProvider, meterProvider }),
    });
    try {
      const app = trace.getTracer("db-driver");
      runtime.register({
        name: "health",
        worker: checkLoop({
          name: "postgres",
          check: async () => {
            await Promise.resolve();
            app.startSpan("SELECT 1").end();
            return { ready: true };
          },
        }, { interval: 60_000 }),
      });
      await runtime.start("health");
      await until(
        () => spans().some((s) => s.name === "workerkit.check"),
        "first check run",
      );
      await runtime.shutdown();
    } finally {
      trace.disable();
    }
    const check = spans().find((s) => s.name === "workerkit.check")!;
    const query = spans().find((s) => s.name === "SELECT 1")!;
    assert.equal(check.parentSpanContext, undefined, "check runs are roots");
    assert.equal(query.spanContext().traceId, check.spanContext().traceId);
    assert.equal(query.parentSpanContext?.spanId, check.spanContext().spanId);
  });
});

test("a command dispatched over HTTP continues the caller's trace (traceparent, @hono/otel, real SDK)", async () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const callerSpanId = "00f067aa0ba902b7";
  await withTelemetry(async ({ tracerProvider, meterProvider, spans }) => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const runtime = new Runtime({
      name: "billing",
      observer: otelObserver({ tracerProvider, meterProvider }),
    });
    try {
      runtime.register({
        name: "prices",
        worker: idle,
        commands: [{
          name: "cache/refresh",
          handler: async () => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            return { message: "refreshed" };
          },
        }],
      });
      await runtime.startAll();
      const app = new Hono();
      app.use(httpInstrumentationMiddleware({ tracerProvider, meterProvider }));
      app.route(
        "/",
        opsRouter({ runtime, commands: true, auth: () => true }),
      );
      const response = await app.request("/admin/commands/dispatch", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          traceparent: `00-${traceId}-${callerSpanId}-01`,
        },
        body: JSON.stringify({ worker: "prices", name: "cache/refresh" }),
      });
      assert.equal(response.status, 200);
      await runtime.shutdown();
    } finally {
      propagation.disable();
    }
    const command = spans().find((s) =>
      s.name === "workerkit.command cache/refresh"
    );
    assert.ok(command, spans().map((s) => s.name).join(", "));
    const server = spans().find((s) =>
      s.spanContext().spanId ===
        command.parentSpanContext?.spanId
    );
    assert.ok(server, "the command span's parent is the HTTP server span");
    assert.equal(command.spanContext().traceId, traceId);
    assert.equal(server.parentSpanContext?.spanId, callerSpanId);
    assert.equal(server.parentSpanContext?.isRemote, true);
  });
});

test("without an SDK nothing is built: no span context to enter, no metric point", () => {
  const observer = otelObserver({
    tracerProvider: new ProxyTracerProvider(),
    meterProvider: { getMeter: () => createNoopMeter() },
  });
  const start = {
    runtime: "billing",
    worker: "billing/prices",
    command: "refresh",
    dispatchId: "d-1",
    at: "2026-01-01T00:00:00.000Z",
  };
  const observation = observer.commandStart!(start);
  assert.ok(observation);
  assert.equal(observation.wrap, undefined, "the handler runs as it is");
  observation.end({ ...start, ok: true, attempts: 1, durationMs: 0.5 });
  const check = observer.checkStart!({
    runtime: "billing",
    worker: "billing/health",
    check: "db",
    at: start.at,
  });
  assert.ok(check);
  assert.equal(check.wrap, undefined);
  check.end({
    runtime: "billing",
    worker: "billing/health",
    check: "db",
    at: start.at,
    outcome: "ready",
    durationMs: 1,
  });
});

test("no unhandled rejections", assertNoUnhandled);
