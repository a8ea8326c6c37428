import type { Context, Hono } from "hono";
import { isWorkerRef, type Runtime } from "../../mod.ts";
import { failureFor, requestFailure } from "./_error_mapping.ts";
import { operationSignal } from "./_operation_deadline.ts";
import type { RouterSettings } from "./options.ts";
import { errorResponse, jsonResponse } from "./respond.ts";
import { readJsonObject } from "./_strict_json.ts";

type Operation = "start" | "drain" | "stop";

const OPERATIONS: readonly Operation[] = ["start", "drain", "stop"];

const WORKER_NOT_FOUND = requestFailure(
  404,
  "worker_not_found",
  "worker not found",
);

/**
 * The lifecycle routes' paths:
 * `{prefix}/{workers,runtime}/{start,drain,stop}`.
 */
export function lifecyclePaths(prefix: string): string[] {
  return ["workers", "runtime"].flatMap((scope) =>
    OPERATIONS.map((operation) => `${prefix}/${scope}/${operation}`)
  );
}

/**
 * Mounts the lifecycle routes (behind the admin guard):
 *
 * - `POST {prefix}/workers/{start,drain,stop}`, body `{ worker }` → the
 *   runtime's `start` / `drain` / `stop` of that worker → 200 `{ worker:
 *   WorkerSnapshot }`;
 * - `POST {prefix}/runtime/{start,drain,stop}`, body empty or `{}` (still
 *   declared `application/json`) →
 *   `startAll` / `drainAll` / `stopAll` → 200 `{ runtime: RuntimeStatus }`.
 *
 * They wait for the lifecycle gate like any lifecycle call, with the
 * request's {@linkcode operationSignal} (the router's `lifecycleTimeout`
 * and the client's disconnect) as the call's signal: past it the call is
 * abandoned — dropped from the queue, or its signal aborted while it runs —
 * and the answer is 504 (or nothing, to a client that left). The workers'
 * own `startTimeout` / `stopTimeout` bound each step as well. Stop does not
 * wait for in-flight commands (nor cancel them); compose drain, a wait and
 * stop for that. Failures are mapped by {@linkcode failureFor}.
 */
export function mountLifecycle(
  app: Hono,
  settings: RouterSettings,
  runtime: Runtime,
): void {
  for (const operation of OPERATIONS) {
    app.post(
      `${settings.prefix}/workers/${operation}`,
      (c) => workerOperation(c, runtime, operation),
    );
    app.post(
      `${settings.prefix}/runtime/${operation}`,
      (c) => runtimeOperation(c, runtime, operation),
    );
  }
}

async function workerOperation(
  c: Context,
  runtime: Runtime,
  operation: Operation,
): Promise<Response> {
  const body = await readJsonObject(c, { fields: ["worker"] });
  if (!body.ok) return errorResponse(c, body.failure);
  const { worker } = body.value;
  if (typeof worker !== "string") {
    return errorResponse(
      c,
      requestFailure(400, "invalid_argument", "worker must be a string"),
    );
  }
  if (!isWorkerRef(worker)) {
    return errorResponse(
      c,
      requestFailure(400, "invalid_name", "invalid worker name"),
    );
  }
  // Refused here without waiting for the lifecycle gate.
  if (runtime.worker(worker) === undefined) {
    return errorResponse(c, WORKER_NOT_FOUND);
  }
  try {
    await runtime[operation](worker, { signal: operationSignal(c) });
  } catch (error) {
    return errorResponse(c, failureFor(error, "lifecycle"));
  }
  const snapshot = runtime.worker(worker);
  if (snapshot === undefined) return errorResponse(c, WORKER_NOT_FOUND);
  return jsonResponse(c, 200, { worker: snapshot });
}

const ALL = {
  start: "startAll",
  drain: "drainAll",
  stop: "stopAll",
} as const satisfies Record<Operation, keyof Runtime>;

async function runtimeOperation(
  c: Context,
  runtime: Runtime,
  operation: Operation,
): Promise<Response> {
  const body = await readJsonObject(c, { fields: [], allowEmpty: true });
  if (!body.ok) return errorResponse(c, body.failure);
  try {
    await runtime[ALL[operation]]({ signal: operationSignal(c) });
  } catch (error) {
    return errorResponse(c, failureFor(error, "lifecycle"));
  }
  return jsonResponse(c, 200, { runtime: runtime.status() });
}
