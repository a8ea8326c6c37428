import { type OpsReadiness, OpsRegistry } from "../../mod.ts";
import type { Runtime } from "../../mod.ts";
import type { OpsView } from "./options.ts";

/**
 * Where `/readyz` and the component routes read from: the registry when
 * there is one; otherwise a private registry holding only the runtime (as a
 * `required` component), so the answers have the same shape either way and
 * get the registry's sanitising. With the runtime alone, a not-ready answer
 * gives the runtime's own reason (e.g. "shutting down") at the top. Needs
 * at least one of the two.
 */
export function opsView(
  runtime: Runtime | undefined,
  registry: OpsRegistry | undefined,
): OpsView {
  if (registry !== undefined) return registry;
  const own = new OpsRegistry();
  own.register(runtime!);
  return {
    readiness(): OpsReadiness {
      const readiness = own.readiness();
      const reason = readiness.components[0]?.reason;
      if (!readiness.ready && reason !== undefined) readiness.reason = reason;
      return readiness;
    },
    components: () => own.components(),
    component: (name) => own.component(name),
  };
}
