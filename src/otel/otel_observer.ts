import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type MeterProvider,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import {
  type CheckEndEvent,
  type CheckObservation,
  type CheckStartEvent,
  type CommandEndEvent,
  type CommandObservation,
  type CommandStartEvent,
  type FailureEvent,
  type Observer,
  type ReadinessEvent,
  type Runtime,
  type TransitionEvent,
  WorkerkitError,
} from "../../mod.ts";
import { commandOutcome } from "./_outcome.ts";
import { Instruments } from "./_instruments.ts";
import { ATTR, SCOPE, SPAN, VERSION } from "./_names.ts";

/**
 * What {@linkcode otelObserver} needs of an OpenTelemetry `TracerProvider`:
 * any provider from `@opentelemetry/api` or an SDK fits. (A structural
 * type, so that these docs stand without the API package's.)
 *
 * @example The global provider fits
 * ```ts
 * import { trace } from "@opentelemetry/api";
 * import type { TracerProviderLike } from "@workerkit/core/otel";
 *
 * const provider: TracerProviderLike = trace.getTracerProvider();
 * console.log(typeof provider.getTracer); // "function"
 * ```
 */
export interface TracerProviderLike {
  /** Returns the tracer for an instrumentation scope (a `Tracer`). */
  getTracer(name: string, version?: string): unknown;
}

/**
 * What {@linkcode otelObserver} needs of an OpenTelemetry `MeterProvider`:
 * any provider from `@opentelemetry/api` or an SDK fits.
 *
 * @example The global provider fits
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import type { MeterProviderLike } from "@workerkit/core/otel";
 *
 * const provider: MeterProviderLike = metrics.getMeterProvider();
 * console.log(typeof provider.getMeter); // "function"
 * ```
 */
export interface MeterProviderLike {
  /** Returns the meter for an instrumentation scope (a `Meter`). */
  getMeter(name: string, version?: string): unknown;
}

/**
 * A static attribute value, as OpenTelemetry's `AttributeValue` allows it.
 *
 * @example
 * ```ts
 * import type { OtelAttributeValue } from "@workerkit/core/otel";
 *
 * const value: OtelAttributeValue = "blue";
 * console.log(value);
 * ```
 */
export type OtelAttributeValue =
  | string
  | number
  | boolean
  | ReadonlyArray<string | null | undefined>
  | ReadonlyArray<number | null | undefined>
  | ReadonlyArray<boolean | null | undefined>;

/**
 * Static attributes, e.g. `{ "deployment.slot": "blue" }`; an OpenTelemetry
 * `Attributes` object fits.
 *
 * @example
 * ```ts
 * import type { OtelAttributes } from "@workerkit/core/otel";
 *
 * const attributes: OtelAttributes = { "deployment.slot": "blue" };
 * console.log(attributes);
 * ```
 */
export type OtelAttributes = Readonly<
  Record<string, OtelAttributeValue | undefined>
>;

/**
 * Options of {@linkcode otelObserver}.
 *
 * @example Explicit providers and a static attribute
 * ```ts
 * import { metrics, trace } from "@opentelemetry/api";
 * import { otelObserver, type OtelObserverOptions } from "@workerkit/core/otel";
 *
 * const options: OtelObserverOptions = {
 *   tracerProvider: trace.getTracerProvider(),
 *   meterProvider: metrics.getMeterProvider(),
 *   attributes: { "deployment.slot": "blue" },
 * };
 * const observer = otelObserver(options);
 * console.log(typeof observer.commandStart); // "function"
 * ```
 */
export interface OtelObserverOptions {
  /**
   * Where spans go.
   *
   * @default {trace.getTracerProvider()}
   */
  tracerProvider?: TracerProviderLike;
  /**
   * Where metrics go. Without one, the global provider is looked up as
   * records are made, so an observer made before the SDK is registered
   * records once it is.
   *
   * @default {metrics.getMeterProvider()}
   */
  meterProvider?: MeterProviderLike;
  /**
   * Static attributes added to every span and every metric data point.
   * Keep them bounded (a deployment slot, not a request id); the
   * observer's own `workerkit.*` attributes win on a name clash.
   *
   * @default {{}}
   */
  attributes?: OtelAttributes;
}

const OPTIONS: ReadonlySet<string> = new Set([
  "tracerProvider",
  "meterProvider",
  "attributes",
]);

/**
 * An {@linkcode Observer} that reports a runtime to OpenTelemetry through
 * `@opentelemetry/api` alone (bring any SDK and exporter). Tracers and
 * meters are those of the instrumentation scope `@workerkit/core` with the
 * package's version.
 *
 * Spans (kind `INTERNAL`):
 * - `workerkit.command <name>` for each dispatch of a registered command,
 *   from admission to the caller's answer, child of the context active at
 *   `dispatch()` — so a dispatch made while handling an HTTP request that
 *   an OpenTelemetry middleware traces (e.g. `@hono/otel` with a W3C
 *   propagator and an `traceparent` header) continues the caller's trace.
 *   The handler runs inside the span's context, so spans it starts are its
 *   children. Attributes `workerkit.runtime`, `workerkit.worker`,
 *   `workerkit.command`, `workerkit.dispatch_id`, `workerkit.attempts`,
 *   `workerkit.outcome` (`ok`, `error`, `rejected`), and on failure
 *   `workerkit.code` and `error.type` (the public code) with status `ERROR`
 *   and the public message. Each retry adds a `workerkit.retry` event.
 * - `workerkit.check` for each check run, a root span (check loops run in
 *   the background; the context they were started in is not a parent),
 *   with `workerkit.check`, `workerkit.outcome` and, on error or timeout,
 *   `workerkit.code`, `error.type` and status `ERROR`. The checker runs
 *   inside the span's context, so its own spans are children.
 * - Transitions, readiness changes and non-command failures become events
 *   (`workerkit.transition`, `workerkit.readiness`, `workerkit.failure`) on
 *   the active span when there is a recording one, e.g. an application's
 *   startup span or a handler's command span; otherwise they are skipped.
 *
 * Metrics (bounded attributes only: runtime, worker, command, check,
 * outcome, code, kind, state, `error.type` — never a dispatch id, payload
 * or error text): `workerkit.command.dispatches` (counter),
 * `workerkit.command.duration` (histogram, s, `error.type` on failures;
 * admission refusals not recorded), `workerkit.check.executions`
 * (counter), `workerkit.check.duration` (histogram, s, `error.type` on
 * error and timeout), `workerkit.failures` (counter by kind and code),
 * `workerkit.worker.instances` (asynchronous up-down counter by state, read
 * from the runtime's `workers()` at collection, so it equals `status()`'s
 * per-state counts; `workerkit.workers` is its deprecated former name,
 * kept for one release).
 *
 * The private `cause` of a failure is never recorded — no
 * `span.recordException(cause)`, whose message and stack would publish
 * arbitrary error text; spans carry the public code and message only.
 * Without an SDK (the API's no-op providers) nothing is built: a no-op
 * span gets no attributes set and no context, no metric point is made.
 *
 * @param options Providers (global ones by default) and static attributes.
 * @returns An observer to pass as the runtime's `observer` (or to
 * `multiObserver`).
 * @throws {WorkerkitError} `invalid_argument` if `options` or `attributes`
 * is not an object, a provider lacks its `getTracer` / `getMeter` method,
 * or an option is unknown.
 *
 * @example Tracing and metering a runtime with the global providers
 * ```ts
 * import { Runtime } from "@workerkit/core";
 * import { otelObserver } from "@workerkit/core/otel";
 *
 * const runtime = new Runtime({ name: "billing", observer: otelObserver() });
 * runtime.register({
 *   name: "prices",
 *   worker: { start() {}, stop() {} },
 *   commands: [{ name: "cache/refresh", handler: () => ({ message: "refreshed" }) }],
 * });
 * await runtime.startAll();
 * await runtime.dispatch({ worker: "prices", name: "cache/refresh" }); // one span, one count
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export function otelObserver(options: OtelObserverOptions = {}): Observer {
  const fixed = checkOptions(options);
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = tracerProvider.getTracer(SCOPE, VERSION) as Tracer;
  const tracing = tracingTest(tracerProvider);
  const instruments = new Instruments(
    options.meterProvider as MeterProvider | undefined,
    fixed,
  );

  return {
    attach(runtime: Runtime): void {
      instruments.attach(runtime);
    },
    transition(e: TransitionEvent): void {
      instruments.follow();
      const span = activeRecording();
      if (span !== undefined) {
        span.addEvent(SPAN.transition, transitionAttributes(e));
      }
    },
    readiness(e: ReadinessEvent): void {
      const span = activeRecording();
      if (span === undefined) return;
      const attributes: Attributes = {
        [ATTR.runtime]: e.runtime,
        [ATTR.ready]: e.ready,
      };
      if (e.worker !== undefined) attributes[ATTR.worker] = e.worker;
      span.addEvent(SPAN.readiness, attributes);
    },
    failure(e: FailureEvent): void {
      instruments.failure(e);
      // A command attempt's failure is emitted in the caller's context, not
      // the command span's: the command span records it (status, code,
      // attempts) and the failures counter counts it.
      if (e.kind === "command") return;
      const span = activeRecording();
      if (span === undefined) return;
      const attributes: Attributes = {
        [ATTR.runtime]: e.runtime,
        [ATTR.worker]: e.worker,
        [ATTR.kind]: e.kind,
        [ATTR.code]: e.code,
      };
      if (e.attempt !== undefined) attributes[ATTR.attempt] = e.attempt;
      span.addEvent(SPAN.failure, attributes);
    },
    commandStart(e: CommandStartEvent): CommandObservation {
      if (!tracing()) return instruments.commandsOnly;
      return followCommand(tracer, instruments, fixed, e);
    },
    checkStart(e: CheckStartEvent): CheckObservation {
      if (!tracing()) return instruments.checksOnly;
      return followCheck(tracer, instruments, fixed, e);
    },
  };
}

/** The API's own no-op provider, which a proxy delegates to until an SDK is set. */
const NOOP_TRACER_PROVIDER: unknown = new ProxyTracerProvider().getDelegate();

/**
 * Whether spans may be recorded: false only while the provider is the API's
 * proxy with no SDK behind it (its spans would record nothing, and the
 * context they would carry is the caller's, which stays active anyway).
 * Asked at each dispatch, so an SDK registered later is used at once.
 */
function tracingTest(provider: TracerProviderLike): () => boolean {
  if (!(provider instanceof ProxyTracerProvider)) return () => true;
  return () => provider.getDelegate() !== NOOP_TRACER_PROVIDER;
}

function checkOptions(options: OtelObserverOptions): Attributes {
  if (options === null || typeof options !== "object") {
    throw invalid("otelObserver() options must be an object");
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) {
      throw invalid(`otelObserver() has no option ${JSON.stringify(key)}`);
    }
  }
  const statics = options.attributes ?? {};
  if (statics === null || typeof statics !== "object") {
    throw invalid("attributes must be an object");
  }
  if (
    options.tracerProvider !== undefined &&
    typeof options.tracerProvider?.getTracer !== "function"
  ) {
    throw invalid("tracerProvider must have a getTracer() method");
  }
  if (
    options.meterProvider !== undefined &&
    typeof options.meterProvider?.getMeter !== "function"
  ) {
    throw invalid("meterProvider must have a getMeter() method");
  }
  return { ...statics } as Attributes;
}

function followCommand(
  tracer: Tracer,
  instruments: Instruments,
  fixed: Attributes,
  e: CommandStartEvent,
): CommandObservation {
  const span = tracer.startSpan(spanName(e.command), {
    kind: SpanKind.INTERNAL,
    attributes: {
      ...fixed,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.command]: e.command,
      [ATTR.dispatchId]: e.dispatchId,
    },
  });
  // A span with nothing to record or propagate (the API's no-op span) is
  // simply dropped: the shared observation only counts the dispatch.
  if (!carriesContext(span)) return instruments.commandsOnly;
  const observation: CommandObservation = {
    end(end: CommandEndEvent): void {
      const outcome = commandOutcome(end);
      if (span.isRecording()) {
        span.setAttribute(ATTR.attempts, end.attempts);
        span.setAttribute(ATTR.outcome, outcome);
        if (!end.ok) fail(span, end.code, end.message);
      }
      span.end();
      instruments.command(end, outcome);
    },
  };
  let inside: Context | undefined;
  let attempts = 0;
  observation.wrap = <T>(fn: () => T): T => {
    attempts++;
    if (attempts > 1 && span.isRecording()) {
      span.addEvent(SPAN.retry, { [ATTR.attempt]: attempts });
    }
    inside ??= trace.setSpan(context.active(), span);
    return context.with(inside, fn);
  };
  return observation;
}

function followCheck(
  tracer: Tracer,
  instruments: Instruments,
  fixed: Attributes,
  e: CheckStartEvent,
): CheckObservation {
  // A root span: check loops run in the background for the life of the
  // process, and the context they were started in (a startup span, say)
  // must not become the parent of every run.
  const span = tracer.startSpan(SPAN.check, {
    kind: SpanKind.INTERNAL,
    attributes: {
      ...fixed,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.check]: e.check,
    },
  }, ROOT_CONTEXT);
  if (!carriesContext(span)) return instruments.checksOnly;
  const observation: CheckObservation = {
    end(end: CheckEndEvent): void {
      if (span.isRecording()) {
        span.setAttribute(ATTR.outcome, end.outcome);
        if (end.outcome === "error" || end.outcome === "timeout") {
          fail(span, end.code, end.message);
        }
      }
      span.end();
      instruments.check(end);
    },
  };
  const inside = trace.setSpan(ROOT_CONTEXT, span);
  observation.wrap = <T>(fn: () => T): T => context.with(inside, fn);
  return observation;
}

const SPAN_NAMES = new Map<string, string>();

/** `workerkit.command <name>`, made once per command name. */
function spanName(command: string): string {
  let name = SPAN_NAMES.get(command);
  if (name === undefined) {
    name = `${SPAN.command} ${command}`;
    // Command names are registered, so the map is bounded by the app.
    SPAN_NAMES.set(command, name);
  }
  return name;
}

/**
 * Whether the handler must run in the span's context: a recording span,
 * or a non-recording one that still carries a trace (a sampled-out
 * parent's) to propagate. The API's no-op span carries neither.
 */
function carriesContext(span: Span): boolean {
  if (span.isRecording()) return true;
  const spanContext = span.spanContext();
  // The identity test first: validating the no-op span's ids costs more.
  return spanContext !== INVALID_SPAN_CONTEXT &&
    isSpanContextValid(spanContext);
}

/** `workerkit.code`, `error.type` and `ERROR` with the public message. */
function fail(
  span: Span,
  code: string | undefined,
  message: string | undefined,
): void {
  if (code !== undefined) {
    span.setAttribute(ATTR.code, code);
    span.setAttribute(ATTR.errorType, code);
  }
  span.setStatus(
    message === undefined
      ? { code: SpanStatusCode.ERROR }
      : { code: SpanStatusCode.ERROR, message },
  );
}

function transitionAttributes(e: TransitionEvent): Attributes {
  const attributes: Attributes = {
    [ATTR.runtime]: e.runtime,
    [ATTR.from]: e.from,
    [ATTR.to]: e.to,
  };
  if (e.worker !== undefined) attributes[ATTR.worker] = e.worker;
  if (e.reason !== undefined) attributes[ATTR.reason] = e.reason;
  return attributes;
}

/** The active span when it is recording, else undefined. */
function activeRecording(): Span | undefined {
  const span = trace.getActiveSpan();
  return span !== undefined && span.isRecording() ? span : undefined;
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
