import type { Context, MiddlewareHandler } from "hono";
import { timeout } from "hono/timeout";

/** The open operation deadline of each request that has one. */
const DEADLINES = new WeakMap<Context, OperationDeadline>();

/**
 * The deadline of a request that runs a runtime operation (a dispatch, a
 * lifecycle call): a signal that aborts when the client goes away or, with
 * `ms`, once `ms` have passed, with a `TimeoutError` (the router maps it to
 * 504 `deadline_exceeded`). The timer is a clearable one, unlike
 * `AbortSignal.timeout`, so a finished request leaves nothing behind.
 */
class OperationDeadline {
  readonly signal: AbortSignal;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number | undefined, client: AbortSignal) {
    if (ms === undefined) {
      this.signal = client;
      return;
    }
    const own = new AbortController();
    this.#timer = setTimeout(
      () =>
        own.abort(
          new DOMException("the router's deadline passed", "TimeoutError"),
        ),
      ms,
    );
    this.signal = AbortSignal.any([client, own.signal]);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * Starts the deadline of an operation route as the request arrives, before
 * auth and the body are read, and clears it when the route has answered.
 * The route passes {@linkcode operationSignal} to the runtime, so a client
 * that disconnects or a deadline that passes abandons the operation itself,
 * not only the HTTP answer.
 *
 * @internal
 * @param ms The deadline in ms, or `undefined` for none (the client's
 * disconnect still aborts).
 * @returns The middleware; register it before the auth guard.
 * @throws Never.
 */
export function operationDeadline(ms: number | undefined): MiddlewareHandler {
  return async function deadline(c, next) {
    const deadline = new OperationDeadline(ms, c.req.raw.signal);
    DEADLINES.set(c, deadline);
    try {
      await next();
    } finally {
      deadline.clear();
    }
  };
}

/**
 * Hono's `timeout` for the admin routes that have no operation deadline of
 * their own (inspection, the event stream, unknown paths): it bounds the
 * answer only, as there is nothing to abandon.
 *
 * @internal
 * @param ms The router's `timeout`.
 * @returns The middleware; register it after every
 * {@linkcode operationDeadline}.
 * @throws Never.
 */
export function answerTimeout(ms: number): MiddlewareHandler {
  const bound = timeout(ms);
  return function answerDeadline(c, next) {
    return DEADLINES.has(c) ? next() : bound(c, next);
  };
}

/**
 * The signal to pass to the runtime for this request: its operation
 * deadline, or the client's own abort signal when there is none.
 *
 * @internal
 * @param c The request context.
 * @returns The signal.
 * @throws Never.
 */
export function operationSignal(c: Context): AbortSignal {
  return DEADLINES.get(c)?.signal ?? c.req.raw.signal;
}
