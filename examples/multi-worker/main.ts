// Three workers in one runtime, each a different shape:
//   ingest       a loopWorker that pulls documents into a shared queue;
//   index        a loopWorker that indexes them, ready after its first batch,
//                and owns two commands (index/stats, index/rebuild);
//   maintenance  an intervalWorker that compacts the index every 50 ms.
// The runtime's aggregate readiness is printed as it changes, then a status
// table, then a graceful shutdown.
//
//   deno run -A examples/multi-worker/main.ts
//   node examples/multi-worker/main.ts          (Node 22.18+ or 24)
//   bun examples/multi-worker/main.ts
import {
  intervalWorker,
  loopWorker,
  type ReadinessEvent,
  Runtime,
  type RuntimeEvent,
} from "../../mod.ts";

const started = performance.now();
function log(message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(4)} ms  ${message}`);
}

/** Waits `ms`, or resolves early when `signal` aborts (the loop then exits). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

const queue: string[] = [];
const index = new Map<string, number>(); // document → version
let pulled = 0;
let compactions = 0;

const runtime = new Runtime({ name: "search" });

runtime.addEventListener("readiness", (event) => {
  const e = (event as RuntimeEvent<ReadinessEvent>).detail;
  if (e.worker === undefined) log(`runtime readiness -> ${e.ready}`);
});

runtime.register({
  name: "ingest",
  description: "pulls documents from upstream",
  worker: loopWorker(async ({ signal, drainSignal, worker }) => {
    const stopTaking = AbortSignal.any([signal, drainSignal]);
    while (!stopTaking.aborted) {
      queue.push(`doc-${++pulled % 7}`); // the same 7 documents, updated over time
      worker.heartbeat();
      await pause(10, stopTaking);
    }
  }),
});

runtime.register({
  name: "index",
  description: "indexes documents; ready after its first batch",
  worker: loopWorker(async ({ signal, worker }) => {
    let batches = 0;
    while (!signal.aborted) {
      await pause(25, signal); // collect a batch
      const batch = queue.splice(0);
      for (const doc of batch) index.set(doc, (index.get(doc) ?? 0) + 1);
      if (batch.length > 0 && ++batches === 1) {
        worker.setReady(true);
        log(`index: first batch of ${batch.length} indexed, ready`);
      }
      worker.heartbeat();
    }
  }, { autoReady: false }),
  commands: [
    {
      name: "index/stats",
      description: "counts indexed documents",
      payloadKind: "none",
      handler: () => ({
        payload: { documents: index.size, queued: queue.length },
      }),
    },
    {
      name: "index/rebuild",
      description: "drops the index so the next batches rebuild it",
      dangerous: true,
      handler: () => {
        const dropped = index.size;
        index.clear();
        return { message: "rebuilding", payload: { dropped } };
      },
    },
  ],
});

runtime.register({
  name: "maintenance",
  description: "compacts the index",
  contributesToReadiness: false,
  worker: intervalWorker(() => {
    for (const [doc, version] of index) if (version > 3) index.set(doc, 1);
    compactions++;
  }, { interval: 50, continueOnError: true }),
});

await runtime.startAll();
log(
  `startAll done: runtime ready=${runtime.status().ready} (index warming up)`,
);
await new Promise((resolve) => setTimeout(resolve, 80));

const stats = await runtime.dispatch({ worker: "index", name: "index/stats" });
log(`index/stats -> ${JSON.stringify(stats.payload)}`);
const rebuilt = await runtime.dispatch({
  worker: "index",
  name: "index/rebuild",
});
log(`index/rebuild -> ${rebuilt.message} ${JSON.stringify(rebuilt.payload)}`);
await new Promise((resolve) => setTimeout(resolve, 60));

console.log("");
for (const { name, status } of runtime.workers()) {
  console.log(
    `  ${name.padEnd(12)} ${status.state.padEnd(8)} ready=${
      String(status.ready).padEnd(5)
    } ` +
      `commands=${runtime.commands(name)?.length ?? 0}`,
  );
}
console.log("");
log(
  `aggregate: state=${runtime.status().state} ready=${runtime.status().ready}; ` +
    `pulled=${pulled} indexed=${index.size} compactions=${compactions}`,
);

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
log(
  `shut down: state=${runtime.status().state} ready=${runtime.status().ready}`,
);
