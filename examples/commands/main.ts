// Commands end to end: a worker registers named commands, an operator
// discovers them (workers(), commands(), with each payload's JSON Schema),
// and dispatch() runs them with a payload checked by a Zod schema — then
// every refusal and failure, each recognised by its stable `code`: bad names,
// unknown targets, a payload the schema refuses (`invalid_payload` with its
// issues), a request that is the caller's fault (`CommandRejection`), a
// draining worker, a worker that stopped accepting work, a handler error
// (whose text stays private), a deadline, and a retry that succeeds on
// attempt 3.
//
//   deno run -A examples/commands/main.ts
//   node examples/commands/main.ts          (Node 22.18+ or 24)
//   bun examples/commands/main.ts
import { z } from "zod";
import {
  attempts,
  command,
  CommandRejection,
  constant,
  delay,
  OperationalFailure,
  Runtime,
  type WorkerHandle,
  WorkerkitError,
} from "../../mod.ts";

/** What `price/set` accepts; the handler gets `{ sku: string; price: number }`. */
const PriceChange = z.object({
  sku: z.string().min(1).max(32),
  price: z.number().positive(),
});

const prices = new Map<string, number>([["apple", 1.2], ["pear", 0.9]]);
let handle: WorkerHandle | undefined;
let flakyCalls = 0;

const runtime = new Runtime({ name: "shop" });
runtime.register({
  name: "pricing",
  description: "keeps the price list",
  worker: {
    start(ctx) {
      handle = ctx.worker; // kept to flip acceptingWork later
    },
    stop() {},
  },
  commandTimeout: 200,
  commands: [
    command({
      name: "price/set",
      description: "sets one price",
      payloadKind: "json",
      payloadSchema: PriceChange,
      handler: ({ payload: { sku, price } }) => {
        const before = prices.get(sku);
        if (before !== undefined && price > before * 10) {
          // The caller's fault, not the worker's: public text, never
          // retried, not a command failure (HTTP 409).
          throw new CommandRejection({
            code: "price_jump",
            message: "a price may not grow more than tenfold at once",
          });
        }
        prices.set(sku, price);
        return { message: `${sku} = ${price}`, payload: { size: prices.size } };
      },
    }),
    {
      name: "cache/refresh",
      description: "reloads prices from the database",
      idempotent: true,
      handler: (_request, ctx) => ({
        message: "refreshed",
        payload: { dispatchId: ctx.dispatchId, attempt: ctx.attempt },
      }),
    },
    {
      name: "report/export",
      description: "exports a report (slow, honours its signal)",
      handler: async (_request, ctx) => {
        await delay(1_000, { signal: ctx.signal }); // aborts at commandTimeout
        return { message: "exported" };
      },
    },
    {
      name: "db/migrate",
      description: "runs migrations",
      dangerous: true,
      handler: () => {
        throw new Error("connect ECONNREFUSED postgres://admin:hunter2@db");
      },
    },
  ],
});
runtime.register({
  name: "feed",
  description: "pulls a partner feed; its sync fails twice, then works",
  worker: { start() {}, stop() {} },
  // Up to 3 attempts, 10 ms apart; each attempt has its own deadline.
  commandRetry: attempts(3, { backoff: constant(10) }),
  commands: [{
    name: "sync",
    handler: (_request, ctx) => {
      flakyCalls++;
      if (ctx.attempt < 3) throw new Error("partner feed: 502");
      return { message: `synced on attempt ${ctx.attempt}` };
    },
  }],
});

await runtime.startAll();

// ── Discovery ────────────────────────────────────────────────────────────
console.log("commands by worker:");
for (const w of runtime.workers()) {
  for (const c of runtime.commands(w.name) ?? []) {
    const flags = [
      c.idempotent ? "idempotent" : "",
      c.dangerous ? "dangerous" : "",
      c.payloadKind ? `payload:${c.payloadKind}` : "",
    ].filter(Boolean).join(",");
    const schema = c.payloadJsonSchema ? " (payload JSON Schema listed)" : "";
    const text = `${c.description ?? ""}${flags ? ` [${flags}]` : ""}${schema}`;
    console.log(
      `  ${w.qualifiedName.padEnd(13)} ${c.name.padEnd(14)} ${text}`.trimEnd(),
    );
  }
}

// ── Dispatch with a payload ──────────────────────────────────────────────
const set = await runtime.dispatch({
  worker: "pricing",
  name: "price/set",
  payload: { sku: "plum", price: 2.5 },
});
console.log(`\nprice/set -> ${set.message}`, set.payload);
// The qualified name works too.
const refreshed = await runtime.dispatch({
  worker: "shop/pricing",
  name: "cache/refresh",
});
console.log("cache/refresh ->", refreshed.payload);
const synced = await runtime.dispatch({ worker: "feed", name: "sync" });
console.log(`sync -> ${synced.message} (${flakyCalls} calls)`);

// ── Refusals and failures, by code ───────────────────────────────────────
async function attempt(label: string, run: () => Promise<unknown>) {
  try {
    await run();
    console.log(`  ${label.padEnd(36)} ok`);
  } catch (error) {
    // Our own conditions carry a stable code; anything else is the original
    // error (here: the caller's signal's reason).
    const code = error instanceof WorkerkitError ||
        error instanceof OperationalFailure
      ? error.code
      : `${(error as Error).name} (not a Workerkit error)`;
    console.log(`  ${label.padEnd(36)} ${code}`);
  }
}

console.log("\nerrors:");
await attempt(
  "bad command name",
  () => runtime.dispatch({ worker: "pricing", name: "Cache/Refresh" }),
);
await attempt(
  "unknown worker",
  () => runtime.dispatch({ worker: "billing", name: "cache/refresh" }),
);
await attempt(
  "unknown command",
  () => runtime.dispatch({ worker: "pricing", name: "cache/clear" }),
);
await attempt("payload the schema refuses", () =>
  runtime.dispatch({
    worker: "pricing",
    name: "price/set",
    payload: { sku: "fig", price: -1 },
  }));
// The issues say where and why, without echoing the payload's values.
await runtime.dispatch({
  worker: "pricing",
  name: "price/set",
  payload: { sku: "", price: "cheap" },
}).catch((error: WorkerkitError) => {
  for (const issue of error.issues ?? []) {
    console.log(`    ${issue.path.join(".")}: ${issue.message}`);
  }
});
await attempt("the caller's fault (CommandRejection)", () =>
  runtime.dispatch({
    worker: "pricing",
    name: "price/set",
    payload: { sku: "apple", price: 99 },
  }));
await attempt(
  "deadline (commandTimeout 200 ms)",
  () => runtime.dispatch({ worker: "pricing", name: "report/export" }),
);
await attempt(
  "caller's own signal (50 ms)",
  () =>
    runtime.dispatch({ worker: "pricing", name: "report/export" }, {
      signal: AbortSignal.timeout(50),
    }),
);
// The direct caller gets the original error, secret and all ...
await runtime.dispatch({ worker: "pricing", name: "db/migrate" }).catch(
  (error: Error) =>
    console.log(`  handler throws: caller sees "${error.message}"`),
);
// ... while status keeps only the public projection.
const failure = runtime.worker("pricing")?.status.lastCommandFailure;
console.log(
  `  lastCommandFailure: ${failure?.command} ${failure?.code} "${failure?.message}"`,
);

handle?.setAcceptingWork(false);
await attempt(
  "worker not accepting work",
  () => runtime.dispatch({ worker: "pricing", name: "cache/refresh" }),
);
handle?.setAcceptingWork(true);

await runtime.drain("pricing");
await attempt(
  "worker draining",
  () => runtime.dispatch({ worker: "pricing", name: "cache/refresh" }),
);

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
await attempt(
  "after shutdown",
  () => runtime.dispatch({ worker: "feed", name: "sync" }),
);
