/**
 * Deno adapter: process signals and an HTTP server on `Deno.serve`. The
 * serve entry, `@workerkit/core/serve`, picks this one on Deno by itself.
 *
 * @example Serving a Hono app until SIGTERM
 * ```ts ignore
 * import { runService, Runtime } from "@workerkit/core";
 * import { serve, shutdownSignal } from "@workerkit/core/deno";
 *
 * const runtime = new Runtime({ name: "orders" });
 * const server = await serve(() => new Response("ok"), { port: 8080 });
 * const { exitCode } = await runService({ runtime, server, signal: shutdownSignal() });
 * Deno.exit(exitCode);
 * ```
 *
 * @module
 */
import type { FetchHandler, ServeOptions, Server } from "../mod.ts";
import { processShutdownSignal, until } from "./_signals.ts";
import { denoSignalHost } from "./_host.ts";
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
 * import { shutdownSignal } from "@workerkit/core/deno";
 *
 * shutdownSignal().addEventListener("abort", () => console.log("shutting down"));
 * ```
 */
export function shutdownSignal(): AbortSignal {
  return processShutdownSignal(denoSignalHost());
}

/**
 * Serves `handler` with `Deno.serve`, on every interface unless `hostname`
 * narrows it. Resolves once it listens.
 *
 * Its `shutdown(signal)` stops accepting and lets in-flight requests
 * finish. Deno has no call that closes a connection once a graceful
 * shutdown has begun, so when `signal` aborts it stops waiting: a
 * connection still open then (a client that never finishes its request)
 * stays open until the process exits.
 *
 * @param handler The fetch handler, e.g. `app.fetch`.
 * @param options Port, hostname and shutdown delay.
 * @returns The server, with a graceful `shutdown`.
 * @throws {WorkerkitError} `invalid_argument` for a bad option (as a rejection).
 * @example
 * ```ts ignore
 * import { serve } from "@workerkit/core/deno";
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
  try {
    const { port, hostname, shutdownDelay } = serveSettings(options);
    const listen = hostname === undefined ? { port } : { port, hostname };
    const server = Deno.serve({ ...listen, onListen() {} }, handler);
    const addr = server.addr as Deno.NetAddr;
    return Promise.resolve({
      url: serverUrl(addr.hostname, addr.port),
      shutdownDelay,
      shutdown: (signal?: AbortSignal) =>
        until(server.shutdown(), signal, () => {
          // Nothing to force: see above.
        }),
    });
  } catch (error) {
    return Promise.reject(error);
  }
}
