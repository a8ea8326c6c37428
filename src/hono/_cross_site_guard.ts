import type { Context, MiddlewareHandler } from "hono";
import { requestFailure } from "./_error_mapping.ts";
import { errorResponse } from "./respond.ts";

const CROSS_SITE = requestFailure(
  403,
  "cross_site_request",
  "cross-site request refused",
);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses a mutating request (any method but `GET`, `HEAD`, `OPTIONS`)
 * that a browser sent from another site, with 403 `cross_site_request`, so
 * that ambient credentials (a cookie-based `auth`) cannot be used by a page
 * elsewhere. The rule is the one of Go's `http.CrossOriginProtection`:
 *
 * 1. `Sec-Fetch-Site` present (every current browser sends it): only
 *    `same-origin` and `none` (the user's own action, e.g. a bookmark) pass;
 *    `same-site` (a sibling subdomain) and `cross-site` are refused;
 * 2. otherwise `Origin` present: it passes only when its host is the
 *    request's `Host` (the scheme is not compared, so a TLS-terminating
 *    proxy in front is fine); `null` and malformed origins are refused;
 * 3. neither header: not a browser (curl, a script, a bearer-token client)
 *    or a very old one — it passes here, and the routes' `application/json`
 *    requirement still stops a plain HTML form.
 *
 * Hono's `csrf` middleware only looks at form-like content types, which the
 * mutating routes refuse anyway (415); this rule also covers JSON, for an
 * application that enables CORS for its own routes.
 */
export function crossSiteGuard(): MiddlewareHandler {
  return async function refuseCrossSite(c, next) {
    if (!SAFE_METHODS.has(c.req.method) && !isSameOrigin(c)) {
      return errorResponse(c, CROSS_SITE);
    }
    await next();
  };
}

function isSameOrigin(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin" || site === "none";
  const origin = c.req.header("origin");
  if (origin === undefined) return true;
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
