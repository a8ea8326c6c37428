// The Prometheus route: GET /metrics behind the router's auth, and
// metricsRouter() for an internal port, both answering from the same
// OpenTelemetry instruments through @opentelemetry/exporter-prometheus.
// Every scrape is validated by Prometheus' own `promtool check metrics`
// (tools/test.ts unpacks it from Debian's prometheus package when missing).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import {
  checkLoop,
  OperationalFailure,
  Runtime,
  WorkerkitError,
} from "../mod.ts";
import { metricsRouter, opsRouter } from "../src/hono/mod.ts";
import { otelObserver } from "../src/otel/mod.ts";
import { withServer } from "./_support/serve.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { until } from "./_support/workers.ts";

const SECRET = "sk_live_PROM_SECRET";
const TOKEN = "ops-token";
const auth = (c: { req: { header(name: string): string | undefined } }) =>
  c.req.header("authorization") === `Bearer ${TOKEN}`;

/** PROMTOOL_PATH (set by tools/test.ts), promtool on the PATH, or the cache. */
function promtool(): string {
  const given = process.env.PROMTOOL_PATH;
  if (given && existsSync(given)) return given;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "promtool"))) return join(dir, "promtool");
  }
  const home = process.env.XDG_CACHE_HOME ??
    join(process.env.HOME ?? "/tmp", ".cache");
  const cached = join(
    home,
    "workerkit-promtool",
    "root",
    "usr",
    "bin",
    "promtool",
  );
  assert.ok(
    existsSync(cached),
    "promtool not found: run the tests through `deno task test`, which " +
      "unpacks it (or `deno run -A tools/promtool.ts`)",
  );
  return cached;
}

/**
 * Runs `promtool check metrics` on a scrape: it must parse and lint clean
 * (exit 0, no finding at all — exit 3 is a lint finding).
 */
function checkMetrics(text: string): void {
  const run = spawnSync(promtool(), ["check", "metrics"], {
    input: text,
    encoding: "utf8",
  });
  const output = `${run.stdout}${run.stderr}`.trim();
  assert.equal(run.status, 0, `promtool check metrics: ${output}`);
  assert.equal(output, "", "no lint findings");
}

/** A runtime reporting to a MeterProvider read by a PrometheusExporter. */
async function metered() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const runtime = new Runtime({
    name: "billing",
    observer: otelObserver({ meterProvider }),
  });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    commands: [
      { name: "refresh", handler: () => ({ message: "refreshed" }) },
      {
        name: "charge",
        handler: () => {
          throw new Error(`card declined for ${SECRET}`);
        },
      },
    ],
  });
  let checks = 0;
  runtime.register({
    name: "health",
    worker: checkLoop({
      name: "database",
      check: () => {
        checks++;
        return Promise.reject(new Error(`postgres://u:${SECRET}@db`));
      },
    }, { interval: 60_000 }),
  });
  runtime.register({ name: "idle", worker: { start() {}, stop() {} } });
  await runtime.start("prices");
  await runtime.start("health");
  await until(() => checks > 0, "one check run");
  await runtime.dispatch({ worker: "prices", name: "refresh" });
  await runtime.dispatch({ worker: "prices", name: "charge" }).catch(() => {});
  return { exporter, meterProvider, runtime };
}

test("GET /metrics answers the Prometheus text format from the OTel instruments, behind auth, valid for promtool, with no secret", async () => {
  const { exporter, meterProvider, runtime } = await metered();
  try {
    runtime.register({ name: "late", worker: { start() {}, stop() {} } });
    const app = opsRouter({ runtime, metrics: exporter, auth });
    assert.equal((await app.request("/metrics")).status, 401);
    const response = await app.request("/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    assert.equal(response.headers.get("cache-control"), "no-store");
    const text = await response.text();
    assert.doesNotMatch(text, new RegExp(SECRET));
    assert.doesNotMatch(text, /card declined|postgres:/);
    assert.match(
      text,
      /^workerkit_command_dispatches_total\{[^}]*workerkit_command="charge",workerkit_outcome="error",workerkit_code="command_failed"[^}]*\} 1$/m,
    );
    assert.match(
      text,
      /^workerkit_command_duration_seconds_bucket\{[^}]*error_type="command_failed"[^}]*le="\+Inf"\} 1$/m,
    );
    // Durations are in seconds, and say so in the name and the metadata.
    assert.match(
      text,
      /^# TYPE workerkit_command_duration_seconds histogram$/m,
    );
    assert.match(text, /^# UNIT workerkit_command_duration_seconds seconds$/m);
    assert.match(text, /^workerkit_command_duration_seconds_sum\{/m);
    assert.match(text, /^workerkit_command_duration_seconds_count\{/m);
    assert.match(text, /^workerkit_check_duration_seconds_bucket\{/m);
    assert.doesNotMatch(
      text,
      /^workerkit_(command|check)_duration[_{](?!seconds)/m,
    );
    assert.match(text, /^workerkit_check_executions_total\{[^}]*\} 1$/m);
    assert.match(text, /^workerkit_failures_total\{/m);
    assert.match(text, /otel_scope_name="@workerkit\/core"/);
    // The worker count is status()'s: two running, a check loop running,
    // two registered and never started.
    const count = (state: string, name = "workerkit_worker_instances") =>
      Number(
        new RegExp(
          `^${name}\\{[^}]*workerkit_state="${state}"[^}]*\\} (\\d+)$`,
          "m",
        ).exec(text)?.[1],
      );
    assert.equal(count("running"), 2);
    assert.equal(count("registered"), 2);
    assert.equal(count("stopped"), 0);
    // The deprecated name, kept one release, has the same points.
    for (const state of ["running", "registered", "stopped"]) {
      assert.equal(count(state, "workerkit_workers"), count(state), state);
    }
    assert.doesNotMatch(text, /workerkit_worker_count/);
    checkMetrics(text);
  } finally {
    await runtime.shutdown();
    await meterProvider.shutdown();
  }
});

test("metricsRouter() serves /metrics without auth on a real internal port", async () => {
  const { exporter, meterProvider, runtime } = await metered();
  try {
    // This runtime's own server (the serve entry), as a service would run it.
    await withServer(metricsRouter(exporter).fetch, async (url) => {
      const response = await fetch(new URL("/metrics", url));
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.doesNotMatch(text, new RegExp(SECRET));
      assert.match(text, /^workerkit_command_dispatches_total\{/m);
      checkMetrics(text);
      const other = await fetch(new URL("/admin/components", url));
      assert.equal(other.status, 404);
      await other.body?.cancel();
    });
  } finally {
    await runtime.shutdown();
    await meterProvider.shutdown();
  }
});

test("the metrics option is refused without auth, or without a Prometheus exporter", () => {
  const runtime = new Runtime({ name: "billing" });
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const invalid = (pattern: RegExp) => (e: unknown) =>
    e instanceof WorkerkitError && e.code === "invalid_argument" &&
    pattern.test(e.message);
  assert.throws(
    () => opsRouter({ runtime, metrics: exporter }),
    invalid(/metrics needs auth/),
  );
  assert.throws(
    () => opsRouter({ runtime, metrics: {} as never, auth }),
    invalid(/PrometheusExporter/),
  );
  assert.throws(
    () => metricsRouter(null as never),
    invalid(/PrometheusExporter/),
  );
  // Explicitly unauthenticated, for a listener nothing untrusted reaches.
  const open = opsRouter({
    runtime,
    metrics: exporter,
    unsafeAllowUnauthenticated: true,
  });
  assert.equal(typeof open.fetch, "function");
});

test("a failed collection answers 500 with fixed text, never the exporter's error", async () => {
  // Not registered with any MeterProvider: its collection rejects.
  const unbound = new PrometheusExporter({ preventServerStart: true });
  const app = opsRouter({
    runtime: new Runtime({ name: "billing" }),
    metrics: unbound,
    auth,
  });
  const response = await app.request("/metrics", {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), {
    error: {
      code: "metrics_collection_failed",
      message: "metrics collection failed",
    },
  });
});

test("a worker failure's private cause never reaches the scrape", async () => {
  const { exporter, meterProvider, runtime } = await metered();
  try {
    // A background failure whose cause holds the secret, public code only.
    let ctxReport: ((e: unknown) => void) | undefined;
    runtime.register({
      name: "broker",
      worker: {
        start(ctx) {
          ctxReport = (e) => ctx.worker.reportFailure(e);
        },
        stop() {},
      },
    });
    await runtime.start("broker");
    ctxReport!(
      new OperationalFailure(
        { code: "broker_lost", message: "broker connection lost" },
        { cause: new Error(`amqp://u:${SECRET}@broker`) },
      ),
    );
    const app = metricsRouter(exporter);
    const text = await (await app.request("/metrics")).text();
    assert.match(text, /workerkit_code="broker_lost"/);
    assert.doesNotMatch(text, new RegExp(SECRET));
    assert.doesNotMatch(text, /amqp:|broker connection lost/);
    checkMetrics(text);
  } finally {
    await runtime.shutdown();
    await meterProvider.shutdown();
  }
});

test("every unit becomes a name suffix before _total, as OpenTelemetry's Prometheus rules say, and the scrape stays lint-clean", async () => {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  try {
    const meter = meterProvider.getMeter("app");
    meter.createCounter("app.busy.time", { unit: "s" }).add(2, { pool: "a" });
    meter.createHistogram("app.payload.size", { unit: "By" }).record(512);
    meter.createCounter("app.jobs", { unit: "{job}" }).add(1);
    // Already suffixed: not doubled.
    meter.createUpDownCounter("app.cache_bytes", { unit: "By" }).add(64);
    const text = await (await metricsRouter(exporter).request("/metrics"))
      .text();
    assert.match(
      text,
      /^app_busy_time_seconds_total\{[^}]*pool="a"[^}]*\} 2$/m,
    );
    assert.match(text, /^# TYPE app_busy_time_seconds_total counter$/m);
    assert.match(text, /^app_payload_size_bytes_bucket\{/m);
    assert.match(text, /^app_payload_size_bytes_sum\{[^}]*\} 512$/m);
    assert.match(text, /^app_jobs_total\{/m);
    assert.match(text, /^app_cache_bytes\{[^}]*\} 64$/m);
    assert.doesNotMatch(text, /bytes_bytes|^app_busy_time_total/m);
    checkMetrics(text);
  } finally {
    await meterProvider.shutdown();
  }
});

test("no unhandled rejections", assertNoUnhandled);
