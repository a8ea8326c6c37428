// Structured logs for a runtime: logObserver turns every outcome into one
// LogTape record — a message template such as "{worker} {from} → {to}", stable
// properties, and a category per runtime and worker (["workerkit", "billing",
// "payments"]) so one worker can be logged in full while the rest stays at
// info (see docs/observability.md). The story: two workers start, a command
// succeeds, one fails with a secret in its error (one error line), one is
// retried (a warning), one is rejected by its handler (info), a worker reports
// a lost broker, and the runtime shuts down. At the end it checks that the
// secret appears in no log line, although observers got the original error as
// the private `cause`.
//
//   deno run -A examples/observability-log/main.ts
//   node examples/observability-log/main.ts          (Node 22.18+ or 24)
//   bun examples/observability-log/main.ts
import {
  configure,
  getConsoleSink,
  getLogger,
  jsonLinesFormatter,
  reset,
} from "@logtape/logtape";
import {
  attempts,
  CommandRejection,
  multiObserver,
  OperationalFailure,
  Runtime,
  type WorkerContext,
} from "../../mod.ts";
import { logObserver } from "../../src/log/mod.ts";

const SECRET = "sk_live_51Hx-example-secret";

// Every line is also kept, to prove at the end that the secret never got there.
const printed: string[] = [];

await configure({
  sinks: {
    console: getConsoleSink(),
    audit: (record) => void printed.push(jsonLinesFormatter(record)),
  },
  loggers: [
    {
      category: ["workerkit"],
      sinks: ["console", "audit"],
      lowestLevel: "info",
    },
    // One worker in full: its own sinks replace its parent's (whose level
    // would filter its debug records out).
    {
      category: ["workerkit", "billing", "payments"],
      sinks: ["console", "audit"],
      parentSinks: "override",
      lowestLevel: "debug",
    },
    // LogTape's own diagnostics: only problems.
    {
      category: ["logtape", "meta"],
      sinks: ["console"],
      lowestLevel: "warning",
    },
  ],
});

// The private causes observers received, for the check at the end.
const causes: unknown[] = [];
const runtime = new Runtime({
  name: "billing",
  observer: multiObserver(
    logObserver(getLogger(["workerkit"]), {
      fields: { service: "billing-api", version: "1.4.2" },
    }),
    { failure: (e) => void causes.push(e.cause) },
  ),
});

class Busy extends Error {}
let ledgerCalls = 0;
let broker: WorkerContext | undefined;

runtime.register({
  name: "payments",
  commandRetry: attempts(2, { retryIf: (e) => e instanceof Busy }),
  worker: { start() {}, stop() {} },
  commands: [
    { name: "cache/refresh", handler: () => ({ message: "refreshed" }) },
    {
      name: "charge",
      handler: () => {
        throw new Error(`card declined for key ${SECRET}`);
      },
    },
    {
      name: "refund",
      handler: () => {
        throw new CommandRejection({
          code: "already_refunded",
          message: "the charge was refunded already",
        });
      },
    },
    {
      name: "ledger/sync",
      handler: () => {
        if (ledgerCalls++ === 0) throw new Busy("ledger busy");
        return { message: "synced" };
      },
    },
  ],
});
runtime.register({
  name: "events",
  worker: {
    start(ctx) {
      broker = ctx;
    },
    stop() {},
  },
});

await runtime.startAll();
await runtime.dispatch({ worker: "payments", name: "cache/refresh" });
await runtime.dispatch({ worker: "payments", name: "charge" }).catch(() => {});
await runtime.dispatch({ worker: "payments", name: "ledger/sync" });
await runtime.dispatch({ worker: "payments", name: "refund" }).catch(() => {});
broker!.worker.reportFailure(
  new OperationalFailure(
    { code: "broker_lost", message: "broker connection lost" },
    { cause: new Error(`amqp://billing:${SECRET}@broker:5672 ECONNRESET`) },
  ),
);
await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
await reset();

const leaked = printed.some((line) => line.includes(SECRET));
const chargeErrors =
  printed.filter((line) =>
    line.includes('"level":"ERROR"') && line.includes('"command":"charge"')
  ).length;
const observed = causes.some((c) =>
  c instanceof Error && c.message.includes(SECRET)
);
console.log(
  `\n${printed.length} JSON lines; secret in a log line: ${leaked}; ` +
    `secret in a private cause seen by an observer: ${observed}`,
);
if (leaked || !observed || chargeErrors !== 1) {
  throw new Error("unexpected: check the log observer");
}
