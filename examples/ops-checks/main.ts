// Ops checks drive readiness: checkLoop() runs a dependency Checker every
// 40 ms and marks its worker ready or unready from each result, and
// checkGroupLoop() runs a CheckGroup (two storage members) the same way. The
// runtime is registered in an OpsRegistry, so /readyz would answer from
// registry.readiness(). Every check run is observed as a `checkend` event:
// watch postgres come up, and the storage group time out once.
//
//   deno run -A examples/ops-checks/main.ts
//   node examples/ops-checks/main.ts          (Node 22.18+ or 24)
//   bun examples/ops-checks/main.ts
import {
  type CheckEndEvent,
  type Checker,
  type CheckGroup,
  checkGroupLoop,
  checkLoop,
  type CheckResult,
  type CheckSummary,
  OpsRegistry,
  Runtime,
  type RuntimeEvent,
} from "../../mod.ts";

const started = performance.now();
function log(message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(4)} ms  ${message}`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

// A database that accepts connections only after ~100 ms.
const dbUpAt = performance.now() + 100;
const postgres: Checker = {
  name: "postgres",
  async check(signal) {
    await sleep(2, signal); // a round trip
    const up = performance.now() >= dbUpAt;
    return {
      ready: up,
      message: up ? "accepting connections" : "connection refused",
      at: new Date().toISOString(),
    };
  },
};

// A group of two members; on its second run the blob store hangs for 60 ms
// and ignores the signal: the run times out at 30 ms (the worker goes
// unready), its late summary still reaches onSummary but not readiness, and
// the next run waits until it has settled.
let blobRuns = 0;
const storage: CheckGroup = {
  name: "storage",
  async checkAll(signal) {
    const results: Record<string, CheckResult> = {
      redis: { ready: true },
    };
    blobRuns++;
    await (blobRuns === 2 ? sleep(60) : sleep(2, signal));
    results["blob"] = { ready: true, attributes: { run: blobRuns } };
    return { ready: Object.values(results).every((r) => r.ready), results };
  },
};

const runtime = new Runtime({ name: "shop" });
runtime.register({
  name: "db-check",
  description: "watches postgres",
  worker: checkLoop(postgres, {
    interval: 40,
    onResult: (r: CheckResult) => log(`postgres: ${r.message}`),
  }),
});
runtime.register({
  name: "storage-check",
  description: "watches redis and the blob store",
  worker: checkGroupLoop(storage, {
    interval: 40,
    timeout: 30,
    // Called after readiness was applied, so a late summary shows up here
    // with the worker still unready.
    onSummary: (s: CheckSummary) =>
      log(
        `storage summary #${
          s.results["blob"]?.attributes?.["run"]
        }: ready=${s.ready}, ` +
          `worker ready=${runtime.worker("storage-check")?.status.ready}`,
      ),
  }),
});
runtime.addEventListener("checkend", (event) => {
  const e = (event as RuntimeEvent<CheckEndEvent>).detail;
  const extra = e.code ? ` (${e.code})` : "";
  log(
    `checkend ${e.worker} ${e.check}: ${e.outcome}${extra} in ${
      Math.round(e.durationMs)
    } ms`,
  );
});

const registry = new OpsRegistry();
registry.register(runtime, { policy: "required" });

await runtime.startAll();
log(
  `started: registry ready=${registry.readiness().ready} (waiting for first results)`,
);
await sleep(200);
const readiness = registry.readiness();
log(
  `after 200 ms: registry ready=${readiness.ready}; workers: ${
    runtime.workers().map((w) =>
      `${w.name}=${w.status.ready ? "ready" : "unready"}`
    ).join(", ")
  }`,
);
await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
log(`shut down: runtime state=${runtime.status().state}`);
