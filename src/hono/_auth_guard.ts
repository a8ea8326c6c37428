import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestFailure } from "./_error_mapping.ts";
import type { OpsAuthPredicate } from "./options.ts";
import { errorResponse } from "./respond.ts";

const UNAUTHORIZED = requestFailure(401, "unauthorized", "unauthorized");

/**
 * The middleware that guards the admin routes, failing closed: with a
 * predicate, only a result of exactly `true` passes — `false`, any other
 * value, a throw or a rejection answers 401. With a Hono middleware, its
 * `HTTPException`s go on to the router's error handler (which keeps their
 * status and `WWW-Authenticate` header); any other throw, or returning
 * nothing without calling `next`, answers 401. Errors of the routes behind
 * it are never taken for auth failures. `undefined` when there is no auth.
 */
export function authGuard(
  auth: OpsAuthPredicate | undefined,
  middleware: MiddlewareHandler | undefined,
): MiddlewareHandler | undefined {
  if (auth !== undefined) {
    return async function opsAuth(c, next) {
      let allowed = false;
      try {
        allowed = (await auth(c)) === true;
      } catch {
        allowed = false;
      }
      if (!allowed) return errorResponse(c, UNAUTHORIZED);
      await next();
    };
  }
  if (middleware !== undefined) {
    return async function opsAuthMiddleware(c, next) {
      let passed = false;
      let result: Response | void;
      try {
        result = await middleware(c, async () => {
          passed = true;
          await next();
        });
      } catch (error) {
        if (error instanceof HTTPException) throw error;
        if (!passed) return errorResponse(c, UNAUTHORIZED);
        // Thrown after the route answered: the router's error handler
        // answers a generic 500 (it only sees `Error`s).
        throw error instanceof Error
          ? error
          : new Error("auth middleware threw");
      }
      if (passed || result instanceof Response || c.finalized) return result;
      return errorResponse(c, UNAUTHORIZED);
    };
  }
  return undefined;
}
