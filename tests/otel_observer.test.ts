import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type Attributes,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type {
  BasicTracerProvider,
  ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import {
  checkLoop,
  OperationalFailure,
  Runtime,
  WorkerkitError,
} from "../mod.ts";
import type { Observer } from "../mod.ts";
import { otelObserver } from "../src/otel/mod.ts";
import {
  driveCheckRuns,
  observedRuntime,
  registerIngest,
  registerPrices,
  Transient,
} from "./_support/observed_story.ts";
import { withTelemetry } from "./_support/telemetry.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred, until } from "./_support/workers.ts";

const SECRET = "sk_live_SECRET";
const STATIC = { "deployment.slot": "blue" };

/**
 * A runtime whose handlers start spans of their own: `ok` before and after
 * an await, `fail` throws a secret, `flaky` fails once, `hold` holds the
 * worker's only slot.
 */
function setup(observer: Observer) {
  const { clock, runtime } = observedRuntime(observer);
  const app = trace.getTracer("app");
  const hold = deferred<void>();
  let flaky = 0;
  registerPrices(runtime, [
    {
      name: "cache/refresh",
      handler: async () => {
        app.startSpan("db.before-await").end();
        await Promise.resolve();
        await new Promise((resolve) => setTimeout(resolve, 1));
        app.startSpan("db.after-await").end();
        return { message: "refreshed" };
      },
    },
    {
      name: "fail",
      handler: () => {
        throw new Error(`stripe rejected ${SECRET}`);
      },
    },
    {
      name: "flaky",
      handler: (_request, c) => {
        app.startSpan(`attempt-${c.attempt}`).end();
        if (flaky++ === 0) throw new Transient(`again ${SECRET}`);
        return {};
      },
    },
    { name: "hold", handler: () => hold.promise },
  ]);
  const ingest = registerIngest(runtime);
  return {
    clock,
    runtime,
    hold,
    reportFailure: (error: unknown) => ingest().worker.reportFailure(error),
  };
}

/** Runs every kind of dispatch once, inside an application `request` span. */
async function dispatchStory(
  s: ReturnType<typeof setup>,
  tracerProvider: BasicTracerProvider,
): Promise<void> {
  const { runtime, clock, hold } = s;
  const tracer = tracerProvider.getTracer("app");
  await tracer.startActiveSpan("request", async (request) => {
    await runtime.dispatch({ worker: "prices", name: "cache/refresh" });
    await runtime.dispatch({ worker: "prices", name: "fail" }).catch(() => {});
    const retried = runtime.dispatch({ worker: "prices", name: "flaky" });
    await clock.advance(0);
    await retried;
    const held = runtime.dispatch({ worker: "prices", name: "hold" });
    await runtime.dispatch({ worker: "prices", name: "fail" }).catch(() => {});
    hold.resolve();
    await held;
    request.end();
  });
}

function assertNoSecret(value: unknown): void {
  const text = JSON.stringify(
    value,
    (_key, v) => typeof v === "bigint" ? String(v) : v,
  );
  assert.doesNotMatch(text, /sk_live_SECRET|stripe rejected|again /);
}

const byName = (spans: ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((span) => span.name === name);

test("command spans: name, kind, parent, attributes and status; handler spans nest inside", async () => {
  await withTelemetry(async ({ tracerProvider, meterProvider, spans }) => {
    const s = setup(
      otelObserver({ tracerProvider, meterProvider, attributes: STATIC }),
    );
    // Handler spans come from the global tracer provider, as libraries' do.
    trace.setGlobalTracerProvider(tracerProvider);
    try {
      await s.runtime.startAll();
      await dispatchStory(s, tracerProvider);
      await s.runtime.shutdown();
    } finally {
      trace.disable();
    }
    const all = spans();
    assertNoSecret(all.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      status: span.status,
    })));
    const [request] = byName(all, "request");
    assert.ok(request);
    const id = (span: ReadableSpan) => span.spanContext().spanId;

    const commands = all.filter((span) =>
      span.name.startsWith("workerkit.command ")
    );
    assert.deepEqual(commands.map((span) => span.name).sort(), [
      "workerkit.command cache/refresh",
      "workerkit.command fail",
      "workerkit.command fail",
      "workerkit.command flaky",
      "workerkit.command hold",
    ]);
    for (const span of commands) {
      assert.equal(span.kind, SpanKind.INTERNAL);
      assert.equal(
        span.parentSpanContext?.spanId,
        id(request),
        "child of the caller's span",
      );
      assert.equal(span.ended, true);
      assert.equal(span.events.some((e) => e.name === "exception"), false);
    }

    const [refresh] = byName(all, "workerkit.command cache/refresh");
    const dispatchId = refresh!.attributes["workerkit.dispatch_id"];
    assert.match(String(dispatchId), /^[0-9a-f]{8}-[0-9a-z]+$/);
    assert.deepEqual(refresh!.attributes, {
      "deployment.slot": "blue",
      "workerkit.runtime": "billing",
      "workerkit.worker": "billing/prices",
      "workerkit.command": "cache/refresh",
      "workerkit.dispatch_id": dispatchId,
      "workerkit.attempts": 1,
      "workerkit.outcome": "ok",
    });
    assert.equal(refresh!.status.code, SpanStatusCode.UNSET);
    for (const child of ["db.before-await", "db.after-await"]) {
      const [span] = byName(all, child);
      assert.equal(
        span?.parentSpanContext?.spanId,
        id(refresh!),
        `${child} nests in the command span`,
      );
    }

    const [failed, refused] = byName(all, "workerkit.command fail");
    assert.deepEqual(
      Object.keys(failed!.attributes).sort(),
      [
        "deployment.slot",
        "error.type",
        "workerkit.attempts",
        "workerkit.code",
        "workerkit.command",
        "workerkit.dispatch_id",
        "workerkit.outcome",
        "workerkit.runtime",
        "workerkit.worker",
      ],
    );
    assert.equal(failed!.attributes["workerkit.code"], "command_failed");
    assert.equal(failed!.attributes["error.type"], "command_failed");
    assert.equal(failed!.attributes["workerkit.outcome"], "error");
    assert.equal(failed!.attributes["workerkit.attempts"], 1);
    assert.deepEqual(failed!.status, {
      code: SpanStatusCode.ERROR,
      message: "command failed",
    });
    assert.equal(refused!.attributes["workerkit.outcome"], "rejected");
    assert.equal(refused!.attributes["workerkit.attempts"], 0);
    assert.equal(refused!.attributes["workerkit.code"], "worker_saturated");
    assert.equal(refused!.attributes["error.type"], "worker_saturated");
    assert.deepEqual(refused!.status, {
      code: SpanStatusCode.ERROR,
      message: "worker is saturated",
    });

    const [flaky] = byName(all, "workerkit.command flaky");
    assert.equal(flaky!.attributes["workerkit.attempts"], 2);
    assert.equal(flaky!.attributes["workerkit.outcome"], "ok");
    assert.equal(flaky!.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(
      flaky!.events.map((e) => [e.name, e.attributes]),
      [["workerkit.retry", { "workerkit.attempt": 2 }]],
    );
    for (const attempt of ["attempt-1", "attempt-2"]) {
      assert.equal(
        byName(all, attempt)[0]?.parentSpanContext?.spanId,
        id(flaky!),
        `${attempt} nests in the one command span`,
      );
    }
    // Command failures are on the command span, not events on the caller's.
    assert.deepEqual(request!.events, []);
  });
});

/** Every data point of a metric, as `[attributes, value]`. */
function points<T>(metric: MetricData | undefined): Array<[Attributes, T]> {
  assert.ok(metric, "metric exists");
  return (metric.dataPoints as Array<DataPoint<T>>).map((
    p,
  ) => [p.attributes, p.value]);
}

const ALLOWED_METRIC_KEYS = new Set([
  "deployment.slot",
  "error.type",
  "workerkit.runtime",
  "workerkit.worker",
  "workerkit.command",
  "workerkit.check",
  "workerkit.outcome",
  "workerkit.code",
  "workerkit.kind",
  "workerkit.state",
]);

function checkRuns(observer: Observer): void {
  driveCheckRuns(observer, [
    { outcome: "ready", durationMs: 3 },
    { outcome: "ready", durationMs: 5 },
    { outcome: "not_ready", durationMs: 4 },
    {
      outcome: "error",
      durationMs: 6,
      code: "worker_failed",
      message: "worker operation failed",
      cause: new Error(`db said ${SECRET}`),
    },
    {
      outcome: "timeout",
      durationMs: 2_000,
      code: "deadline_exceeded",
      message: "deadline exceeded",
    },
  ]);
}

test("metrics: names, units, bounded attribute sets and values; never a dispatch id or error text", async () => {
  await withTelemetry(
    async ({ tracerProvider, meterProvider, spans, collect }) => {
      const observer = otelObserver({
        tracerProvider,
        meterProvider,
        attributes: STATIC,
      });
      const s = setup(observer);
      await s.runtime.startAll();
      const started = await collect();
      assert.deepEqual(
        points<number>(started.get("workerkit.worker.instances")).map((
          [a, v],
        ) => [a["workerkit.state"], v]),
        [
          ["registered", 0],
          ["starting", 0],
          ["running", 2],
          ["draining", 0],
          ["stopping", 0],
          ["stopped", 0],
          ["failed", 0],
        ],
      );
      await dispatchStory(s, tracerProvider);
      s.reportFailure(
        new OperationalFailure(
          { code: "broker_lost", message: "broker connection lost" },
          { cause: new Error(`amqp://u:${SECRET}@broker`) },
        ),
      );
      await s.runtime.shutdown();
      checkRuns(observer);

      const collected = await collect();
      assert.deepEqual([...collected.keys()].sort(), [
        "workerkit.check.duration",
        "workerkit.check.executions",
        "workerkit.command.dispatches",
        "workerkit.command.duration",
        "workerkit.failures",
        "workerkit.worker.instances",
        "workerkit.workers",
      ]);
      const dispatchIds = new Set(
        spans().map((span) => span.attributes["workerkit.dispatch_id"]).filter(
          (id) => id !== undefined,
        ),
      );
      assert.equal(dispatchIds.size, 5);
      for (const metric of collected.values()) {
        assertNoSecret(metric);
        for (const point of metric.dataPoints) {
          for (const [key, value] of Object.entries(point.attributes)) {
            assert.ok(
              ALLOWED_METRIC_KEYS.has(key),
              `${metric.descriptor.name}: ${key}`,
            );
            assert.equal(dispatchIds.has(value!), false, "no dispatch id");
          }
        }
      }

      const base = {
        "deployment.slot": "blue",
        "workerkit.runtime": "billing",
        "workerkit.worker": "billing/prices",
      };
      const dispatches = collected.get("workerkit.command.dispatches")!;
      assert.equal(dispatches.descriptor.unit, "{dispatch}");
      assert.equal(dispatches.dataPointType, DataPointType.SUM);
      assert.deepEqual(points<number>(dispatches), [
        [{
          ...base,
          "workerkit.command": "cache/refresh",
          "workerkit.outcome": "ok",
        }, 1],
        [
          {
            ...base,
            "workerkit.command": "fail",
            "workerkit.outcome": "error",
            "workerkit.code": "command_failed",
          },
          1,
        ],
        [
          { ...base, "workerkit.command": "flaky", "workerkit.outcome": "ok" },
          1,
        ],
        [
          {
            ...base,
            "workerkit.command": "fail",
            "workerkit.outcome": "rejected",
            "workerkit.code": "worker_saturated",
          },
          1,
        ],
        [
          { ...base, "workerkit.command": "hold", "workerkit.outcome": "ok" },
          1,
        ],
      ]);

      const duration = collected.get("workerkit.command.duration")!;
      assert.equal(duration.descriptor.unit, "s");
      assert.equal(duration.dataPointType, DataPointType.HISTOGRAM);
      assert.deepEqual(
        points<Histogram>(duration).map(([a, v]) => [
          Object.keys(a).sort().join(","),
          a["workerkit.command"],
          a["workerkit.outcome"],
          v.count,
        ]),
        [
          [
            "deployment.slot,workerkit.command,workerkit.outcome,workerkit.runtime,workerkit.worker",
            "cache/refresh",
            "ok",
            1,
          ],
          [
            "deployment.slot,error.type,workerkit.command,workerkit.outcome,workerkit.runtime,workerkit.worker",
            "fail",
            "error",
            1,
          ],
          [
            "deployment.slot,workerkit.command,workerkit.outcome,workerkit.runtime,workerkit.worker",
            "flaky",
            "ok",
            1,
          ],
          [
            "deployment.slot,workerkit.command,workerkit.outcome,workerkit.runtime,workerkit.worker",
            "hold",
            "ok",
            1,
          ],
        ],
        "refusals are not timed",
      );
      const [, histogram] = points<Histogram>(duration)[0]!;
      assert.equal(
        histogram.buckets.boundaries[0],
        0.0001,
        "buckets in seconds",
      );

      assert.deepEqual(points<number>(collected.get("workerkit.failures")), [
        [
          {
            ...base,
            "workerkit.kind": "command",
            "workerkit.code": "command_failed",
            "error.type": "command_failed",
            "workerkit.command": "fail",
          },
          1,
        ],
        [
          {
            ...base,
            "workerkit.kind": "command",
            "workerkit.code": "command_failed",
            "error.type": "command_failed",
            "workerkit.command": "flaky",
          },
          1,
        ],
        [
          {
            ...base,
            "workerkit.worker": "billing/ingest",
            "workerkit.kind": "background",
            "workerkit.code": "broker_lost",
            "error.type": "broker_lost",
          },
          1,
        ],
      ]);

      const workers = collected.get("workerkit.worker.instances")!;
      assert.equal(workers.dataPointType, DataPointType.SUM);
      assert.equal((workers as { isMonotonic?: boolean }).isMonotonic, false);
      assert.equal(workers.descriptor.unit, "{worker}");
      const keys = "deployment.slot,workerkit.runtime,workerkit.state";
      assert.deepEqual(
        points<number>(workers).map(([a, v]) => [
          Object.keys(a).sort().join(","),
          a["workerkit.state"],
          v,
        ]),
        [
          [keys, "registered", 0],
          [keys, "starting", 0],
          [keys, "running", 0],
          [keys, "draining", 0],
          [keys, "stopping", 0],
          [keys, "stopped", 2],
          [keys, "failed", 0],
        ],
      );
      // The deprecated name reports the same points, one release long.
      assert.deepEqual(
        points<number>(collected.get("workerkit.workers")),
        points<number>(workers),
      );

      const checkBase = {
        "deployment.slot": "blue",
        "workerkit.runtime": "billing",
        "workerkit.worker": "billing/health",
        "workerkit.check": "database",
      };
      assert.deepEqual(
        points<number>(collected.get("workerkit.check.executions")),
        [
          [{ ...checkBase, "workerkit.outcome": "ready" }, 2],
          [{ ...checkBase, "workerkit.outcome": "not_ready" }, 1],
          [
            {
              ...checkBase,
              "workerkit.outcome": "error",
              "workerkit.code": "worker_failed",
            },
            1,
          ],
          [
            {
              ...checkBase,
              "workerkit.outcome": "timeout",
              "workerkit.code": "deadline_exceeded",
            },
            1,
          ],
        ],
      );
      const checkDuration = collected.get("workerkit.check.duration")!;
      assert.equal(checkDuration.descriptor.unit, "s");
      assert.deepEqual(
        points<Histogram>(checkDuration).map(([a]) => a["error.type"]),
        [undefined, undefined, "worker_failed", "deadline_exceeded"],
      );
      assert.deepEqual(
        points<Histogram>(checkDuration).map(([a, v]) => [
          a["workerkit.outcome"],
          v.count,
          v.sum,
        ]),
        [["ready", 2, 0.008], ["not_ready", 1, 0.004], ["error", 1, 0.006], [
          "timeout",
          1,
          2,
        ]],
      );
    },
  );
});

test("check spans: workerkit.check with the outcome, ERROR on error and timeout, no cause", async () => {
  await withTelemetry(async ({ tracerProvider, meterProvider, spans }) => {
    await Promise.resolve();
    checkRuns(otelObserver({ tracerProvider, meterProvider }));
    const checks = spans();
    assert.deepEqual(
      checks.map((span) => span.name),
      Array(5).fill("workerkit.check"),
    );
    assertNoSecret(
      checks.map((span) => [span.attributes, span.events, span.status]),
    );
    assert.deepEqual(
      checks.map((span) => [
        span.attributes["workerkit.outcome"],
        span.attributes["workerkit.code"],
        span.status.code,
        span.kind,
      ]),
      [
        ["ready", undefined, SpanStatusCode.UNSET, SpanKind.INTERNAL],
        ["ready", undefined, SpanStatusCode.UNSET, SpanKind.INTERNAL],
        ["not_ready", undefined, SpanStatusCode.UNSET, SpanKind.INTERNAL],
        ["error", "worker_failed", SpanStatusCode.ERROR, SpanKind.INTERNAL],
        [
          "timeout",
          "deadline_exceeded",
          SpanStatusCode.ERROR,
          SpanKind.INTERNAL,
        ],
      ],
    );
    assert.deepEqual(Object.keys(checks[3]!.attributes).sort(), [
      "error.type",
      "workerkit.check",
      "workerkit.code",
      "workerkit.outcome",
      "workerkit.runtime",
      "workerkit.worker",
    ]);
  });
});

test("a real checkLoop's runs become workerkit.check spans and check metrics", async () => {
  await withTelemetry(
    async ({ tracerProvider, meterProvider, spans, collect }) => {
      const { clock, runtime } = observedRuntime(
        otelObserver({ tracerProvider, meterProvider }),
      );
      const answers = [
        () => Promise.resolve({ ready: true }),
        () => Promise.reject(new Error(`db password ${SECRET} rejected`)),
        () => Promise.resolve({ ready: false, message: "replica lag" }),
      ];
      let runs = 0;
      runtime.register({
        name: "db",
        worker: checkLoop({
          name: "postgres",
          check: () => answers[runs++]?.() ?? Promise.resolve({ ready: true }),
        }, { interval: 1_000 }),
      });
      // Started inside an application span, which must not parent the runs.
      await tracerProvider.getTracer("app").startActiveSpan(
        "startup",
        async (startup) => {
          await runtime.start("db");
          startup.end();
        },
      );
      const checkSpans = () =>
        spans().filter((span) => span.name === "workerkit.check");
      await until(() => checkSpans().length === 1, "first check span");
      await clock.advance(1_000);
      await until(() => checkSpans().length === 2, "second check span");
      await clock.advance(1_000);
      await until(() => checkSpans().length === 3, "third check span");
      await runtime.shutdown();
      const checks = checkSpans().slice(0, 3);
      for (const span of checks) {
        assert.equal(span.parentSpanContext, undefined, "a root span");
      }
      assertNoSecret(
        checks.map((span) => [span.attributes, span.events, span.status]),
      );
      assert.deepEqual(
        checks.map((span) => [
          span.name,
          span.attributes["workerkit.worker"],
          span.attributes["workerkit.check"],
          span.attributes["workerkit.outcome"],
          span.attributes["workerkit.code"],
          span.status.code,
        ]),
        [
          [
            "workerkit.check",
            "billing/db",
            "postgres",
            "ready",
            undefined,
            SpanStatusCode.UNSET,
          ],
          [
            "workerkit.check",
            "billing/db",
            "postgres",
            "error",
            "worker_failed",
            SpanStatusCode.ERROR,
          ],
          [
            "workerkit.check",
            "billing/db",
            "postgres",
            "not_ready",
            undefined,
            SpanStatusCode.UNSET,
          ],
        ],
      );
      const collected = await collect();
      assertNoSecret(collected.get("workerkit.check.executions"));
      assert.deepEqual(
        points<number>(collected.get("workerkit.check.executions")).map((
          [a, v],
        ) => [
          a["workerkit.outcome"],
          a["workerkit.code"],
          v,
        ]),
        [["ready", undefined, 1], ["error", "worker_failed", 1], [
          "not_ready",
          undefined,
          1,
        ]],
      );
    },
  );
});

test("transitions, readiness and non-command failures are events on the active recording span, skipped otherwise", async () => {
  await withTelemetry(async ({ tracerProvider, meterProvider, spans }) => {
    const s = setup(otelObserver({ tracerProvider, meterProvider }));
    const tracer = tracerProvider.getTracer("app");
    await tracer.startActiveSpan("startup", async (startup) => {
      await s.runtime.startAll();
      startup.end();
    });
    tracer.startActiveSpan("broker-callback", (span) => {
      s.reportFailure(new Error(`lost ${SECRET}`));
      span.end();
    });
    // Outside any span: nothing to annotate, and nothing breaks.
    await s.runtime.stop("prices");
    await s.runtime.shutdown();

    const [startup] = byName(spans(), "startup");
    assert.deepEqual(
      startup!.events.map((e) => [e.name, e.attributes]),
      [
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.worker": "billing/prices",
          "workerkit.from": "registered",
          "workerkit.to": "starting",
        }],
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.from": "registered",
          "workerkit.to": "starting",
        }],
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.worker": "billing/prices",
          "workerkit.from": "starting",
          "workerkit.to": "running",
        }],
        ["workerkit.readiness", {
          "workerkit.runtime": "billing",
          "workerkit.worker": "billing/prices",
          "workerkit.ready": true,
        }],
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.from": "starting",
          "workerkit.to": "running",
        }],
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.worker": "billing/ingest",
          "workerkit.from": "registered",
          "workerkit.to": "starting",
        }],
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.from": "running",
          "workerkit.to": "starting",
        }],
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.worker": "billing/ingest",
          "workerkit.from": "starting",
          "workerkit.to": "running",
        }],
        ["workerkit.readiness", {
          "workerkit.runtime": "billing",
          "workerkit.worker": "billing/ingest",
          "workerkit.ready": true,
        }],
        ["workerkit.transition", {
          "workerkit.runtime": "billing",
          "workerkit.from": "starting",
          "workerkit.to": "running",
        }],
        ["workerkit.readiness", {
          "workerkit.runtime": "billing",
          "workerkit.ready": true,
        }],
      ],
    );
    const [callback] = byName(spans(), "broker-callback");
    assert.deepEqual(callback!.events.map((e) => [e.name, e.attributes]), [
      ["workerkit.failure", {
        "workerkit.runtime": "billing",
        "workerkit.worker": "billing/ingest",
        "workerkit.kind": "background",
        "workerkit.code": "worker_failed",
      }],
      ["workerkit.transition", {
        "workerkit.runtime": "billing",
        "workerkit.worker": "billing/ingest",
        "workerkit.from": "running",
        "workerkit.to": "failed",
      }],
      ["workerkit.readiness", {
        "workerkit.runtime": "billing",
        "workerkit.worker": "billing/ingest",
        "workerkit.ready": false,
      }],
      ["workerkit.readiness", {
        "workerkit.runtime": "billing",
        "workerkit.ready": false,
      }],
    ]);
    assert.equal(
      callback!.status.code,
      SpanStatusCode.UNSET,
      "the app's status is its own",
    );
    assertNoSecret(spans().map((span) => span.events));
    assert.deepEqual(spans().map((span) => span.name), [
      "startup",
      "broker-callback",
    ]);
  });
});

test("a failure reported from inside a handler is an event on its command span", async () => {
  await withTelemetry(async ({ tracerProvider, meterProvider, spans }) => {
    const runtime = new Runtime({
      name: "billing",
      observer: otelObserver({ tracerProvider, meterProvider }),
    });
    runtime.register({
      name: "prices",
      worker: { start() {}, stop() {} },
      commands: [{
        name: "give-up",
        handler: (_request, ctx) => {
          ctx.worker.reportFailure(new Error(`gave up ${SECRET}`));
          return { message: "reported" };
        },
      }],
    });
    await runtime.start("prices");
    await runtime.dispatch({ worker: "prices", name: "give-up" });
    await runtime.shutdown();
    const [command] = byName(spans(), "workerkit.command give-up");
    assert.deepEqual(command!.events.map((e) => e.name), [
      "workerkit.failure",
      "workerkit.transition",
      "workerkit.readiness",
      "workerkit.transition",
      "workerkit.readiness",
    ]);
    assert.deepEqual(command!.events[0]!.attributes, {
      "workerkit.runtime": "billing",
      "workerkit.worker": "billing/prices",
      "workerkit.kind": "background",
      "workerkit.code": "worker_failed",
    });
    assertNoSecret(command!.events);
  });
});

test("without providers it uses the global ones, even when they are registered after the observer is made", async () => {
  await withTelemetry(
    async ({ tracerProvider, meterProvider, spans, collect }) => {
      const s = setup(otelObserver());
      await s.runtime.startAll(); // no SDK yet: nothing recorded
      trace.setGlobalTracerProvider(tracerProvider);
      metrics.setGlobalMeterProvider(meterProvider);
      try {
        await s.runtime.dispatch({ worker: "prices", name: "fail" }).catch(
          () => {},
        );
        await s.runtime.shutdown();
      } finally {
        trace.disable();
        metrics.disable();
      }
      assert.deepEqual(
        spans().map((span) => span.name).filter((n) =>
          n.startsWith("workerkit")
        ),
        ["workerkit.command fail"],
      );
      const collected = await collect();
      assert.deepEqual(
        points<number>(collected.get("workerkit.command.dispatches")).map((
          [a, v],
        ) => [
          a["workerkit.command"],
          a["workerkit.outcome"],
          v,
        ]),
        [["fail", "error", 1]],
      );
      // Workers seen before the SDK came are replayed: all end stopped.
      assert.deepEqual(
        points<number>(collected.get("workerkit.workers"))
          .filter(([, v]) => v !== 0)
          .map(([a, v]) => [a["workerkit.state"], v]),
        [["stopped", 2]],
      );
    },
  );
});

test("otelObserver rejects bad options with invalid_argument", () => {
  const invalid = (e: unknown) =>
    e instanceof WorkerkitError && e.code === "invalid_argument";
  assert.throws(() => otelObserver(null as unknown as object), invalid);
  assert.throws(
    () => otelObserver({ attributes: "slot=blue" as unknown as Attributes }),
    invalid,
  );
  assert.throws(() => otelObserver({ tracerProvider: {} as never }), invalid);
  assert.throws(() => otelObserver({ meterProvider: {} as never }), invalid);
  assert.throws(
    () => otelObserver({ meterprovider: {} } as never),
    (e) => invalid(e) && /"meterprovider"/.test((e as Error).message),
  );
});

test("no unhandled rejections", assertNoUnhandled);
