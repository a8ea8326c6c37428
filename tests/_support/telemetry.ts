// The real OpenTelemetry SDK for the observer tests: in-memory span
// exporter, a metric reader collected on demand, and an AsyncLocalStorage
// context manager, all torn down after each use.
import assert from "node:assert/strict";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  MeterProvider,
  type MetricData,
  MetricReader,
} from "@opentelemetry/sdk-metrics";

/** A reader the test collects from on demand. */
class TestReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Telemetry {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** The reader behind `collect`, for the raw resource metrics. */
  reader: MetricReader;
  spans(): ReadableSpan[];
  collect(): Promise<Map<string, MetricData>>;
}

/** The real SDK with in-memory exporters and an AsyncLocalStorage context manager. */
export async function withTelemetry(
  fn: (t: Telemetry) => Promise<void>,
): Promise<void> {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  try {
    await fn({
      tracerProvider,
      meterProvider,
      reader,
      spans: () => exporter.getFinishedSpans(),
      async collect() {
        const { resourceMetrics, errors } = await reader.collect();
        assert.deepEqual(errors, []);
        const byName = new Map<string, MetricData>();
        for (const scope of resourceMetrics.scopeMetrics) {
          for (const metric of scope.metrics) {
            byName.set(metric.descriptor.name, metric);
          }
        }
        return byName;
      },
    });
  } finally {
    context.disable();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  }
}
