import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { authGuard } from "./_auth_guard.ts";
import { dispatchPath, mountCommands } from "./_command_routes.ts";
import { mountComponents } from "./_component_routes.ts";
import { crossSiteGuard } from "./_cross_site_guard.ts";
import { mountDashboardPage, mountEventStream } from "./_dashboard_routes.ts";
import {
  failureForStatus,
  internalFailure,
  requestFailure,
} from "./_error_mapping.ts";
import { lifecyclePaths, mountLifecycle } from "./_lifecycle_routes.ts";
import { mountMetrics } from "./metrics_route.ts";
import { answerTimeout, operationDeadline } from "./_operation_deadline.ts";
import {
  type OpsRouterOptions,
  type RouterSettings,
  routerSettings,
} from "./options.ts";
import { opsView } from "./_ops_view.ts";
import { mountProbes } from "./_probe_routes.ts";
import { errorResponse } from "./respond.ts";
import { mountFallback } from "./_route_fallback.ts";

const PAYLOAD_TOO_LARGE = requestFailure(
  413,
  "payload_too_large",
  "payload too large",
);

/**
 * Builds the HTTP ops surface of a service as a Hono app; mount it with
 * `app.route("/", opsRouter(...))` or serve it as is, on any runtime.
 *
 * | route | when | answer |
 * |---|---|---|
 * | `GET /livez` | always, no auth | 200 `{ ok: true }`; 503 `{ ok: false }` while a `livenessOnStall` worker is stalled |
 * | `GET /readyz` | always, no auth | 200 / 503 `{ ready, reason?, components }` |
 * | `GET {prefix}/components` | always, behind auth | 200 `{ components }` |
 * | `GET {prefix}/components/:name` | always, behind auth | 200 detail with `inspect`; 404 unknown |
 * | `POST {prefix}/commands/dispatch` | `commands: true` | body `{ worker, name, payload? }` → 200 `{ worker, name, result }` |
 * | `POST {prefix}/workers/{start,drain,stop}` | `lifecycle: true` | body `{ worker }` → 200 `{ worker: WorkerSnapshot }` |
 * | `POST {prefix}/runtime/{start,drain,stop}` | `lifecycle: true` | empty body or `{}`, declared `application/json` → 200 `{ runtime: RuntimeStatus }` |
 * | `GET {prefix}` | `dashboard: true`, no auth | the live ops page: an HTML shell with no data, strict CSP |
 * | `GET /metrics` | `metrics: exporter` | Prometheus text format from the OpenTelemetry instruments (`@opentelemetry/exporter-prometheus`) |
 * | `GET {prefix}/events` | `dashboard: true` | Server-Sent Events: `snapshot`, then the runtime's events (public fields), `: ping` heartbeats; 429 `too_many_streams` past `maxEventStreams` |
 *
 * Every answer on these paths is JSON with `Cache-Control: no-store`,
 * mounted or served alone: a known path asked with another method answers
 * 405 `method_not_allowed` with `Allow`, anything else under `prefix` 404
 * `not_found`. Everything under `prefix` — known or not — is behind `auth`
 * / `authMiddleware` when one is given (401 without credentials, then 404
 * for a disabled or unknown route), except the dashboard's page shell: it
 * holds no data, so a browser can open it and pass the token from the
 * URL fragment (`{prefix}#token=…`) to the event stream and the controls.
 * Event streams end when the service begins stopping or `signal`
 * aborts. The read-only component routes are
 * served without auth when none is given, but they expose operational
 * state: protect the whole surface. Mutating routes refuse to exist
 * without auth (fail closed), and refuse cross-site browser requests
 * (`Sec-Fetch-Site`, else `Origin`) with 403 `cross_site_request`, so a
 * cookie-based `auth` cannot be used from another site.
 *
 * Dispatch and the lifecycle calls get the request's abort signal as their
 * caller signal, with the router's deadlines (`timeout`; for lifecycle
 * also `lifecycleTimeout`, 30 s by default) counted from the request's
 * arrival: a client that disconnects aborts the handler's `ctx.signal`,
 * and a 504 means the command or operation was abandoned (a queued
 * lifecycle call never runs).
 *
 * Request bodies are strict JSON (`Content-Type: application/json`, else
 * 415, even when empty; malformed → 400 `invalid_json`; unknown fields or wrong types → 400
 * `invalid_argument`; bad names → 400 `invalid_name`), capped by Hono's
 * `bodyLimit` (413). Errors answer `{ error: { code, message } }` with
 * public text only: 404 worker / command not found; 409 not accepting
 * work, invalid state, loop worker active, ops `rejected`; 429 saturated;
 * 503 runtime not accepting work, canceled, shut down, retry budget
 * exhausted; 504 deadline exceeded (the command's, or the router's
 * `timeout` / `lifecycleTimeout`); 500 command failed (generic, or the public code and message
 * of an `OperationalFailure` or ops `failed` result). Stop routes do not
 * wait for in-flight commands.
 *
 * @param options The runtime and/or registry, the prefix, auth, which
 * mutating routes and the dashboard to enable, the body limit, the
 * deadlines and the event streams' limits.
 * @returns A Hono app with the routes above, its own `onError` (generic
 * 500 for anything unexpected), JSON 405 / 404 routes for its paths and a
 * `notFound` (404 JSON) for when it is served alone.
 * @throws {WorkerkitError} `invalid_argument` when neither `runtime` nor
 * `registry` is given, `commands`, `lifecycle` or `dashboard` is enabled
 * without a `runtime`, or without `auth` or `authMiddleware` (unless
 * `unsafeAllowUnauthenticated: true`), both `auth` and `authMiddleware`
 * are given, an option is unknown (the message names it) or has the wrong
 * type, `prefix` is not a path like `/admin`, `bodyLimit` or
 * `maxEventStreams` is not a whole number >= 1, `timeout` or
 * `lifecycleTimeout` is not a number of ms in (0, 2^31 − 1],
 * `heartbeatInterval` not one in [1, 2^31 − 1], or `metrics` is not a
 * `PrometheusExporter` or is given without auth.
 *
 * @example Probes and a bearer-protected admin API on a runtime
 * ```ts
 * import { Hono } from "hono";
 * import { bearerAuth } from "hono/bearer-auth";
 * import { Runtime } from "@workerkit/core";
 * import { opsRouter } from "@workerkit/core/hono";
 *
 * const runtime = new Runtime({ name: "billing" });
 * runtime.register({
 *   name: "prices",
 *   worker: { start() {}, stop() {} },
 *   commands: [{ name: "cache/refresh", handler: () => ({ message: "refreshed" }) }],
 * });
 * await runtime.startAll();
 *
 * const app = new Hono();
 * app.route("/", opsRouter({
 *   runtime,
 *   authMiddleware: bearerAuth({ token: "change-me" }),
 *   commands: true,
 *   lifecycle: true,
 *   timeout: 10_000,
 * }));
 *
 * console.log((await app.request("/readyz")).status); // 200
 * const response = await app.request("/admin/commands/dispatch", {
 *   method: "POST",
 *   headers: { authorization: "Bearer change-me", "content-type": "application/json" },
 *   body: JSON.stringify({ worker: "prices", name: "cache/refresh" }),
 * });
 * console.log(await response.json());
 * // { worker: "prices", name: "cache/refresh", result: { message: "refreshed" } }
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 */
export function opsRouter(options: OpsRouterOptions): Hono {
  const settings = routerSettings(options);
  const view = opsView(settings.runtime, settings.registry);
  const { prefix, runtime } = settings;
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      if (error.status < 400 && error.res !== undefined) {
        return error.getResponse();
      }
      const challenge = error.res?.headers.get("www-authenticate");
      return errorResponse(
        c,
        failureForStatus(error.status),
        challenge ? { "www-authenticate": challenge } : undefined,
      );
    }
    return errorResponse(c, internalFailure());
  });
  app.notFound((c) =>
    errorResponse(c, requestFailure(404, "not_found", "not found"))
  );

  mountProbes(app, settings, view);

  // Everything under the prefix (`{prefix}/*` matches `{prefix}` itself
  // too): the deadlines, then auth, then the cross-site check and the body
  // cap.
  const admin = `${prefix}/*`;
  mountDeadlines(app, settings);
  // The dashboard's HTML shell holds no data and must open in a browser
  // without credentials: it answers before the guard runs.
  if (settings.dashboard) mountDashboardPage(app, settings);
  const guard = authGuard(settings.auth, settings.authMiddleware);
  if (guard !== undefined) app.use(admin, guard);
  app.use(admin, crossSiteGuard());
  app.use(
    admin,
    bodyLimit({
      maxSize: settings.bodyLimit,
      // The rest of the body is left unread, so the connection cannot be
      // reused: close it (Node's server would otherwise desynchronise it).
      onError: (c) =>
        errorResponse(c, PAYLOAD_TOO_LARGE, { connection: "close" }),
    }),
  );

  mountComponents(app, settings, view);
  if (settings.commands) mountCommands(app, settings, runtime!);
  if (settings.lifecycle) mountLifecycle(app, settings, runtime!);
  if (settings.dashboard) mountEventStream(app, settings, runtime!);
  if (settings.metrics) {
    // At the root, where scrapers look (like `/livez`), but behind auth
    // like the prefix: the router's `auth` decides who may scrape.
    if (guard !== undefined) app.use("/metrics", guard);
    mountMetrics(app, "/metrics", settings.metrics);
  }

  // Last: JSON 405 / 404 for whatever no route above took.
  mountFallback(app, settings);
  return app;
}

/**
 * The operation routes' deadlines start as the request arrives, before
 * auth, and are the runtime call's signal (dispatch: the router's
 * `timeout`; lifecycle: `lifecycleTimeout`, or `timeout` when shorter; both:
 * the client's disconnect). Every other admin route gets Hono's `timeout`,
 * which only bounds the answer: there is nothing to abandon.
 */
function mountDeadlines(app: Hono, settings: RouterSettings): void {
  const { prefix, timeout } = settings;
  if (settings.commands) {
    app.use(dispatchPath(prefix), operationDeadline(timeout));
  }
  if (settings.lifecycle) {
    const ms = Math.min(timeout ?? Infinity, settings.lifecycleTimeout);
    for (const path of lifecyclePaths(prefix)) {
      app.use(path, operationDeadline(ms));
    }
  }
  if (timeout !== undefined) app.use(`${prefix}/*`, answerTimeout(timeout));
}
