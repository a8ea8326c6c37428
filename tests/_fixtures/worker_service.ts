// A worker-only service for tests/signals.test.ts: no HTTP server, and
// workers that do nothing once started (no timer, no socket), which is what
// made Node end such a service at once (exit code 13). It runs
// runService() on the serve entry's shutdownSignal() and never calls exit:
// it sets the exit code and lets the process end on its own, so a timer or
// handle left behind would keep it alive. Lines on stdout:
//
//   start:x / stop:x     a worker started / stopped
//   IDLE                 every worker runs, and the last timer has fired
//   SHUTDOWN <json>      the runtime's shutdown event (the report)
//   EXIT <code>          runService() resolved with it
//
// Arguments: --hang-stop (worker "stuck" never finishes stopping),
// --fail (worker "critical", policy fail-runtime, fails once IDLE),
// --shutdown-timeout=<ms>.
import process from "node:process";
import { runService, Runtime, type RuntimeEvent } from "../../mod.ts";
import type { ShutdownEvent, WorkerHandle } from "../../mod.ts";
import { shutdownSignal } from "../../adapters/serve.ts";

const args = process.argv.slice(2);
const timeoutArg = args.find((a) => a.startsWith("--shutdown-timeout="));

const signal = shutdownSignal();
const runtime = new Runtime({ name: "idle" });
let critical: WorkerHandle | undefined;
runtime.register({
  name: "ingest",
  worker: {
    start: () => console.log("start:ingest"),
    stop: () => console.log("stop:ingest"),
  },
});
runtime.register({
  name: "critical",
  failurePolicy: "fail-runtime",
  worker: {
    start: (ctx) => {
      critical = ctx.worker;
      console.log("start:critical");
    },
    stop: () => console.log("stop:critical"),
  },
});
if (args.includes("--hang-stop")) {
  runtime.register({
    name: "stuck",
    worker: {
      start: () => console.log("start:stuck"),
      stop: () => {
        console.log("stop:stuck");
        return new Promise(() => {});
      },
    },
  });
}
runtime.addEventListener("shutdown", (event) => {
  const { detail } = event as RuntimeEvent<ShutdownEvent>;
  console.log(`SHUTDOWN ${JSON.stringify(detail)}`);
});

const service = runService({
  runtime,
  signal,
  ...(timeoutArg ? { shutdownTimeout: Number(timeoutArg.split("=")[1]) } : {}),
});
runtime.addEventListener("transition", function ready() {
  if (runtime.status().state !== "running") return;
  runtime.removeEventListener("transition", ready);
  // The last timer this process has: once it has fired, only runService
  // keeps the process up.
  setTimeout(() => {
    console.log("IDLE");
    if (args.includes("--fail")) critical?.reportFailure(new Error("fatal"));
  }, 100);
});

const { exitCode } = await service;
console.log(`EXIT ${exitCode}`);
process.exitCode = exitCode;
