/**
 * The code of the throwaway consumer projects that the consumer phase
 * (tools/_consumer_phase.ts) writes outside the checkout. Each one imports
 * the package only by its public specifiers — `@workerkit/core`,
 * `@workerkit/core/hono`, ... — the same on every runtime; `prefix` is
 * `"npm:"` where Deno takes the npm tarball.
 *
 * @module
 */

/** The bearer token the service's ops router asks for. */
export const TOKEN = "consumer-token";

/**
 * A small service: the README's quick start (a worker with a command),
 * an ops registry, the Hono ops router served by `@workerkit/core/serve`
 * (which picks this runtime's adapter), and `runService`, which shuts down
 * on SIGTERM. It prints
 * `resolved <url>` (where `@workerkit/core` came from), `listening <url>`,
 * and `exit <code>` at the end.
 */
export function serviceSource(prefix = ""): string {
  const core = `${prefix}@workerkit/core`;
  return `import { OpsRegistry, Runtime, runService } from "${core}";
import { opsRouter } from "${core}/hono";
import { attempts, constant } from "${core}/retry";
import { serve, shutdownSignal } from "${core}/serve";

console.log("resolved", import.meta.resolve("${core}"));

let timer;
const prices = new Map([["apple", 1.2]]);
const runtime = new Runtime({ name: "shop" });
runtime.register({
  name: "pricing",
  description: "keeps prices fresh",
  worker: {
    start() {
      timer = setInterval(() => prices.set("apple", 1 + Math.random()), 1_000);
    },
    stop() {
      clearInterval(timer);
    },
  },
  startTimeout: 5_000,
  commandRetry: attempts(2, { backoff: constant(1) }),
  commands: [{
    name: "cache/clear",
    handler: () => {
      const dropped = prices.size;
      prices.clear();
      return { message: "cleared", payload: { dropped } };
    },
  }],
});
const registry = new OpsRegistry();
registry.register(runtime);

const app = opsRouter({
  runtime,
  registry,
  auth: (c) => c.req.header("authorization") === "Bearer ${TOKEN}",
  commands: true,
});
const server = await serve(app.fetch, { port: 0, hostname: "127.0.0.1" });
console.log("listening", server.url.href);
const { exitCode } = await runService({
  runtime,
  server,
  signal: shutdownSignal(),
  shutdownTimeout: 10_000,
});
console.log("exit", exitCode);
if (exitCode !== 0) globalThis.process?.exit(exitCode);
`;
}

/** `"."` → `@workerkit/core`, `"./retry"` → `@workerkit/core/retry`. */
export function specifierOf(subpath: string, prefix = ""): string {
  return `${prefix}@workerkit/core${subpath.slice(1)}`;
}

/**
 * A module that imports every subpath of the package (read from
 * `deno.json`, so a new entrypoint is covered without an edit here) and
 * prints `loaded <n>` with the number of names each one exports.
 */
export function importAllSource(subpaths: string[], prefix = ""): string {
  const lines = subpaths.map((subpath) =>
    `  ["${subpath}", await import("${specifierOf(subpath, prefix)}")],`
  );
  return `const loaded = [\n${lines.join("\n")}\n];
for (const [subpath, module] of loaded) {
  if (Object.keys(module).length === 0) throw new Error(\`\${subpath} exports nothing\`);
}
console.log("loaded", loaded.map(([s, m]) => \`\${s}=\${Object.keys(m).length}\`).join(" "));
`;
}

/**
 * CommonJS that `require()`s every subpath (Node's require(esm), which
 * needs modules without top-level await) and prints `required <n>`.
 */
export function requireAllSource(subpaths: string[]): string {
  const list = subpaths.map((subpath) => `"${specifierOf(subpath)}"`);
  return `const names = [${list.join(", ")}];
const counts = names.map((name) => Object.keys(require(name)).length);
if (counts.some((n) => n === 0)) throw new Error("a subpath exports nothing");
console.log("required", counts.join(" "));
`;
}

/**
 * A TypeScript consumer that touches every entrypoint's main names, for
 * `tsc --noEmit` (strict, nodenext) and `deno check`; it also imports
 * every subpath in `subpaths` as a namespace.
 */
export function typedSource(subpaths: string[]): string {
  const every = subpaths.map((subpath, i) =>
    `export * as entry${i} from "${specifierOf(subpath)}";`
  ).join("\n");
  return `${every}
import {
  type CommandResult,
  OpsRegistry,
  Runtime,
  type RuntimeStatus,
  runService,
  type Worker,
  WorkerkitError,
} from "@workerkit/core";
import { attempts, exponential, full, retry, type RetryPolicy } from "@workerkit/core/retry";
import { logObserver } from "@workerkit/core/log";
import { otelObserver } from "@workerkit/core/otel";
import { opsRouter } from "@workerkit/core/hono";
import { serve, shutdownSignal } from "@workerkit/core/node";
import type { Server } from "@workerkit/core/deno";
import type { ServeOptions } from "@workerkit/core/bun";

const worker: Worker = { start() {}, stop() {} };
const runtime = new Runtime({ name: "typed", observer: logObserver(console) });
runtime.register({ name: "w", worker });
const policy: RetryPolicy = attempts(3, { backoff: exponential(10, 2, 100), jitter: full() });
export const answer: Promise<number> = retry(() => Promise.resolve(42), policy);
export const status: RuntimeStatus = runtime.status();
export const registry = new OpsRegistry();
registry.register(runtime);
export const app = opsRouter({ runtime, registry, auth: () => true });
export const observer = otelObserver({});
export const options: ServeOptions = { port: 0 };
export async function main(): Promise<0 | 1> {
  const server: Server = await serve(app.fetch, options);
  const { exitCode } = await runService({ runtime, server, signal: shutdownSignal() });
  return exitCode;
}
export function describe(error: unknown): string {
  return error instanceof WorkerkitError ? error.code : "unknown";
}
export type Result = CommandResult;
`;
}

/**
 * A TypeScript consumer for a web or edge host: the web-standard entry
 * points and the Hono router, type-checked without any Node types.
 */
export function webTypedSource(): string {
  return `import { OpsRegistry, Runtime, type RuntimeStatus } from "@workerkit/core";
import { attempts, constant, type RetryPolicy } from "@workerkit/core/retry";
import { OpsRegistry as Registry } from "@workerkit/core/ops";
import { opsRouter } from "@workerkit/core/hono";

const runtime = new Runtime({ name: "edge" });
runtime.register({ name: "w", worker: { start() {}, stop() {} } });
export const policy: RetryPolicy = attempts(2, { backoff: constant(1) });
export const status: RuntimeStatus = runtime.status();
export const same: boolean = Registry === OpsRegistry;
const registry = new OpsRegistry();
registry.register(runtime);
export default { fetch: opsRouter({ runtime, registry, auth: () => false }).fetch };
`;
}

/** The bundler's entry: the quick start, run to the end, no platform API. */
export function bundleEntrySource(): string {
  return `import { Runtime } from "@workerkit/core";

const runtime = new Runtime({ name: "edge" });
runtime.register({
  name: "pricing",
  worker: { start() {}, stop() {} },
  commands: [{ name: "cache/clear", handler: () => ({ message: "cleared" }) }],
});
await runtime.startAll();
const result = await runtime.dispatch({ worker: "pricing", name: "cache/clear" });
await runtime.shutdown({ signal: AbortSignal.timeout(10_000) });
console.log("bundled", result.message, runtime.status().state);
`;
}
