/**
 * Bun adapter: process signals and an HTTP server on `Bun.serve`.
 *
 * @example Serving a Hono app until SIGTERM
 * ```ts ignore
 * import { serve, shutdownSignal } from "@workerkit/core/bun";
 *
 * const server = await serve(() => new Response("ok"), { port: 8080 });
 * shutdownSignal().addEventListener("abort", () => server.shutdown(AbortSignal.timeout(10_000)));
 * ```
 *
 * @module
 */
import type { FetchHandler, ServeOptions, Server } from "../mod.ts";
import { until } from "./_signals.ts";

export type { FetchHandler, ServeOptions, Server } from "../mod.ts";

/** The part of Bun's server API this adapter uses. */
interface BunServer {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/** The part of the `Bun` global this adapter uses. */
interface BunGlobal {
  serve(options: {
    port: number;
    hostname: string;
    fetch: FetchHandler;
  }): BunServer;
}

export { shutdownSignal } from "./_process_signal.ts";

/**
 * Serves `handler` with `Bun.serve`. Resolves once it listens.
 *
 * @param handler The fetch handler, e.g. `app.fetch`.
 * @param options Port and hostname.
 * @returns The server, with a graceful `shutdown`.
 * @example
 * ```ts ignore
 * import { serve } from "@workerkit/core/bun";
 *
 * const server = await serve(() => new Response("ok"), { port: 0 });
 * console.log(server.url.href);
 * await server.shutdown();
 * ```
 */
export function serve(
  handler: FetchHandler,
  options: ServeOptions = {},
): Promise<Server> {
  const { port = 8000, hostname = "127.0.0.1" } = options;
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) {
    return Promise.reject(
      new Error("serve() from @workerkit/core/bun needs Bun"),
    );
  }
  const server = bun.serve({ port, hostname, fetch: handler });
  const host = server.hostname.includes(":")
    ? `[${server.hostname}]`
    : server.hostname;
  return Promise.resolve({
    url: new URL(`http://${host}:${server.port}/`),
    shutdown: (signal?: AbortSignal) =>
      until(
        Promise.resolve(server.stop(false)),
        signal,
        () => void server.stop(true),
      ),
  });
}
