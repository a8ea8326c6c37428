// The runtime most router tests start from.
import { Runtime } from "../../mod.ts";
import type { Command, RuntimeOptions, WorkerRegistration } from "../../mod.ts";

/**
 * A started runtime "svc" with a worker "prices" that holds a "noop"
 * command and `commands`.
 */
export async function startPrices(
  commands: Command[] = [],
  options: {
    runtime?: Partial<RuntimeOptions>;
    worker?: Partial<WorkerRegistration>;
  } = {},
): Promise<Runtime> {
  const runtime = new Runtime({ name: "svc", ...options.runtime });
  runtime.register({
    name: "prices",
    worker: { start() {}, stop() {} },
    ...options.worker,
    commands: [{ name: "noop", handler: () => ({}) }, ...commands],
  });
  await runtime.startAll();
  return runtime;
}
