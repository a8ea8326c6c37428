/**
 * The HTTP ops surface of a Workerkit service as a Hono app:
 * {@linkcode opsRouter} serves `/livez` and `/readyz` for Kubernetes, and
 * under a prefix (behind your auth) component inspection and — only when
 * enabled — command dispatch, lifecycle controls and a live dashboard (a
 * self-contained page fed by a Server-Sent Events stream). Errors answer `{
 * error: { code, message } }` with public text only. Needs `hono`; runs on
 * Deno, Node, Bun and edge hosts.
 *
 * @example Probes and read-only inspection, checked without a server
 * ```ts
 * import { OpsRegistry, Runtime } from "@workerkit/core";
 * import { opsRouter } from "@workerkit/core/hono";
 *
 * const runtime = new Runtime({ name: "billing" });
 * runtime.register({ name: "ingest", worker: { start() {}, stop() {} } });
 * const registry = new OpsRegistry();
 * registry.register(runtime);
 *
 * const app = opsRouter({ runtime, registry, auth: (c) => c.req.header("x-ops") === "yes" });
 * console.log((await app.request("/readyz")).status); // 503: not started
 * await runtime.startAll();
 * console.log((await app.request("/readyz")).status); // 200
 * console.log((await app.request("/admin/components")).status); // 401
 * await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
 * ```
 *
 * @module
 */

export { opsRouter } from "./ops_router.ts";
export { metricsRouter } from "./metrics_route.ts";
export type { PrometheusExporterLike } from "./metrics_route.ts";
export type { OpsAuthPredicate, OpsRouterOptions } from "./options.ts";
export type { OpsErrorBody } from "./respond.ts";
