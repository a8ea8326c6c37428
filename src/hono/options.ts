import type { Context, MiddlewareHandler } from "hono";
import { OpsRegistry, Runtime, WorkerkitError } from "../../mod.ts";
import { checkExporter, type PrometheusExporterLike } from "./metrics_route.ts";

/**
 * Decides whether a request may use the admin routes: `true` lets it
 * through; anything else — `false`, a non-boolean, a throw or a rejection —
 * answers 401.
 *
 * @param c The Hono request context.
 * @returns `true` to allow the request.
 *
 * @example An API key compared in constant time
 * ```ts
 * import { timingSafeEqual } from "hono/utils/buffer";
 * import { Runtime } from "@workerkit/core";
 * import { type OpsAuthPredicate, opsRouter } from "@workerkit/core/hono";
 *
 * const key = "change-me";
 * const auth: OpsAuthPredicate = (c) =>
 *   timingSafeEqual(c.req.header("x-api-key") ?? "", key);
 * const app = opsRouter({ runtime: new Runtime({ name: "billing" }), auth });
 * const response = await app.request("/admin/components", { headers: { "x-api-key": key } });
 * console.log(response.status); // 200
 * ```
 */
export type OpsAuthPredicate = (c: Context) => boolean | Promise<boolean>;

/**
 * Options of {@linkcode opsRouter}. At least one of `runtime` and
 * `registry` is required.
 *
 * @example Read-only probes and inspection for a registry
 * ```ts
 * import { OpsRegistry, Runtime } from "@workerkit/core";
 * import { opsRouter, type OpsRouterOptions } from "@workerkit/core/hono";
 *
 * const runtime = new Runtime({ name: "billing" });
 * const registry = new OpsRegistry();
 * registry.register(runtime);
 * const options: OpsRouterOptions = { runtime, registry, prefix: "/ops", auth: () => true };
 * const app = opsRouter(options);
 * console.log((await app.request("/ops/components")).status); // 200
 * ```
 */
export interface OpsRouterOptions {
  /**
   * The runtime: `/livez` follows its `live()`; commands and lifecycle
   * routes act on it; without a registry, `/readyz` and the component
   * routes show it as the single component.
   */
  runtime?: Runtime;
  /**
   * The ops registry behind `/readyz` and the component routes. Register
   * the runtime in it yourself to have it counted.
   */
  registry?: OpsRegistry;
  /**
   * Where the admin routes live: one or more `/`-separated segments of
   * `A-Z a-z 0-9 . _ ~ -`, no trailing slash, not `/livez` or `/readyz`.
   *
   * @default {"/admin"}
   */
  prefix?: string;
  /**
   * A predicate guarding every route under `prefix`; mutually exclusive
   * with `authMiddleware`.
   */
  auth?: OpsAuthPredicate;
  /**
   * A Hono middleware guarding every route under `prefix`, e.g.
   * `bearerAuth({ token })` from `hono/bearer-auth`; mutually exclusive
   * with `auth`. An `HTTPException` it throws is answered with its status
   * (and `WWW-Authenticate` header) in the router's JSON error format; any
   * other throw, or returning without a response and without calling
   * `next`, answers 401.
   */
  authMiddleware?: MiddlewareHandler;
  /**
   * Enables `POST {prefix}/commands/dispatch`. Needs `runtime` and auth.
   *
   * @default {false}
   */
  commands?: boolean;
  /**
   * Enables `POST {prefix}/workers/{start,drain,stop}` and
   * `POST {prefix}/runtime/{start,drain,stop}`. Needs `runtime` and auth.
   *
   * @default {false}
   */
  lifecycle?: boolean;
  /**
   * Enables the live ops page: `GET {prefix}` (an HTML shell with no data
   * in it, served without auth so a browser can open it) and `GET
   * {prefix}/events` (Server-Sent Events behind auth, which the page reads
   * with the token it was given in the URL fragment). Needs `runtime` and
   * auth. The page shows start/drain/stop buttons only with `lifecycle`
   * and the dispatch form only with `commands`.
   *
   * @default {false}
   */
  dashboard?: boolean;
  /**
   * Enables `GET /metrics` (at the root, like `/livez`, behind `auth`): the Prometheus text format, collected
   * on each scrape from a `PrometheusExporter`
   * (`@opentelemetry/exporter-prometheus`, made with `preventServerStart:
   * true` and registered as a reader of the `MeterProvider` that
   * `otelObserver` reports to). Behind auth like every route under
   * `prefix`, so it needs auth (or `unsafeAllowUnauthenticated: true`); to
   * expose metrics without auth, serve {@linkcode metricsRouter} on an
   * internal port instead.
   */
  metrics?: PrometheusExporterLike;
  /**
   * The most dashboard event streams open at once; one more answers 429
   * `too_many_streams`.
   *
   * @default {16}
   */
  maxEventStreams?: number;
  /**
   * How often an idle event stream sends a `: ping` comment, in ms, so
   * proxies keep it open and the page notices a dead connection.
   *
   * @default {15000}
   */
  heartbeatInterval?: number;
  /**
   * How many recent public events the router keeps for the dashboard: a
   * new stream replays them first, and a reconnecting one resumes after
   * its `Last-Event-ID` without a gap or a duplicate while the events it
   * missed are still kept. 0 keeps none.
   *
   * @default {500}
   */
  eventHistory?: number;
  /**
   * The width of the dashboard's chart buckets, in ms: command
   * throughput, failures and p50/p99 latency are aggregated per bucket on
   * the server. At least 100.
   *
   * @default {10000}
   */
  chartBucket?: number;
  /**
   * How far back the dashboard's charts and timelines go, in ms: a whole
   * number of `chartBucket`s, at most 1,000 of them.
   *
   * @default {900000}
   */
  chartWindow?: number;
  /**
   * An event stream whose client has not taken a write for this long, in
   * ms, is closed, so a client that stopped reading frees its slot.
   *
   * @default {30000}
   */
  eventStreamWriteTimeout?: number;
  /**
   * What the dashboard's header shows about this process: `host` (the
   * default is `POD_NAME`, else `HOSTNAME`, else Deno's `hostname()`) and
   * the service's own `version` (none by default).
   */
  identity?: { host?: string; version?: string };
  /**
   * Closes the router's long-lived responses: when it aborts, open event
   * streams end and new ones answer 503 `shutting_down`. They also end
   * when the runtime's service begins stopping (`runService`) or its
   * shutdown begins, so they never hold a graceful HTTP shutdown open.
   */
  signal?: AbortSignal;
  /**
   * Allows `commands`, `lifecycle` or `dashboard` without `auth` or
   * `authMiddleware`. Only for a listener nothing untrusted can reach.
   *
   * @default {false}
   */
  unsafeAllowUnauthenticated?: boolean;
  /**
   * The largest request body accepted, in bytes; larger ones answer 413.
   *
   * @default {65536}
   */
  bodyLimit?: number;
  /**
   * A per-request deadline for every route under `prefix`, in ms, counted
   * from the request's arrival (auth included); past it the answer is 504
   * `deadline_exceeded`. For dispatch and the lifecycle routes it is also
   * the runtime call's signal, so the 504 means the command or operation
   * was abandoned, not left running. No deadline when absent.
   */
  timeout?: number;
  /**
   * The lifecycle routes' own deadline, in ms, counted from the request's
   * arrival: auth, the body, the wait for another lifecycle operation and
   * the operation itself. It is the runtime call's signal, so past it the
   * answer is 504 `deadline_exceeded` and the operation was abandoned: a
   * queued one never runs, a running one has its signal aborted. `timeout`
   * applies too when it is shorter. Raise it above the longest
   * `startTimeout` / `stopTimeout` a runtime-wide call adds up to.
   *
   * @default {30000}
   */
  lifecycleTimeout?: number;
  /**
   * How long, in ms, an `Idempotency-Key` on `POST {prefix}/commands/dispatch`
   * is remembered: a retry with the same key and body within it gets the
   * first answer again (`Idempotent-Replayed: true`) instead of running the
   * command twice. Keys are per worker and command, kept in this process
   * only (at most 10,000; the oldest is forgotten first). `0` turns the
   * header off (it is then ignored).
   *
   * @default {600000}
   */
  idempotencyWindow?: number;
}

/**
 * Where the router reads readiness and components from: an
 * {@linkcode OpsRegistry}, or one that holds only the runtime.
 */
export type OpsView = Pick<
  OpsRegistry,
  "readiness" | "components" | "component"
>;

/** The checked, normalised options. */
export interface RouterSettings {
  runtime: Runtime | undefined;
  registry: OpsRegistry | undefined;
  prefix: string;
  auth: OpsAuthPredicate | undefined;
  authMiddleware: MiddlewareHandler | undefined;
  commands: boolean;
  lifecycle: boolean;
  dashboard: boolean;
  metrics: PrometheusExporterLike | undefined;
  maxEventStreams: number;
  heartbeatInterval: number;
  eventHistory: number;
  chartBucket: number;
  chartWindow: number;
  eventStreamWriteTimeout: number;
  identity: { host?: string; version?: string } | undefined;
  signal: AbortSignal | undefined;
  bodyLimit: number;
  timeout: number | undefined;
  lifecycleTimeout: number;
  idempotencyWindow: number;
}

const KNOWN = new Set([
  "runtime",
  "registry",
  "prefix",
  "auth",
  "authMiddleware",
  "commands",
  "lifecycle",
  "dashboard",
  "metrics",
  "maxEventStreams",
  "heartbeatInterval",
  "eventHistory",
  "chartBucket",
  "chartWindow",
  "eventStreamWriteTimeout",
  "identity",
  "signal",
  "unsafeAllowUnauthenticated",
  "bodyLimit",
  "timeout",
  "lifecycleTimeout",
  "idempotencyWindow",
]);

const MAX_TIMER_MS = 2 ** 31 - 1;
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * Checks the router's options, failing closed: `invalid_argument` for
 * anything invalid, as {@linkcode opsRouter} documents.
 */
export function routerSettings(options: OpsRouterOptions): RouterSettings {
  if (options === null || typeof options !== "object") {
    throw invalid("opsRouter() takes an options object");
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw invalid(`opsRouter() has no option ${JSON.stringify(key)}`);
    }
  }
  const { runtime, registry, auth, authMiddleware } = options;
  if (runtime !== undefined && !(runtime instanceof Runtime)) {
    throw invalid("runtime must be a Runtime");
  }
  if (registry !== undefined && !(registry instanceof OpsRegistry)) {
    throw invalid("registry must be an OpsRegistry");
  }
  if (runtime === undefined && registry === undefined) {
    throw invalid("opsRouter() needs a runtime, a registry or both");
  }
  if (auth !== undefined && typeof auth !== "function") {
    throw invalid("auth must be a function (c) => boolean | Promise<boolean>");
  }
  if (authMiddleware !== undefined && typeof authMiddleware !== "function") {
    throw invalid("authMiddleware must be a Hono middleware");
  }
  if (auth !== undefined && authMiddleware !== undefined) {
    throw invalid("pass auth or authMiddleware, not both");
  }
  const commands = flag(options, "commands");
  const lifecycle = flag(options, "lifecycle");
  const dashboard = flag(options, "dashboard");
  const unsafe = flag(options, "unsafeAllowUnauthenticated");
  if ((commands || lifecycle || dashboard) && runtime === undefined) {
    throw invalid("commands, lifecycle and dashboard routes need a runtime");
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid("signal must be an AbortSignal");
  }
  if (
    (commands || lifecycle || dashboard) && auth === undefined &&
    authMiddleware === undefined && !unsafe
  ) {
    throw invalid(
      "commands, lifecycle and dashboard need auth or authMiddleware " +
        "(or unsafeAllowUnauthenticated: true)",
    );
  }
  const { metrics } = options;
  if (metrics !== undefined) {
    checkExporter(metrics);
    if (auth === undefined && authMiddleware === undefined && !unsafe) {
      throw invalid(
        "metrics needs auth or authMiddleware (or unsafeAllowUnauthenticated: " +
          "true); metricsRouter() serves them without auth on an internal port",
      );
    }
  }
  return {
    runtime,
    registry,
    prefix: checkPrefix(options.prefix),
    auth,
    authMiddleware,
    commands,
    lifecycle,
    dashboard,
    metrics,
    maxEventStreams: checkMaxEventStreams(options.maxEventStreams),
    heartbeatInterval: checkHeartbeat(options.heartbeatInterval),
    ...checkDashboard(options),
    signal,
    bodyLimit: checkBodyLimit(options.bodyLimit),
    timeout: checkDeadline("timeout", options.timeout),
    lifecycleTimeout:
      checkDeadline("lifecycleTimeout", options.lifecycleTimeout) ?? 30_000,
    idempotencyWindow: checkIdempotencyWindow(options.idempotencyWindow),
  };
}

const DAY_MS = 86_400_000;

function checkIdempotencyWindow(window: unknown): number {
  if (window === undefined) return 600_000;
  if (typeof window !== "number" || !(window >= 0) || window > DAY_MS) {
    throw invalid(`idempotencyWindow must be a number of ms in [0, ${DAY_MS}]`);
  }
  return window;
}

function flag(
  options: OpsRouterOptions,
  key:
    | "commands"
    | "lifecycle"
    | "dashboard"
    | "unsafeAllowUnauthenticated",
): boolean {
  const value: unknown = options[key];
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw invalid(`${key} must be a boolean`);
  return value;
}

function checkPrefix(prefix: unknown): string {
  if (prefix === undefined) return "/admin";
  const problem = "prefix must be a path like /admin: segments of " +
    "A-Z a-z 0-9 . _ ~ -, no trailing slash, not /livez or /readyz";
  if (typeof prefix !== "string" || !prefix.startsWith("/")) {
    throw invalid(problem);
  }
  const segments = prefix.slice(1).split("/");
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === "." || segment === "..") {
      throw invalid(problem);
    }
  }
  if (prefix === "/livez" || prefix === "/readyz") throw invalid(problem);
  return prefix;
}

function checkBodyLimit(limit: unknown): number {
  if (limit === undefined) return 64 * 1024;
  if (
    typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1
  ) {
    throw invalid("bodyLimit must be a whole number of bytes >= 1");
  }
  return limit;
}

function checkMaxEventStreams(max: unknown): number {
  if (max === undefined) return 16;
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1) {
    throw invalid("maxEventStreams must be a whole number >= 1");
  }
  return max;
}

function checkHeartbeat(interval: unknown): number {
  if (interval === undefined) return 15_000;
  if (
    typeof interval !== "number" || !(interval >= 1) ||
    interval > MAX_TIMER_MS
  ) {
    throw invalid(
      `heartbeatInterval must be a number of ms in [1, ${MAX_TIMER_MS}]`,
    );
  }
  return interval;
}

function checkDashboard(options: OpsRouterOptions): Pick<
  RouterSettings,
  | "eventHistory"
  | "chartBucket"
  | "chartWindow"
  | "eventStreamWriteTimeout"
  | "identity"
> {
  const { eventHistory = 500, chartBucket = 10_000 } = options;
  const { chartWindow = 900_000, eventStreamWriteTimeout = 30_000 } = options;
  if (!wholeIn(eventHistory, 0, 100_000)) {
    throw invalid("eventHistory must be a whole number in [0, 100000]");
  }
  if (!wholeIn(chartBucket, 100, MAX_TIMER_MS)) {
    throw invalid(
      `chartBucket must be a whole number of ms in [100, ${MAX_TIMER_MS}]`,
    );
  }
  if (
    !wholeIn(chartWindow, chartBucket, chartBucket * 1_000) ||
    chartWindow % chartBucket !== 0
  ) {
    throw invalid(
      "chartWindow must be a whole number of chartBucket, at most 1000 of them",
    );
  }
  if (!wholeIn(eventStreamWriteTimeout, 1, MAX_TIMER_MS)) {
    throw invalid(
      `eventStreamWriteTimeout must be a whole number of ms in [1, ${MAX_TIMER_MS}]`,
    );
  }
  return {
    eventHistory,
    chartBucket,
    chartWindow,
    eventStreamWriteTimeout,
    identity: checkIdentity(options.identity),
  };
}

function wholeIn(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) &&
    value >= min && value <= max;
}

function checkIdentity(
  identity: unknown,
): { host?: string; version?: string } | undefined {
  if (identity === undefined) return undefined;
  const problem = "identity must be { host?: string; version?: string }";
  if (identity === null || typeof identity !== "object") throw invalid(problem);
  const out: { host?: string; version?: string } = {};
  for (const [key, value] of Object.entries(identity)) {
    if (key !== "host" && key !== "version") throw invalid(problem);
    if (value === undefined) continue;
    if (typeof value !== "string" || value.length > 253) throw invalid(problem);
    out[key] = value;
  }
  return out;
}

function checkDeadline(
  key: "timeout" | "lifecycleTimeout",
  ms: unknown,
): number | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== "number" || !(ms > 0) || ms > MAX_TIMER_MS) {
    throw invalid(`${key} must be a number of ms in (0, ${MAX_TIMER_MS}]`);
  }
  return ms;
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
