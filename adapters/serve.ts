/**
 * One serve entry for every runtime: {@linkcode serve} and
 * {@linkcode shutdownSignal} pick Deno, Bun or Node.js by feature detection
 * and load only that runtime's adapter, so the same service code runs on
 * all three. The options and behaviour are the adapters'
 * (`@workerkit/core/deno`, `/bun`, `/node`): every interface by default,
 * `hostname` to narrow it, a 5 s `shutdownDelay` in Kubernetes and 0
 * elsewhere.
 *
 * @example A service that runs on Deno, Bun and Node.js
 * ```ts ignore
 * import process from "node:process";
 * import { runService, Runtime } from "@workerkit/core";
 * import { serve, shutdownSignal } from "@workerkit/core/serve";
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
import { processShutdownSignal } from "./_signals.ts";
import { denoSignalHost, processSignalHost } from "./_host.ts";

export type { FetchHandler, ServeOptions, Server } from "../mod.ts";

/** Which runtime this is, by its globals. */
function runtimeName(): "deno" | "bun" | "node" | undefined {
  const g = globalThis as {
    Deno?: unknown;
    Bun?: unknown;
    process?: { versions?: { node?: string } };
  };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  if (g.process?.versions?.node !== undefined) return "node";
  return undefined;
}

/**
 * An `AbortSignal` that aborts on the first SIGINT or SIGTERM; a second
 * signal exits the process at once with 130 (SIGINT) or 143 (SIGTERM). The
 * same signal on every call, and the same as the adapters'. Listeners are
 * installed on the first call, never on import.
 *
 * @returns The process's shutdown signal.
 * @throws {Error} On a host with neither `Deno` nor `process` (an edge
 * runtime has no process signals: abort a signal of your own).
 * @example
 * ```ts ignore
 * import { shutdownSignal } from "@workerkit/core/serve";
 *
 * shutdownSignal().addEventListener("abort", () => console.log("shutting down"));
 * ```
 */
export function shutdownSignal(): AbortSignal {
  const host = runtimeName() === "deno"
    ? denoSignalHost()
    : processSignalHost();
  return processShutdownSignal(host);
}

/**
 * Serves `handler` with this runtime's server — `Deno.serve`, `Bun.serve`
 * or `@hono/node-server` — on every interface unless `hostname` narrows
 * it. Resolves once it listens.
 *
 * @param handler The fetch handler, e.g. `app.fetch`.
 * @param options Port, hostname and shutdown delay.
 * @returns The server, with a graceful `shutdown`.
 * @throws {WorkerkitError} `invalid_argument` for a bad option (as a rejection).
 * @throws {Error} On a runtime other than Deno, Bun or Node.js (as a rejection).
 * @example
 * ```ts ignore
 * import { serve } from "@workerkit/core/serve";
 *
 * const server = await serve(() => new Response("ok"), { port: 0, hostname: "127.0.0.1" });
 * console.log(server.url.href);
 * await server.shutdown();
 * ```
 */
export async function serve(
  handler: FetchHandler,
  options?: ServeOptions,
): Promise<Server> {
  switch (runtimeName()) {
    case "deno":
      return (await import("./deno.ts")).serve(handler, options);
    case "bun":
      return (await import("./bun.ts")).serve(handler, options);
    case "node":
      return (await import("./node.ts")).serve(handler, options);
    default:
      throw new Error(
        "serve() from @workerkit/core/serve needs Deno, Bun or Node.js",
      );
  }
}
