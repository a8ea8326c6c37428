// Supervision, Erlang/OTP style, plus the stall watchdog:
//
// 1. `prices` — a flaky subscriber whose connection drops three times. Each
//    drop fails the running generation; the runtime stops it, waits the
//    backoff (20, 40, 80 ms) and starts a new one. status.restarts counts.
// 2. `exporter` — a loop that wedges (stops heartbeating). With a
//    stallTimeout and livenessOnStall it is flagged `stalled`, unready, and
//    runtime.live() — what /livez answers — goes false until it recovers.
// 3. `ledger` — wedges too, but has a restart policy: the watchdog's stall
//    counts as a failure and supervision restarts it.
// 4. `mailer` — fails every time. More than 2 restarts within a second is
//    more than restarting can fix: supervision gives up, the worker stays
//    `failed` and its failure policy applies.
//
//   deno run -A examples/supervision/main.ts
//   node examples/supervision/main.ts          (Node 22.18+ or 24)
//   bun examples/supervision/main.ts
import {
  attempts,
  delay,
  exponential,
  type FailureEvent,
  loopWorker,
  OperationalFailure,
  Runtime,
  type RuntimeEvent,
  type TransitionEvent,
} from "../../mod.ts";

const started = performance.now();
function log(message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(4)} ms  ${message}`);
}

/** Polls `condition` every 5 ms until it holds (at most 10 s). */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await delay(5);
  }
}

const runtime = new Runtime({ name: "market" });
runtime.addEventListener("transition", (event) => {
  const e = (event as RuntimeEvent<TransitionEvent>).detail;
  if (e.worker && (e.reason || e.to === "failed")) {
    log(`${e.worker}: ${e.from} -> ${e.to}${e.reason ? ` (${e.reason})` : ""}`);
  }
});
runtime.addEventListener("failure", (event) => {
  const e = (event as RuntimeEvent<FailureEvent>).detail;
  log(`${e.worker}: failure kind=${e.kind} code=${e.code}`);
});

// 1. A subscriber whose first three connections drop after 20 ms.
let connections = 0;
runtime.register({
  name: "prices",
  restart: {
    backoff: attempts(10, { backoff: exponential(20, 2, 1_000) }),
    maxRestarts: 5,
    withinMs: 60_000,
  },
  worker: loopWorker(async ({ signal }) => {
    const connection = ++connections;
    const stopped = await delay(20, { signal }).then(() => false, () => true);
    if (stopped) return;
    if (connection <= 3) {
      throw new OperationalFailure({
        code: "connection_lost",
        message: "price stream disconnected",
      });
    }
    // Connected for good: stream until stopped.
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }),
});

// 2 and 3. Loops that heartbeat every 10 ms, then — on their first run —
// wedge at iteration 3 until `unwedge` aborts (or the worker stops).
function wedgingLoop(unwedge: AbortSignal, runs: { count: number }) {
  return loopWorker(async ({ signal, worker }) => {
    const run = ++runs.count;
    for (let i = 0; !signal.aborted; i++) {
      worker.heartbeat();
      const wedged = run === 1 && i === 3;
      const wait = wedged ? AbortSignal.any([signal, unwedge]) : signal;
      await delay(wedged ? 60_000 : 10, { signal: wait }).catch(() => {});
    }
  });
}
const exporterRuns = { count: 0 };
const unwedgeExporter = new AbortController();
runtime.register({
  name: "exporter",
  stallTimeout: 100,
  livenessOnStall: true,
  worker: wedgingLoop(unwedgeExporter.signal, exporterRuns),
});
const ledgerRuns = { count: 0 };
runtime.register({
  name: "ledger",
  stallTimeout: 100,
  restart: { backoff: attempts(10, { backoff: exponential(10) }) },
  worker: wedgingLoop(new AbortController().signal, ledgerRuns),
});

// 4. A worker that always fails, with a tight restart intensity.
let smtp: ReturnType<typeof setTimeout> | undefined;
runtime.register({
  name: "mailer",
  failurePolicy: "mark-runtime-unready",
  restart: {
    backoff: attempts(10, { backoff: exponential(10) }),
    maxRestarts: 2,
    withinMs: 1_000,
  },
  worker: {
    start(ctx) {
      smtp = setTimeout(
        () => ctx.worker.reportFailure(new Error("SMTP 421 try later")),
        10,
      );
    },
    stop() {
      clearTimeout(smtp); // an old generation's handle must not be used
    },
  },
});

await runtime.startAll();
log("all started");

await until("prices to stay up", () => connections === 4);
await until(
  "prices running",
  () => runtime.worker("prices")?.status.state === "running",
);
log(
  `prices: running after ${runtime.worker("prices")?.status.restarts} restarts`,
);

await until(
  "exporter stalled",
  () => runtime.worker("exporter")!.status.stalled,
);
const stalled = runtime.worker("exporter")!.status;
// What /readyz lists for the worker, and what /livez follows.
const item = () =>
  runtime.readiness().items?.find((i) => i.name === "exporter");
log(
  `exporter: state=${stalled.state} stalled=${stalled.stalled}, readiness ` +
    `item ready=${item()?.ready} (${item()?.reason}); runtime.live()=` +
    `${runtime.live()}, so /livez answers 503`,
);
unwedgeExporter.abort();
await until(
  "exporter recovered",
  () => !runtime.worker("exporter")!.status.stalled,
);
log(
  `exporter: heartbeat again, stalled=false, readiness item ` +
    `ready=${item()?.ready}; runtime.live()=${runtime.live()}`,
);

await until("ledger restarted", () => ledgerRuns.count === 2);
log(
  `ledger: restarted by the watchdog, restarts=${
    runtime.worker("ledger")?.status.restarts
  }`,
);

await until(
  "mailer given up",
  () => runtime.worker("mailer")?.status.state === "failed",
);
const mailer = runtime.worker("mailer")!.status;
log(
  `mailer: gave up after ${mailer.restarts} restarts, state=${mailer.state}, ` +
    `lastFailure=${mailer.lastFailure?.code}; runtime ready=${runtime.status().ready}`,
);

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
log(`shut down: ${runtime.status().state}`);
