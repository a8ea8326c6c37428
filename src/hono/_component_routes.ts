import type { Hono } from "hono";
import { isValidName } from "../../mod.ts";
import { requestFailure } from "./_error_mapping.ts";
import type { OpsView, RouterSettings } from "./options.ts";
import { errorResponse, jsonResponse } from "./respond.ts";

/**
 * Mounts the read-only inspection routes (behind the admin guard when
 * there is one):
 *
 * - `GET {prefix}/components`: 200 `{ components: [{ name, kind?, policy
 *   }] }`;
 * - `GET {prefix}/components/:name`: 200 with the component's detail
 *   (identity, policy, readiness and a JSON-safe copy of `inspect()`), 404
 *   `component_not_found` for an unknown name, 400 `invalid_name` for a
 *   name that cannot exist.
 */
export function mountComponents(
  app: Hono,
  settings: RouterSettings,
  view: OpsView,
): void {
  const base = `${settings.prefix}/components`;
  app.get(base, (c) => jsonResponse(c, 200, { components: view.components() }));
  app.get(`${base}/:name`, (c) => {
    const name = c.req.param("name");
    if (!isValidName(name)) {
      return errorResponse(
        c,
        requestFailure(400, "invalid_name", "invalid component name"),
      );
    }
    const detail = view.component(name);
    if (detail === undefined) {
      return errorResponse(
        c,
        requestFailure(404, "component_not_found", "component not found"),
      );
    }
    return jsonResponse(c, 200, detail);
  });
}
