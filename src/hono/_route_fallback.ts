import type { Hono } from "hono";
import { METHOD_NAME_ALL } from "hono/router";
import { requestFailure } from "./_error_mapping.ts";
import type { RouterSettings } from "./options.ts";
import { errorResponse } from "./respond.ts";

const NOT_FOUND = requestFailure(404, "not_found", "not found");
const METHOD_NOT_ALLOWED = requestFailure(
  405,
  "method_not_allowed",
  "method not allowed",
);

/**
 * Answers, in the router's JSON format with `Cache-Control: no-store`,
 * every request on the router's paths that no route took: 405
 * `method_not_allowed` with `Allow` for a known path (any route mounted
 * so far, `/livez` and `/readyz` included) asked with another method, and
 * 404 `not_found` for anything else under the prefix — unknown and
 * disabled routes alike. They are routes, not the app's `notFound`, so
 * they also answer when the router is mounted with `app.route()` (Hono
 * then uses the parent's `notFound`). Under the prefix they run after the
 * admin guard, like every admin route: 401 first.
 *
 * Mount it last: it reads `app.routes`, and a route added after it would
 * be shadowed by the catch-all.
 */
export function mountFallback(app: Hono, settings: RouterSettings): void {
  for (const [path, methods] of allowedMethods(app)) {
    const allow = [...methods].join(", ");
    app.all(
      path,
      (c) => errorResponse(c, METHOD_NOT_ALLOWED, { allow }),
    );
  }
  app.all(`${settings.prefix}/*`, (c) => errorResponse(c, NOT_FOUND));
}

/** Each routed path and its methods; Hono answers `HEAD` with `GET`. */
function allowedMethods(app: Hono): Map<string, Set<string>> {
  const allowed = new Map<string, Set<string>>();
  for (const { method, path } of app.routes) {
    // Middleware (`app.use`) is registered for every method.
    if (method === METHOD_NAME_ALL) continue;
    const methods = allowed.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === "GET") methods.add("HEAD");
    allowed.set(path, methods);
  }
  return allowed;
}
