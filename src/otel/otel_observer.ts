import {
  type Attributes,
  type Context,
  context,
  type MeterProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import type {
  CheckEndEvent,
  CheckObservation,
  CheckStartEvent,
  CommandEndEvent,
  CommandObservation,
  CommandStartEvent,
  FailureEvent,
  Observer,
  ReadinessEvent,
  TransitionEvent,
} from "../../mod.ts";
import {
  publicEvent,
  type RuntimeEventMap,
  WorkerkitError,
} from "../../mod.ts";
import { commandOutcome, Instruments } from "./_instruments.ts";
import { ATTR, SCOPE, SPAN } from "./_names.ts";

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
  getTracer(name: string): unknown;
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
  getMeter(name: string): unknown;
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

/**
 * An {@linkcode Observer} that reports a runtime to OpenTelemetry through
 * `@opentelemetry/api` alone (bring any SDK and exporter).
 *
 * Spans (kind `INTERNAL`):
 * - `workerkit.command <name>` for each dispatch of a registered command,
 *   from admission to the caller's answer, child of the context active at
 *   `dispatch()`. The handler runs inside the span's context, so spans it
 *   starts are its children. Attributes `workerkit.runtime`,
 *   `workerkit.worker`, `workerkit.command`, `workerkit.dispatch_id`,
 *   `workerkit.attempts`, `workerkit.outcome` (`ok`, `error`, `rejected`),
 *   and on failure `workerkit.code` with status `ERROR` and the public
 *   message. Each retry adds a `workerkit.retry` event.
 * - `workerkit.check` for each check run, a root span (check loops run in
 *   the background; the context they were started in is not a parent), with
 *   `workerkit.check`, `workerkit.outcome` and, on error or timeout,
 *   `workerkit.code` and status `ERROR`.
 * - Transitions, readiness changes and non-command failures become events
 *   (`workerkit.transition`, `workerkit.readiness`, `workerkit.failure`) on
 *   the active span when there is a recording one, e.g. an application's
 *   startup span or a handler's command span; otherwise they are skipped.
 *
 * Metrics (bounded attributes only: runtime, worker, command, check,
 * outcome, code, kind, state — never a dispatch id, payload or error text):
 * `workerkit.command.dispatches` (counter), `workerkit.command.duration`
 * (histogram, s; refusals not recorded), `workerkit.check.executions`
 * (counter), `workerkit.check.duration` (histogram, s), `workerkit.failures`
 * (counter by kind and code), `workerkit.workers` (up-down counter by
 * state, kept from worker transitions: a worker that never transitioned is
 * not counted, and an unregistered one stays in its last state).
 *
 * The private `cause` of a failure is never recorded — no
 * `span.recordException(cause)`, whose message and stack would publish
 * arbitrary error text; spans carry the public code and message only.
 *
 * @param options Providers (global ones by default) and static attributes.
 * @returns An observer to pass as the runtime's `observer` (or to
 * `multiObserver`).
 * @throws {WorkerkitError} `invalid_argument` if `options` or `attributes` is
 * not an object, or a provider lacks its `getTracer` / `getMeter` method.
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
  if (options === null || typeof options !== "object") {
    throw new WorkerkitError(
      "invalid_argument",
      "otelObserver() options must be an object",
    );
  }
  const statics = options.attributes ?? {};
  if (statics === null || typeof statics !== "object") {
    throw new WorkerkitError(
      "invalid_argument",
      "attributes must be an object",
    );
  }
  if (
    options.tracerProvider !== undefined &&
    typeof options.tracerProvider?.getTracer !== "function"
  ) {
    throw new WorkerkitError(
      "invalid_argument",
      "tracerProvider must have a getTracer() method",
    );
  }
  if (
    options.meterProvider !== undefined &&
    typeof options.meterProvider?.getMeter !== "function"
  ) {
    throw new WorkerkitError(
      "invalid_argument",
      "meterProvider must have a getMeter() method",
    );
  }
  const fixed = { ...statics } as Attributes;
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = tracerProvider.getTracer(SCOPE) as Tracer;
  const instruments = new Instruments(
    options.meterProvider as MeterProvider | undefined,
    fixed,
  );

  return {
    transition(e: TransitionEvent): void {
      instruments.transition(e);
      annotate(SPAN.transition, transitionAttributes(e));
    },
    readiness(e: ReadinessEvent): void {
      annotate(
        SPAN.readiness,
        publicAttributes("readiness", e, ["runtime", "ready", "worker"]),
      );
    },
    failure(e: FailureEvent): void {
      instruments.failure(e);
      // A command attempt's failure is emitted in the caller's context, not
      // the command span's: the command span records it (status, code,
      // attempts) and the failures counter counts it.
      if (e.kind === "command") return;
      annotate(
        SPAN.failure,
        publicAttributes("failure", e, [
          "runtime",
          "worker",
          "kind",
          "code",
          "attempt",
        ]),
      );
    },
    commandStart(e: CommandStartEvent): CommandObservation {
      return followCommand(tracer, instruments, fixed, e);
    },
    checkStart(e: CheckStartEvent): CheckObservation {
      return followCheck(tracer, instruments, fixed, e);
    },
  };
}

function followCommand(
  tracer: Tracer,
  instruments: Instruments,
  fixed: Attributes,
  e: CommandStartEvent,
): CommandObservation {
  const span = tracer.startSpan(`${SPAN.command} ${e.command}`, {
    kind: SpanKind.INTERNAL,
    attributes: {
      ...fixed,
      ...publicAttributes("commandstart", e, [
        "runtime",
        "worker",
        "command",
        "dispatchId",
      ]),
    },
  });
  let inside: Context | undefined;
  let attempts = 0;
  return {
    wrap<T>(fn: () => T): T {
      attempts++;
      if (attempts > 1 && span.isRecording()) {
        span.addEvent(SPAN.retry, { [ATTR.attempt]: attempts });
      }
      inside ??= trace.setSpan(context.active(), span);
      return context.with(inside, fn);
    },
    end(end: CommandEndEvent): void {
      span.setAttribute(ATTR.attempts, end.attempts);
      span.setAttribute(ATTR.outcome, commandOutcome(end));
      if (!end.ok) {
        if (end.code !== undefined) span.setAttribute(ATTR.code, end.code);
        span.setStatus(errorStatus(end.message));
      }
      span.end();
      instruments.command(end);
    },
  };
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
      ...publicAttributes("checkstart", e, ["runtime", "worker", "check"]),
    },
  }, ROOT_CONTEXT);
  return {
    end(end: CheckEndEvent): void {
      span.setAttribute(ATTR.outcome, end.outcome);
      if (end.outcome === "error" || end.outcome === "timeout") {
        if (end.code !== undefined) span.setAttribute(ATTR.code, end.code);
        span.setStatus(errorStatus(end.message));
      }
      span.end();
      instruments.check(end);
    },
  };
}

/** `ERROR` with the public message (fixed or explicitly public text only). */
function errorStatus(
  message: string | undefined,
): { code: SpanStatusCode; message?: string } {
  return message === undefined
    ? { code: SpanStatusCode.ERROR }
    : { code: SpanStatusCode.ERROR, message };
}

function transitionAttributes(e: TransitionEvent): Attributes {
  return publicAttributes("transition", e, [
    "runtime",
    "from",
    "to",
    "worker",
    "reason",
  ]);
}

/**
 * Span attributes from the event's public fields, as `publicEvent` picks
 * them from the one shared list: `fields` chooses which of them this span
 * carries (bounded ones only), `ATTR` names them. An absent field is left out.
 */
function publicAttributes(
  type: keyof RuntimeEventMap,
  e: unknown,
  fields: ReadonlyArray<keyof typeof ATTR>,
): Attributes {
  const shown = publicEvent(type, e);
  const attributes: Attributes = {};
  for (const field of fields) {
    const value = shown[field];
    if (value !== undefined) attributes[ATTR[field]] = value;
  }
  return attributes;
}

/** Adds an event to the active span when it is recording; skips otherwise. */
function annotate(name: string, attributes: Attributes): void {
  const span = trace.getActiveSpan();
  if (span !== undefined && span.isRecording()) {
    span.addEvent(name, attributes);
  }
}
