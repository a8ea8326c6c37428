/**
 * An HTTP server as the managed service sees it: where it listens, a
 * graceful shutdown, and how long it should keep serving unready before
 * that shutdown. The serve entry (`@workerkit/core/serve`) and the adapters
 * (`/deno`, `/node`, `/bun`) make one from a fetch handler; anything with
 * this shape works.
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
  /** The address it listens on, e.g. `http://0.0.0.0:8080/`. */
  readonly url: URL;
  /**
   * How long, in ms, `runService` keeps this server serving after readiness
   * turned false and before it closes it, unless `runService` is given its
   * own `shutdownDelay`. The adapters set it to 5 000 when the process runs
   * in Kubernetes (`KUBERNETES_SERVICE_HOST` is set) and to 0 elsewhere.
   * Absent means 0.
   */
  readonly shutdownDelay?: number;
  /**
   * Stops accepting connections and lets in-flight requests finish. When
   * `signal` aborts, open connections are closed where the runtime allows it
   * and the promise resolves at once.
   */
  shutdown(signal?: AbortSignal): Promise<void>;
}

/** Where to listen, and how to behave at shutdown. */
export interface ServeOptions {
  /** The TCP port; 0 picks a free one (read it from `server.url`). @default {8000} */
  port?: number;
  /**
   * The interface to bind. By default every interface, as the runtimes' own
   * servers do (Deno's and Bun's `serve`, Node's `listen`), so probes to the
   * pod IP reach it;
   * `"127.0.0.1"` narrows it to loopback.
   */
  hostname?: string;
  /**
   * The server's {@linkcode Server.shutdownDelay}, ms. @default {5000 in
   * Kubernetes (KUBERNETES_SERVICE_HOST set), 0 elsewhere}
   */
  shutdownDelay?: number;
}

/** A fetch handler, as `Hono#fetch` is. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;
