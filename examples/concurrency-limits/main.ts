// Concurrency caps: the runtime admits at most 3 commands in flight, the
// `thumbnails` worker at most 2 of its own. A dispatch over a cap is refused
// at once with `worker_saturated` or `runtime_saturated` — there is no hidden
// queue, so the caller decides (retry later, answer 429, shed load). Then
// waitIdle() / waitAllIdle() wait for in-flight work to finish, and the clean
// way to stop a busy worker: drain (admission closes, drainSignal tells the
// handler to wrap up) → waitIdle → stop.
//
//   deno run -A examples/concurrency-limits/main.ts
//   node examples/concurrency-limits/main.ts          (Node 22.18+ or 24)
//   bun examples/concurrency-limits/main.ts
import {
  type CommandEndEvent,
  delay,
  Runtime,
  type RuntimeEvent,
  WorkerkitError,
} from "../../mod.ts";

const started = performance.now();
function log(message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(4)} ms  ${message}`);
}

/** A latch the example opens by hand, so nothing depends on timing. */
function latch(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
const release = latch();

const runtime = new Runtime({ name: "media", commandConcurrency: 3 });
runtime.register({
  name: "thumbnails",
  commandConcurrency: 2,
  worker: { start() {}, stop() {} },
  commands: [{
    name: "render",
    handler: async (request) => {
      await release.wait;
      return { message: `rendered ${request.payload}` };
    },
  }],
});
runtime.register({
  name: "exports",
  worker: { start() {}, stop() {} },
  commands: [{
    name: "csv",
    handler: async (_request, ctx) => {
      // A long job in 10 ms steps: it stops at a checkpoint when the worker
      // drains (drainSignal), and gives up at its deadline (signal).
      let rows = 0;
      while (rows < 100 && !ctx.drainSignal.aborted) {
        await delay(10, { signal: ctx.signal });
        rows += 10;
      }
      return {
        message: ctx.drainSignal.aborted ? "partial (drained)" : "complete",
        payload: { rows },
      };
    },
  }],
});

// Refusals are observed too: a command end event with attempts: 0.
let refused = 0;
runtime.addEventListener("commandend", (event) => {
  const e = (event as RuntimeEvent<CommandEndEvent>).detail;
  if (!e.ok && e.attempts === 0) refused++;
});

await runtime.startAll();

function code(error: unknown): string {
  return error instanceof WorkerkitError ? error.code : String(error);
}

// Two renders fill the worker's cap ...
const renders = [1, 2].map((n) =>
  runtime.dispatch({
    worker: "thumbnails",
    name: "render",
    payload: `img-${n}`,
  })
);
log(
  `2 renders in flight: thumbnails inFlight=${
    runtime.worker("thumbnails")?.status.inFlight
  }`,
);
// ... so a third is refused at once.
await runtime.dispatch({ worker: "thumbnails", name: "render", payload: "x" })
  .catch((e) => log(`3rd render -> ${code(e)}`));

// One export takes the runtime's last slot; the next one is refused.
const exported = runtime.dispatch({ worker: "exports", name: "csv" });
log(`runtime inFlight=${runtime.status().inFlight} (cap 3)`);
await runtime.dispatch({ worker: "exports", name: "csv" })
  .catch((e) => log(`2nd export -> ${code(e)}`));

// waitIdle waits for one worker's in-flight commands, waitAllIdle for all.
setTimeout(() => release.open(), 30);
await runtime.waitIdle("thumbnails", { signal: AbortSignal.timeout(5_000) });
log(`thumbnails idle: ${(await Promise.all(renders)).map((r) => r.message)}`);
await runtime.waitAllIdle({ signal: AbortSignal.timeout(5_000) });
log(`all idle: export ${(await exported).message}`);

// The clean stop of a busy worker: drain → waitIdle → stop.
const job = runtime.dispatch({ worker: "exports", name: "csv" });
await delay(35);
await runtime.drain("exports"); // admission closes, drainSignal aborts
await runtime.dispatch({ worker: "exports", name: "csv" })
  .catch((e) => log(`export while draining -> ${code(e)}`));
await runtime.waitIdle("exports", { signal: AbortSignal.timeout(5_000) });
const partial = await job;
log(`drained: ${partial.message}, ${JSON.stringify(partial.payload)}`);
await runtime.stop("exports");
log(
  `exports ${
    runtime.worker("exports")?.status.state
  }; refused so far: ${refused}`,
);

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
log(`shut down: ${runtime.status().state}`);
