// Shows the smallest complete runtime: one worker with one command,
// registered, started, inspected (status() and workers()), asked to run its
// command through dispatch(), and shut down under a deadline.
//
//   deno run -A examples/basic/main.ts
//   node examples/basic/main.ts          (Node 22.18+ or 24)
//   bun examples/basic/main.ts
import { Runtime, type Worker } from "../../mod.ts";

// A worker is any object with start(ctx) and stop(ctx). This one keeps a
// background timer running between the two.
let timer: ReturnType<typeof setInterval> | undefined;
let ticks = 0;
const ticker: Worker = {
  start() {
    timer = setInterval(() => ticks++, 5);
    console.log("ticker: started");
  },
  stop() {
    clearInterval(timer);
    console.log("ticker: stopped");
  },
};

const runtime = new Runtime({ name: "demo" });
runtime.register({
  name: "ticker",
  description: "counts ticks in the background",
  worker: ticker,
  commands: [{
    name: "ticks/read",
    description: "reports the tick count",
    idempotent: true,
    handler: () => ({ message: `${ticks} ticks so far`, payload: { ticks } }),
  }],
});

await runtime.startAll();

const status = runtime.status();
console.log(
  `runtime ${status.name}: state=${status.state} ready=${status.ready} workers=${status.workers}`,
);
for (const w of runtime.workers()) {
  console.log(
    `worker ${w.qualifiedName}: state=${w.status.state} ready=${w.status.ready} accepting=${w.status.acceptingWork}`,
  );
}

// Let it tick for a moment, then ask the worker through its command.
await new Promise((resolve) => setTimeout(resolve, 50));
const result = await runtime.dispatch({ worker: "ticker", name: "ticks/read" });
console.log(`dispatch ticks/read -> ${result.message}`);

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
console.log(`after shutdown: state=${runtime.status().state}`);
