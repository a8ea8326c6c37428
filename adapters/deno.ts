/**
 * Deno adapter: process signals and an HTTP server on `Deno.serve`.
 *
 * @example Serving a Hono app until SIGTERM
 * ```ts ignore
 * import { serve, shutdownSignal } from "@workerkit/core/deno";
 *
 * const server = await serve(() => new Response("ok"), { port: 8080 });
 * shutdownSignal().addEventListener("abort", () => server.shutdown(AbortSignal.timeout(10_000)));
 * ```
 *
 * @module
 */
import type { FetchHandler, ServeOptions, Server } from "../mod.ts";
import { signalOnce, until } from "./_signals.ts";

export type { FetchHandler, ServeOptions, Server } from "../mod.ts";

/**
 * An `AbortSignal` that aborts on the first SIGINT or SIGTERM; a second
 * signal exits the process with code 130. The same signal on every call.
 *
 * @returns The process's shutdown signal.
 * @example
 * ```ts ignore
 * import { shutdownSignal } from "@workerkit/core/deno";
 *
 * shutdownSignal().addEventListener("abort", () => console.log("shutting down"));
 * ```
 */
export const shutdownSignal: () => AbortSignal = signalOnce({
  listen: (signal, handler) => Deno.addSignalListener(signal, handler),
  exit: (code) => Deno.exit(code),
});

/**
 * Serves `handler` with `Deno.serve`. Resolves once it listens.
 *
 * @param handler The fetch handler, e.g. `app.fetch`.
 * @param options Port and hostname.
 * @returns The server, with a graceful `shutdown`.
 * @example
 * ```ts ignore
 * import { serve } from "@workerkit/core/deno";
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
  const server = Deno.serve({ port, hostname, onListen() {} }, handler);
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return Promise.resolve({
    url: new URL(`http://${host}:${addr.port}/`),
    shutdown: (signal?: AbortSignal) =>
      until(server.shutdown(), signal, () => {
        // Deno has no forced close; the process ends what is left.
      }),
  });
}
