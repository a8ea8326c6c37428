import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { CommandRequest } from "../../mod.ts";
import { isValidCommandName } from "../../mod.ts";
import type { Runtime } from "../../mod.ts";
import { failureFor, requestFailure } from "./_error_mapping.ts";
import { operationSignal } from "./_operation_deadline.ts";
import type { RouterSettings } from "./options.ts";
import { errorBody, errorResponse, textResponse } from "./respond.ts";
import {
  canonicalJson,
  type Claim,
  fingerprintOf,
  idempotencyKey,
  IdempotencyStore,
  type StoredAnswer,
} from "./_idempotency.ts";
import { WorkerkitError, type WorkerkitErrorCode } from "../../mod.ts";
import { readJsonObject } from "./_strict_json.ts";
import { isWorkerRef } from "../../mod.ts";

const FIELDS = ["worker", "name", "payload"] as const;

/** The dispatch route's path, `{prefix}/commands/dispatch`. */
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
 */
export function mountCommands(
  app: Hono,
  settings: RouterSettings,
  runtime: Runtime,
): void {
  const store = settings.idempotencyWindow > 0
    ? new IdempotencyStore(settings.idempotencyWindow, () => Date.now())
    : undefined;
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
    let claim: Claim | undefined;
    if (store) {
      const key = idempotencyKey(c.req.header("idempotency-key"));
      if (key === null) {
        return errorResponse(
          c,
          requestFailure(
            400,
            "invalid_argument",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
          ),
        );
      }
      if (key !== undefined) {
        claim = store.claim(
          `${qualified(runtime, worker)}\u0000${name}\u0000${key}`,
          await fingerprintOf(
            canonicalJson([qualified(runtime, worker), name, request.payload]),
          ),
        );
        const refused = claimAnswer(c, claim);
        if (refused) return refused;
      }
    }
    const answer = await dispatchAnswer(c, runtime, request);
    if (claim?.kind === "run") claim.finish(answer.keep ? answer : undefined);
    return textResponse(
      c,
      answer.status as ContentfulStatusCode,
      answer.body,
    );
  });
}

/** The answer for a key that is not free to run: a replay, or a refusal. */
function claimAnswer(c: Context, claim: Claim): Response | undefined {
  switch (claim.kind) {
    case "run":
      return undefined;
    case "replay":
      return textResponse(
        c,
        claim.answer.status as ContentfulStatusCode,
        claim.answer.body,
        { "idempotent-replayed": "true" },
      );
    case "running":
      return errorResponse(
        c,
        requestFailure(
          409,
          "idempotency_key_in_use",
          "a request with this Idempotency-Key is still running",
        ),
      );
    case "mismatch":
      return errorResponse(
        c,
        requestFailure(
          422,
          "idempotency_key_reused",
          "this Idempotency-Key was used for a different request",
        ),
      );
  }
}

/**
 * Refusals that happen before the command runs: a retry with the same key
 * must be free to run, so their answers are not kept.
 */
const NOT_RUN: ReadonlySet<WorkerkitErrorCode> = new Set([
  "invalid_name",
  "invalid_argument",
  "invalid_payload",
  "worker_not_found",
  "command_not_found",
  "invalid_worker_state",
  "runtime_not_accepting_work",
  "worker_not_accepting_work",
  "runtime_saturated",
  "worker_saturated",
  "runtime_shut_down",
  "canceled",
]);

/** Runs the dispatch; the answer's text, and whether a retry should replay it. */
async function dispatchAnswer(
  c: Context,
  runtime: Runtime,
  request: CommandRequest,
): Promise<StoredAnswer & { keep: boolean }> {
  let result: unknown;
  try {
    // The request's abort signal is the caller's signal, as the Go original
    // passes the request context: a client that disconnects aborts the
    // handler's ctx.signal (and so does the router's `timeout`), so an
    // in-flight slot is held only until the handler notices, not until
    // `commandTimeout`.
    result = await runtime.dispatch(request, { signal: operationSignal(c) });
  } catch (error) {
    const failure = failureFor(error, "command");
    return {
      status: failure.status,
      body: errorBody(failure),
      // Nobody saw the answer of a client that left: a retry with the same
      // key runs again rather than replaying the cancellation.
      keep: !notRun(error) && !c.req.raw.signal.aborted,
    };
  }
  // The names were validated above, so they are safe to send back.
  const { worker, name } = request;
  let text: string | undefined;
  try {
    text = JSON.stringify({ worker, name, result: result ?? {} });
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    const failure = requestFailure(
      500,
      "result_not_serialisable",
      "command result is not serialisable",
    );
    return { status: 500, body: errorBody(failure), keep: true };
  }
  return { status: 200, body: text, keep: true };
}

function notRun(error: unknown): boolean {
  const code = WorkerkitError.codeOf(error);
  return code !== undefined && NOT_RUN.has(code);
}

/** One key per worker: its local and qualified names mean the same worker. */
function qualified(runtime: Runtime, worker: string): string {
  return worker.includes("/") ? worker : `${runtime.name}/${worker}`;
}
