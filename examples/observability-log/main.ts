// Structured logs for a runtime: LogTape prints one JSON line per record to
// the console, and logObserver turns every runtime event into a record with
// stable fields (see docs/observability.md). The story: two workers start, a
// command succeeds, one fails with a secret in its error, one is retried, a
// worker reports a lost broker, and the runtime shuts down. At the end it
// checks that the secret appears in no log line, although observers got the
// original error as the private `cause`.
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
    console: getConsoleSink({ formatter: jsonLinesFormatter }),
    audit: (record) => void printed.push(jsonLinesFormatter(record)),
  },
  loggers: [
    {
      category: ["workerkit"],
      sinks: ["console", "audit"],
      lowestLevel: "info",
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
broker!.worker.reportFailure(
  new OperationalFailure(
    { code: "broker_lost", message: "broker connection lost" },
    { cause: new Error(`amqp://billing:${SECRET}@broker:5672 ECONNRESET`) },
  ),
);
await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
await reset();

const leaked = printed.some((line) => line.includes(SECRET));
const observed = causes.some((c) =>
  c instanceof Error && c.message.includes(SECRET)
);
console.log(
  `\n${printed.length} JSON lines; secret in a log line: ${leaked}; ` +
    `secret in a private cause seen by an observer: ${observed}`,
);
if (leaked || !observed) throw new Error("unexpected: check the log observer");
