import type { Hono } from "hono";
import type { CommandRequest, Runtime } from "../../mod.ts";
import { failureFor, requestFailure } from "./error_mapping.ts";
import { isCommandName, isWorkerRef } from "./names.ts";
import { operationSignal } from "./operation_deadline.ts";
import type { RouterSettings } from "./options.ts";
import { errorResponse, jsonResponse } from "./respond.ts";
import { readJsonObject } from "./strict_json.ts";

const FIELDS = ["worker", "name", "payload"] as const;

/**
 * The path of the dispatch route.
 *
 * @internal
 * @param prefix The router's prefix.
 * @returns `{prefix}/commands/dispatch`.
 * @throws Never.
 */
export function dispatchPath(prefix: string): string {
  return `${prefix}/commands/dispatch`;
}

/**
 * Mounts `POST {prefix}/commands/dispatch` (behind the admin guard): body
 * `{ worker, name, payload? }` in strict JSON → `runtime.dispatch()` → 200
 * `{ worker, name, result }`, where `result` is the command's `{ message?,
 * payload? }` (`{}` when the handler returned nothing). Refusals and
 * failures are mapped by {@linkcode failureFor} with public text only. The
 * dispatch's caller signal is the request's {@linkcode operationSignal}.
 *
 * @internal
 * @param app The router.
 * @param settings The router's settings.
 * @param runtime The runtime to dispatch to.
 * @returns Nothing.
 * @throws Never.
 */
export function mountCommands(
  app: Hono,
  settings: RouterSettings,
  runtime: Runtime,
): void {
  app.post(dispatchPath(settings.prefix), async (c) => {
    const body = await readJsonObject(c, { fields: FIELDS });
    if (!body.ok) return errorResponse(c, body.failure);
    const { worker, name } = body.value;
    if (typeof worker !== "string") {
      return errorResponse(
        c,
        requestFailure(400, "invalid_argument", "worker must be a string"),
      );
    }
    if (typeof name !== "string") {
      return errorResponse(
        c,
        requestFailure(400, "invalid_argument", "name must be a string"),
      );
    }
    if (!isWorkerRef(worker)) {
      return errorResponse(
        c,
        requestFailure(400, "invalid_name", "invalid worker name"),
      );
    }
    if (!isCommandName(name)) {
      return errorResponse(
        c,
        requestFailure(400, "invalid_name", "invalid command name"),
      );
    }
    const request: CommandRequest = { worker, name };
    if (Object.hasOwn(body.value, "payload")) {
      request.payload = body.value.payload;
    }
    let result: unknown;
    try {
      // The request's abort signal is the caller's signal, as the Go
      // original passes the request context: a client that disconnects
      // aborts the handler's ctx.signal (and with the router's `timeout`,
      // so does its deadline), so an in-flight slot is held only as long as
      // the handler takes to notice, not until `commandTimeout`.
      result = await runtime.dispatch(request, {
        signal: operationSignal(c),
      });
    } catch (error) {
      return errorResponse(c, failureFor(error, "command"));
    }
    // The names were validated above, so they are safe to send back.
    return jsonResponse(
      c,
      200,
      { worker, name, result: result ?? {} },
      requestFailure(
        500,
        "result_not_serialisable",
        "command result is not serialisable",
      ),
    );
  });
}
