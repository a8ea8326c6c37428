/**
 * OpenTelemetry for a Workerkit runtime: {@linkcode otelObserver} records a
 * span per command dispatch and per check run (handlers run inside their
 * span, so their own spans nest) and counters and histograms with bounded
 * attributes. It depends on `@opentelemetry/api` only; the application
 * brings the SDK and exporters. Private failure causes are never recorded.
 *
 * @example Spans and metrics through explicit providers
 * ```ts
 * import { metrics, trace } from "@opentelemetry/api";
 * import { Runtime } from "@workerkit/core";
 * import { otelObserver } from "@workerkit/core/otel";
 *
 * const runtime = new Runtime({
 *   name: "billing",
 *   observer: otelObserver({
 *     tracerProvider: trace.getTracerProvider(),
 *     meterProvider: metrics.getMeterProvider(),
 *     attributes: { "deployment.slot": "blue" },
 *   }),
 * });
 * runtime.register({
 *   name: "prices",
 *   worker: { start() {}, stop() {} },
 *   commands: [{ name: "cache/refresh", handler: () => ({ message: "refreshed" }) }],
 * });
 * await runtime.startAll();
 * await runtime.dispatch({ worker: "prices", name: "cache/refresh" });
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 *
 * @module
 */

export { otelObserver } from "./otel_observer.ts";
export type {
  MeterProviderLike,
  OtelAttributes,
  OtelAttributeValue,
  OtelObserverOptions,
  TracerProviderLike,
} from "./otel_observer.ts";
