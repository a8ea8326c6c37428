/**
 * Node.js adapter: process signals and an HTTP server on
 * `@hono/node-server`. The serve entry, `@workerkit/core/serve`, picks this
 * one on Node.js by itself.
 *
 * @example Serving a Hono app until SIGTERM
 * ```ts ignore
 * import process from "node:process";
 * import { runService, Runtime } from "@workerkit/core";
 * import { serve, shutdownSignal } from "@workerkit/core/node";
 *
 * const runtime = new Runtime({ name: "orders" });
 * const server = await serve(() => new Response("ok"), { port: 8080 });
 * const { exitCode } = await runService({ runtime, server, signal: shutdownSignal() });
 * process.exit(exitCode);
 * ```
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import type { Server as HttpServer, ServerResponse } from "node:http";
import { serve as honoServe } from "@hono/node-server";
import type { FetchHandler, ServeOptions, Server } from "../mod.ts";
import { processShutdownSignal, until } from "./_signals.ts";
import { processSignalHost } from "./_host.ts";
import { serverUrl, serveSettings } from "./_serve_options.ts";

export type { FetchHandler, ServeOptions, Server } from "../mod.ts";

/**
 * An `AbortSignal` that aborts on the first SIGINT or SIGTERM; a second
 * signal exits the process at once with 130 (SIGINT) or 143 (SIGTERM). The
 * same signal on every call, from any adapter. Listeners are installed on
 * the first call, never on import.
 *
 * @returns The process's shutdown signal.
 * @example
 * ```ts ignore
 * import { shutdownSignal } from "@workerkit/core/node";
 *
 * shutdownSignal().addEventListener("abort", () => console.log("shutting down"));
 * ```
 */
export function shutdownSignal(): AbortSignal {
  return processShutdownSignal(processSignalHost());
}

/**
 * Serves `handler` with `@hono/node-server`, on every interface unless
 * `hostname` narrows it (Node's `listen` binds `::`, which takes IPv4 too).
 * Resolves once it listens; rejects if it cannot (e.g. the port is taken).
 *
 * `shutdown(signal)` stops accepting, closes idle keep-alive connections
 * and lets in-flight requests finish; when `signal` aborts, it closes every
 * open connection (`closeAllConnections`).
 *
 * @param handler The fetch handler, e.g. `app.fetch`.
 * @param options Port, hostname and shutdown delay.
 * @returns The server, with a graceful `shutdown`.
 * @throws {WorkerkitError} `invalid_argument` for a bad option (as a rejection).
 * @example
 * ```ts ignore
 * import { serve } from "@workerkit/core/node";
 *
 * const server = await serve(() => new Response("ok"), { port: 0, hostname: "127.0.0.1" });
 * console.log(server.url.href);
 * await server.shutdown();
 * ```
 */
export function serve(
  handler: FetchHandler,
  options?: ServeOptions,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const { port, hostname, shutdownDelay } = serveSettings(options);
    const listen = hostname === undefined ? { port } : { port, hostname };
    const server = honoServe(
      { fetch: handler, ...listen },
      (info: AddressInfo) =>
        resolve(wrap(server as HttpServer, info, shutdownDelay)),
    ) as HttpServer;
    server.once("error", reject);
  });
}

function wrap(
  server: HttpServer,
  info: AddressInfo,
  shutdownDelay: number,
): Server {
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
    url: serverUrl(info.address, info.port),
    shutdownDelay,
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
