// Node and Bun share the `process` signal API, so they share this.
import process from "node:process";
import { signalOnce } from "./_signals.ts";

/**
 * An `AbortSignal` that aborts on the first SIGINT or SIGTERM; a second
 * signal exits the process with code 130. The same signal on every call.
 *
 * @returns The process's shutdown signal.
 * @example
 * ```ts ignore
 * import { shutdownSignal } from "@workerkit/core/node";
 *
 * shutdownSignal().addEventListener("abort", () => console.log("shutting down"));
 * ```
 */
export const shutdownSignal: () => AbortSignal = signalOnce({
  listen: (signal, handler) => void process.on(signal, handler),
  exit: (code) => process.exit(code),
});
