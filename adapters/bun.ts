/**
 * Bun adapter: process signals and an HTTP server on `Bun.serve`. The serve
 * entry, `@workerkit/core/serve`, picks this one on Bun by itself.
 *
 * @example Serving a Hono app until SIGTERM
 * ```ts ignore
 * import process from "node:process";
 * import { runService, Runtime } from "@workerkit/core";
 * import { serve, shutdownSignal } from "@workerkit/core/bun";
 *
 * const runtime = new Runtime({ name: "orders" });
 * const server = await serve(() => new Response("ok"), { port: 8080 });
 * const { exitCode } = await runService({ runtime, server, signal: shutdownSignal() });
 * process.exit(exitCode);
 * ```
 *
 * @module
 */
import type { FetchHandler, ServeOptions, Server } from "../mod.ts";
import { processShutdownSignal, until } from "./_signals.ts";
import { processSignalHost } from "./_host.ts";
import { serverUrl, serveSettings } from "./_serve_options.ts";

export type { FetchHandler, ServeOptions, Server } from "../mod.ts";

/** The part of Bun's server API this adapter uses. */
interface BunServer {
  readonly port: number;
  readonly hostname: string;
  /** The bound address; older Bun versions lack it. */
  readonly address?: { address: string; port: number } | null;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/** The part of the `Bun` global this adapter uses. */
interface BunGlobal {
  serve(options: {
    port: number;
    hostname?: string;
    idleTimeout: number;
    fetch: FetchHandler;
  }): BunServer;
}

/**
 * Where the server listens, as Node and Deno report it: the bound address
 * (`::` for every interface), not Bun's `hostname`, which says `localhost`
 * for a server on every interface.
 */
function boundUrl(server: BunServer): URL {
  const bound = server.address;
  return bound
    ? serverUrl(bound.address, bound.port)
    : serverUrl(server.hostname, server.port);
}

/**
 * An `AbortSignal` that aborts on the first SIGINT or SIGTERM; a second
 * signal exits the process at once with 130 (SIGINT) or 143 (SIGTERM). The
 * same signal on every call, from any adapter. Listeners are installed on
 * the first call, never on import.
 *
 * @returns The process's shutdown signal.
 * @example
 * ```ts ignore
 * import { shutdownSignal } from "@workerkit/core/bun";
 *
 * shutdownSignal().addEventListener("abort", () => console.log("shutting down"));
 * ```
 */
export function shutdownSignal(): AbortSignal {
  return processShutdownSignal(processSignalHost());
}

/**
 * Serves `handler` with `Bun.serve`, on every interface unless `hostname`
 * narrows it. Resolves once it listens.
 *
 * Bun's own 10 s idle timeout is off (`idleTimeout: 0`), as Deno and Node
 * have none: a command that takes longer answers, and an event stream
 * lives until its client leaves or the server shuts down. `shutdown(signal)`
 * stops accepting and lets in-flight requests finish; when `signal` aborts,
 * it closes every open connection (`stop(true)`).
 *
 * @param handler The fetch handler, e.g. `app.fetch`.
 * @param options Port, hostname and shutdown delay.
 * @returns The server, with a graceful `shutdown`.
 * @throws {WorkerkitError} `invalid_argument` for a bad option (as a rejection).
 * @example
 * ```ts ignore
 * import { serve } from "@workerkit/core/bun";
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
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) {
    return Promise.reject(
      new Error("serve() from @workerkit/core/bun needs Bun"),
    );
  }
  try {
    const { port, hostname, shutdownDelay } = serveSettings(options);
    const listen = hostname === undefined ? { port } : { port, hostname };
    const server = bun.serve({ ...listen, idleTimeout: 0, fetch: handler });
    return Promise.resolve({
      url: boundUrl(server),
      shutdownDelay,
      shutdown: (signal?: AbortSignal) =>
        until(
          Promise.resolve(server.stop(false)),
          signal,
          () => void Promise.resolve(server.stop(true)).catch(() => {}),
        ),
    });
  } catch (error) {
    return Promise.reject(error);
  }
}
