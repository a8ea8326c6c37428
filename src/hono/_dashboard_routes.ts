import type { Context, Hono } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { Runtime } from "../../mod.ts";
import { dashboardPage } from "./_dashboard_page.ts";
import { requestFailure } from "./_error_mapping.ts";
import { EventHub } from "./_event_hub.ts";
import { openEventStream, STREAM_HEADERS } from "./_events_stream.ts";
import type { RouterSettings } from "./options.ts";
import { opsView } from "./_ops_view.ts";
import { errorResponse } from "./respond.ts";
import { serviceIdentity } from "./_service_identity.ts";

const TOO_MANY_STREAMS = requestFailure(
  429,
  "too_many_streams",
  "too many event streams",
);
const SHUTTING_DOWN = requestFailure(
  503,
  "shutting_down",
  "the service is shutting down",
);

/**
 * The page's Content-Security-Policy: nothing but its own nonce'd inline
 * script and style, fetches to its own origin, no framing, no forms, no
 * `<base>`. Hono's `secureHeaders` sets a fresh nonce per response.
 */
const PAGE_HEADERS = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: [NONCE],
    styleSrc: [NONCE],
    connectSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
  xFrameOptions: "DENY",
  // HSTS is the application's decision for its whole origin, not a route's.
  strictTransportSecurity: false,
});

/**
 * Mounts `GET {prefix}`, the dashboard's HTML shell. It must be mounted
 * before the admin guard: the shell holds no data (no names, no state —
 * everything comes from the authenticated event stream), so a browser can
 * open it without credentials and hand the token from the URL fragment to
 * its own requests. Served with a strict CSP (see `PAGE_HEADERS`) and
 * `Cache-Control: no-store`.
 */
export function mountDashboardPage(app: Hono, settings: RouterSettings): void {
  const depth = settings.prefix.split("/").filter((s) => s !== "").length;
  app.get(settings.prefix, PAGE_HEADERS, (c) => {
    const nonce = c.get("secureHeadersNonce") ?? "";
    const html = dashboardPage(nonce, depth);
    return c.html(html, 200, { "cache-control": "no-store" });
  });
}

/**
 * Mounts `GET {prefix}/events` (behind the admin guard): the dashboard's
 * Server-Sent Events stream, see {@linkcode openEventStream}, fed by one
 * {@linkcode EventHub} per router (the replay ring and chart buckets live
 * as long as the router). At most `maxEventStreams` are open at once, for
 * all clients together (one more answers 429 `too_many_streams`); a stream
 * whose client has not taken a write for `eventStreamWriteTimeout`, and
 * any stream once it is `eventStreamMaxAge` old, ends and frees its slot
 * (the page reconnects and resumes). Once the service is stopping or the router's `signal`
 * has aborted, open streams end and new ones answer 503 `shutting_down`.
 *
 * `HEAD {prefix}/events` answers the same status and headers without
 * opening a stream or taking a slot (Hono would otherwise run the GET
 * handler and drop the body, leaving a stream no client reads).
 */
export function mountEventStream(
  app: Hono,
  settings: RouterSettings,
  runtime: Runtime,
): void {
  const { stopping, clock } = runtime;
  const end = settings.signal === undefined
    ? stopping
    : AbortSignal.any([stopping, settings.signal]);
  const hub = new EventHub(
    runtime,
    opsView(runtime, settings.registry),
    clock,
    {
      history: settings.eventHistory,
      bucketMs: settings.chartBucket,
      windowMs: settings.chartWindow,
      heartbeatMs: settings.heartbeatInterval,
      controls: { commands: settings.commands, lifecycle: settings.lifecycle },
      identity: serviceIdentity(settings.identity),
    },
  );
  if (end.aborted) hub.close();
  else end.addEventListener("abort", () => hub.close(), { once: true });
  const path = `${settings.prefix}/events`;
  let open = 0;
  const refusal = (c: Context): Response | undefined => {
    if (end.aborted) return errorResponse(c, SHUTTING_DOWN);
    if (open >= settings.maxEventStreams) {
      return errorResponse(c, TOO_MANY_STREAMS, { "retry-after": "5" });
    }
    return undefined;
  };
  app.get(path, (c) => {
    const refused = refusal(c);
    if (refused !== undefined) return refused;
    // Hono answers HEAD by running this handler and dropping the body: a
    // stream opened here would never see its client leave.
    if (c.req.method === "HEAD") {
      return new Response(null, {
        status: 200,
        headers: { "content-type": "text/event-stream", ...STREAM_HEADERS },
      });
    }
    open++;
    return openEventStream(
      c,
      hub,
      {
        heartbeatMs: settings.heartbeatInterval,
        writeTimeoutMs: settings.eventStreamWriteTimeout,
        maxAgeMs: settings.eventStreamMaxAge,
        end,
      },
      () => open--,
    );
  });
}
