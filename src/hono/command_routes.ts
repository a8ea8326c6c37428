import type { Hono } from "hono";
import type { CommandRequest } from "../../mod.ts";
import { isValidCommandName } from "../../mod.ts";
import type { Runtime } from "../../mod.ts";
import { failureFor, requestFailure } from "./error_mapping.ts";
import type { RouterSettings } from "./options.ts";
import { errorResponse, jsonResponse } from "./respond.ts";
import { readJsonObject } from "./strict_json.ts";
import { isWorkerRef } from "../../mod.ts";

const FIELDS = ["worker", "name", "payload"] as const;

/**
 * Mounts `POST {prefix}/commands/dispatch` (behind the admin guard): body
 * `{ worker, name, payload? }` in strict JSON → `runtime.dispatch()` → 200
 * `{ worker, name, result }`, where `result` is the command's `{ message?,
 * payload? }` (`{}` when the handler returned nothing). Refusals and
 * failures are mapped by {@linkcode failureFor} with public text only.
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
  app.post(`${settings.prefix}/commands/dispatch`, async (c) => {
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
    if (!isValidCommandName(name)) {
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
      result = await runtime.dispatch(request);
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
