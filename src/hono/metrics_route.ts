import { type Context, Hono } from "hono";
import { WorkerkitError } from "../../mod.ts";
import { requestFailure } from "./_error_mapping.ts";
import { errorResponse } from "./respond.ts";
import { withUnitSuffixes } from "./_unit_suffixes.ts";

/**
 * What the metrics route needs of `@opentelemetry/exporter-prometheus`'s
 * `PrometheusExporter` (made with `preventServerStart: true` and given to
 * the application's `MeterProvider` as a reader): its request handler,
 * which collects the meter provider's instruments and answers in the
 * Prometheus text format through the exporter's own serializer. (A
 * structural type, so the router does not depend on the exporter.)
 *
 * @example A PrometheusExporter fits
 * ```ts ignore
 * import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
 * import type { PrometheusExporterLike } from "@workerkit/core/hono";
 *
 * const exporter: PrometheusExporterLike = new PrometheusExporter({ preventServerStart: true });
 * ```
 */
export interface PrometheusExporterLike {
  /**
   * Collects and answers one scrape on a Node-style response (only its
   * `statusCode`, `setHeader` and `end` are used).
   */
  getMetricsRequestHandler(request: never, response: never): void;
}

/** The response shape the exporter's handler writes to. */
interface ScrapeResponse {
  statusCode: number;
  setHeader(name: string, value: string): void;
  end(body?: string): void;
}

/** The exporter answers a failed collection with this line and status 200. */
const FAILED_PREFIX = "# failed to export metrics";
/** Prometheus' own default `scrape_timeout`. */
const SCRAPE_TIMEOUT_MS = 10_000;
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const COLLECTION_FAILED = requestFailure(
  500,
  "metrics_collection_failed",
  "metrics collection failed",
);
const COLLECTION_TIMEOUT = requestFailure(
  503,
  "metrics_collection_timeout",
  "metrics collection timed out",
);

/**
 * Mounts `GET {path}`: one collection per scrape, serialized by the
 * exporter, with each metric's unit added to its name as OpenTelemetry's
 * Prometheus compatibility rules say (`_seconds`), which the exporter does
 * not do. A collection that fails
 * answers 500 and one that takes longer than Prometheus' default scrape
 * timeout (10 s) answers 503, both in the router's JSON error format with
 * fixed text (the exporter's error text is never sent).
 */
export function mountMetrics(
  app: Hono,
  path: string,
  exporter: PrometheusExporterLike,
): void {
  app.get(path, (c) => scrapeResponse(c, exporter));
}

/**
 * A Hono app that serves only `GET /metrics`, without auth, for a port that
 * only the cluster's Prometheus can reach (e.g. `9464`, kept off the
 * Service that routes public traffic). On the service's main port, use
 * {@linkcode opsRouter}'s `metrics` option instead: the route is then
 * behind the router's auth.
 *
 * @param exporter A `PrometheusExporter` made with `preventServerStart: true`
 * and registered as a reader of the `MeterProvider` the observer reports to.
 * @returns A Hono app; serve its `fetch` on the internal port.
 * @throws {WorkerkitError} `invalid_argument` if `exporter` has no
 * `getMetricsRequestHandler` method.
 *
 * @example An internal metrics port
 * ```ts ignore
 * import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
 * import { MeterProvider } from "@opentelemetry/sdk-metrics";
 * import { metricsRouter } from "@workerkit/core/hono";
 *
 * const exporter = new PrometheusExporter({ preventServerStart: true });
 * const meterProvider = new MeterProvider({ readers: [exporter] });
 * Deno.serve({ port: 9464 }, metricsRouter(exporter).fetch);
 * ```
 */
export function metricsRouter(exporter: PrometheusExporterLike): Hono {
  checkExporter(exporter);
  const app = new Hono();
  mountMetrics(app, "/metrics", exporter);
  app.notFound((c) =>
    errorResponse(c, requestFailure(404, "not_found", "not found"))
  );
  return app;
}

/**
 * Checks the `metrics` option's exporter: `invalid_argument` unless it has
 * a `getMetricsRequestHandler` method.
 */
export function checkExporter(exporter: unknown): void {
  if (
    exporter === null || typeof exporter !== "object" ||
    typeof (exporter as Partial<PrometheusExporterLike>)
        .getMetricsRequestHandler !== "function"
  ) {
    throw new WorkerkitError(
      "invalid_argument",
      "metrics must be a PrometheusExporter (@opentelemetry/exporter-prometheus, preventServerStart: true)",
    );
  }
}

async function scrapeResponse(
  c: Context,
  exporter: PrometheusExporterLike,
): Promise<Response> {
  const scrape = await collect(exporter);
  if (scrape === "timeout") return errorResponse(c, COLLECTION_TIMEOUT);
  if (scrape === undefined || scrape.startsWith(FAILED_PREFIX)) {
    return errorResponse(c, COLLECTION_FAILED);
  }
  return c.body(withUnitSuffixes(scrape), 200, {
    "content-type": CONTENT_TYPE,
    "cache-control": "no-store",
  });
}

/**
 * Runs the exporter's handler on a minimal response; resolves with the
 * body, `undefined` when the handler throws or answers an error status,
 * or `"timeout"`.
 */
function collect(
  exporter: PrometheusExporterLike,
): Promise<string | undefined | "timeout"> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), SCRAPE_TIMEOUT_MS);
    const done = (body: string | undefined) => {
      clearTimeout(timer);
      resolve(body);
    };
    const response: ScrapeResponse = {
      statusCode: 200,
      setHeader() {},
      end(body) {
        done(response.statusCode === 200 ? String(body ?? "") : undefined);
      },
    };
    try {
      (exporter.getMetricsRequestHandler as (
        request: unknown,
        response: ScrapeResponse,
      ) => void).call(exporter, {}, response);
    } catch {
      done(undefined);
    }
  });
}
