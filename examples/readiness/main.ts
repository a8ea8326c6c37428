// Shows how worker readiness adds up to runtime readiness. A `cache` worker
// says "not ready" during start and becomes ready after an async warm-up; an
// `exporter` worker does not contribute to readiness and only becomes ready
// later. The same pair runs under readinessPolicy "contributing" (the
// default: only contributing workers count) and "all" (every worker counts),
// printing the `readiness` events each runtime dispatches.
//
//   deno run -A examples/readiness/main.ts
//   node examples/readiness/main.ts          (Node 22.18+ or 24)
//   bun examples/readiness/main.ts
import {
  type ReadinessEvent,
  type ReadinessPolicy,
  Runtime,
  type RuntimeEvent,
  type Worker,
} from "../../mod.ts";

const started = performance.now();
function log(message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(4)} ms  ${message}`);
}

/** A worker that is up at once but ready only after `warmUpMs`. */
function warmingWorker(warmUpMs: number): Worker {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    start(ctx) {
      // Handle calls made during start win over readyOnStart.
      ctx.worker.setReady(false);
      timer = setTimeout(() => ctx.worker.setReady(true), warmUpMs);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

async function run(policy: ReadinessPolicy): Promise<void> {
  console.log(`\nreadinessPolicy: "${policy}"`);
  const runtime = new Runtime({ name: "shop", readinessPolicy: policy });
  runtime.register({
    name: "cache",
    description: "serves prices once warmed up",
    worker: warmingWorker(100),
  });
  runtime.register({
    name: "exporter",
    description: "ships audit records; traffic does not depend on it",
    contributesToReadiness: false,
    worker: warmingWorker(200),
  });

  // Worker events carry `worker`; the runtime's own events do not.
  const bothWarm = new Promise<void>((resolve) => {
    runtime.addEventListener("readiness", (event) => {
      const e = (event as RuntimeEvent<ReadinessEvent>).detail;
      log(`readiness  ${e.worker ?? `runtime ${e.runtime}`} -> ${e.ready}`);
      if (e.worker === "shop/exporter" && e.ready) resolve();
    });
  });

  await runtime.startAll();
  log(
    `startAll() resolved: runtime ready=${runtime.status().ready}, ` +
      `cache ready=${runtime.worker("cache")?.status.ready}`,
  );
  await bothWarm;
  log(`both warm: runtime ready=${runtime.status().ready}; shutting down`);
  // Shutdown makes the runtime unready first, then drains and stops.
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
}

await run("contributing");
await run("all");
