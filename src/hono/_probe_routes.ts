import type { Hono } from "hono";
import type { OpsView, RouterSettings } from "./options.ts";
import { jsonResponse } from "./respond.ts";

/**
 * Mounts the probes, never behind auth:
 *
 * - `GET /livez`: 200 `{ ok: true }`; 503 `{ ok: false }` while the
 *   runtime's `live()` is false (a `livenessOnStall` worker is stalled).
 *   Without a runtime it is 200 while the process serves.
 * - `GET /readyz`: 200 when ready, else 503, with `{ ready, reason?,
 *   components }` from the view.
 */
export function mountProbes(
  app: Hono,
  settings: RouterSettings,
  view: OpsView,
): void {
  const { runtime } = settings;
  app.get("/livez", (c) => {
    const ok = runtime === undefined || runtime.live();
    return jsonResponse(c, ok ? 200 : 503, { ok });
  });
  app.get("/readyz", (c) => {
    const readiness = view.readiness();
    return jsonResponse(c, readiness.ready ? 200 : 503, readiness);
  });
}
