// Serves a fetch handler on loopback through the serve entry, which picks the
// adapter of the runtime the tests run on: Deno → adapters/deno.ts, Bun →
// adapters/bun.ts, Node → adapters/node.ts.
import type { FetchHandler, Server } from "../../mod.ts";
import { serve } from "../../adapters/serve.ts";

/** Which adapter the current runtime uses. */
export function adapterName(): "deno" | "bun" | "node" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

/** Serves `handler` on 127.0.0.1 with a free port (port 0). */
export function serveOnLoopback(
  handler: FetchHandler,
  options: { shutdownDelay?: number } = {},
): Promise<Server> {
  return serve(handler, { port: 0, hostname: "127.0.0.1", ...options });
}

/** Shuts `server` down, bounded so a stuck connection cannot hang the test. */
export async function closeBounded(server: Server): Promise<void> {
  const bound = new AbortController();
  const timer = setTimeout(() => bound.abort(), 5_000);
  try {
    await server.shutdown(bound.signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Serves `handler`, runs `fn` with the server's base URL, and shuts the
 * server down in a finally (bounded, so a stuck connection cannot hang the
 * test).
 */
export async function withServer<T>(
  handler: FetchHandler,
  fn: (url: URL) => Promise<T>,
): Promise<T> {
  const server = await serveOnLoopback(handler);
  try {
    return await fn(server.url);
  } finally {
    await closeBounded(server);
  }
}

/** A response read to the end: status, headers, raw text and parsed JSON. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** Fetches `path` relative to `base` and reads the whole response. */
export async function call(
  base: URL,
  path: string,
  init?: RequestInit,
): Promise<Reply> {
  const response = await fetch(new URL(path, base), init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** POSTs `body` (a value sent as JSON, or a raw string) to `path`. */
export function post(
  base: URL,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return call(base, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
