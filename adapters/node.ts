/**
 * Node.js adapter: process signals and an HTTP server on
 * `@hono/node-server`.
 *
 * @example Serving a Hono app until SIGTERM
 * ```ts ignore
 * import { serve, shutdownSignal } from "@workerkit/core/node";
 *
 * const server = await serve(() => new Response("ok"), { port: 8080 });
 * shutdownSignal().addEventListener("abort", () => server.shutdown(AbortSignal.timeout(10_000)));
 * ```
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import type { Server as HttpServer, ServerResponse } from "node:http";
import { serve as honoServe } from "@hono/node-server";
import type { FetchHandler, ServeOptions, Server } from "../mod.ts";
import { until } from "./_signals.ts";

export type { FetchHandler, ServeOptions, Server } from "../mod.ts";

export { shutdownSignal } from "./_process_signal.ts";

/**
 * Serves `handler` with `@hono/node-server`. Resolves once it listens;
 * rejects if it cannot (e.g. the port is taken).
 *
 * @param handler The fetch handler, e.g. `app.fetch`.
 * @param options Port and hostname.
 * @returns The server, with a graceful `shutdown`.
 * @example
 * ```ts ignore
 * import { serve } from "@workerkit/core/node";
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
  return new Promise((resolve, reject) => {
    const server = honoServe(
      { fetch: handler, port, hostname },
      (info: AddressInfo) => resolve(wrap(server as HttpServer, info)),
    ) as HttpServer;
    server.once("error", reject);
  });
}

function wrap(server: HttpServer, info: AddressInfo): Server {
  const host = info.address.includes(":") ? `[${info.address}]` : info.address;
  // Responses still in flight at shutdown must close their connection, or an
  // idle keep-alive socket holds close() open until its timeout.
  const open = new Set<ServerResponse>();
  let closing = false;
  server.on("request", (_request, response: ServerResponse) => {
    if (closing) response.shouldKeepAlive = false;
    open.add(response);
    response.once("close", () => open.delete(response));
  });
  return {
    url: new URL(`http://${host}:${info.port}/`),
    shutdown(signal?: AbortSignal): Promise<void> {
      closing = true;
      for (const response of open) {
        if (!response.headersSent) response.shouldKeepAlive = false;
      }
      const closed = new Promise<void>((resolve) =>
        server.close(() => resolve())
      );
      // Keep-alive connections with no request in flight would hold close() open.
      server.closeIdleConnections();
      return until(closed, signal, () => server.closeAllConnections());
    },
  };
}
