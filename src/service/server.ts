/**
 * An HTTP server as the managed service sees it: where it listens, and a
 * graceful shutdown. The adapters (`@workerkit/core/deno`, `/node`, `/bun`)
 * make one from a fetch handler; anything with this shape works.
 *
 * @example A server that is already shut down
 * ```ts
 * import type { Server } from "@workerkit/core";
 *
 * const server: Server = {
 *   url: new URL("http://127.0.0.1:8080/"),
 *   shutdown: () => Promise.resolve(),
 * };
 * await server.shutdown(AbortSignal.timeout(1_000));
 * ```
 */
export interface Server {
  /** The address it listens on, e.g. `http://127.0.0.1:8080/`. */
  readonly url: URL;
  /**
   * Stops accepting connections and lets in-flight requests finish. When
   * `signal` aborts, remaining connections are closed and the promise
   * resolves at once.
   */
  shutdown(signal?: AbortSignal): Promise<void>;
}

/** Where to listen. */
export interface ServeOptions {
  /** The TCP port; 0 picks a free one (read it from `server.url`). @default {8000} */
  port?: number;
  /** The interface to bind. @default {"127.0.0.1"} */
  hostname?: string;
}

/** A fetch handler, as `Hono#fetch` is. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;
