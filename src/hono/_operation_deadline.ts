import type { Context, MiddlewareHandler } from "hono";
import { timeout } from "hono/timeout";

/** The open operation deadline of each request that has one. */
const DEADLINES = new WeakMap<Context, OperationDeadline>();

/**
 * The deadline of a request that runs a runtime operation (a dispatch, a
 * lifecycle call): a signal that aborts when the client goes away, with an
 * `AbortError` (the runtime counts it as a cancellation), or, with `ms`,
 * once `ms` have passed, with a `TimeoutError` (the router maps it to 504
 * `deadline_exceeded`). The client's own abort reason differs by runtime
 * (an `Error("aborted")` on Node), so it is not passed on. The timer is a
 * clearable one, unlike `AbortSignal.timeout`, and {@linkcode clear} also
 * drops the listener on the request's signal (Deno aborts it after every
 * response), so a finished request leaves nothing behind.
 */
class OperationDeadline {
  readonly #controller = new AbortController();
  readonly #client: AbortSignal;
  readonly #onClientAbort = (): void =>
    this.#abort(new DOMException("the client disconnected", "AbortError"));
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number | undefined, client: AbortSignal) {
    this.#client = client;
    if (client.aborted) {
      this.#onClientAbort();
      return;
    }
    client.addEventListener("abort", this.#onClientAbort, { once: true });
    if (ms === undefined) return;
    this.#timer = setTimeout(
      () =>
        this.#abort(
          new DOMException("the router's deadline passed", "TimeoutError"),
        ),
      ms,
    );
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#client.removeEventListener("abort", this.#onClientAbort);
  }

  #abort(reason: DOMException): void {
    this.clear();
    this.#controller.abort(reason);
  }
}

/**
 * Starts the deadline of an operation route as the request arrives, before
 * auth and the body are read, and clears it when the route has answered.
 * The route passes {@linkcode operationSignal} to the runtime, so a client
 * that disconnects or a deadline that passes abandons the operation itself,
 * not only the HTTP answer. Hono's `timeout` bounds the answer at the same
 * deadline, for the time before the route runs (a slow auth). Without `ms`
 * only the client's disconnect aborts. Register it before the auth guard.
 */
export function operationDeadline(ms: number | undefined): MiddlewareHandler {
  const bound = ms === undefined ? undefined : timeout(ms);
  return async function deadline(c, next) {
    // Created first, so its timer fires before the answer's: the
    // operation is abandoned by the time the 504 goes out.
    const deadline = new OperationDeadline(ms, c.req.raw.signal);
    DEADLINES.set(c, deadline);
    try {
      await (bound ? bound(c, next) : next());
    } finally {
      deadline.clear();
    }
  };
}

/**
 * Hono's `timeout` for the admin routes that have no operation deadline of
 * their own (inspection, the event stream, unknown paths): it bounds the
 * answer only, as there is nothing to abandon. Operation routes are left to
 * their {@linkcode operationDeadline}; register it after every one of those.
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
 */
export function operationSignal(c: Context): AbortSignal {
  return DEADLINES.get(c)?.signal ?? c.req.raw.signal;
}
