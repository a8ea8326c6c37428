// Serves a fetch handler on loopback through the adapter of the runtime the
// tests run on, picked by feature detection: Deno → adapters/deno.ts, Bun →
// adapters/bun.ts, anything else → adapters/node.ts.
import type { FetchHandler, Server } from "../../src/service/server.ts";

/** Which adapter the current runtime uses. */
export function adapterName(): "deno" | "bun" | "node" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

/** Serves `handler` on 127.0.0.1 with a free port (port 0). */
export async function serveOnLoopback(handler: FetchHandler): Promise<Server> {
  const options = { port: 0, hostname: "127.0.0.1" };
  switch (adapterName()) {
    case "deno":
      return (await import("../../adapters/deno.ts")).serve(handler, options);
    case "bun":
      return (await import("../../adapters/bun.ts")).serve(handler, options);
    default:
      return (await import("../../adapters/node.ts")).serve(handler, options);
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
    const bound = new AbortController();
    const timer = setTimeout(() => bound.abort(), 5_000);
    try {
      await server.shutdown(bound.signal);
    } finally {
      clearTimeout(timer);
    }
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
