// A real service for tests/signals.test.ts, run as a child process on the
// same runtime as the test: three workers (a, b, c), a Hono app served by the
// runtime's own adapter on port 0, and runService() on the adapter's
// shutdownSignal(). It talks to the test through stdout lines:
//
//   start:x / stop:x         a worker started / stopped
//   LISTENING <url>          serving, every worker running
//   SLOW_BEGIN / SLOW_END    GET /slow arrived / is about to respond
//   DISPATCH_BEGIN / _END    the `slow` command on b began / is about to return
//   UPLOAD_BEGIN             POST /upload arrived (it reads the whole body)
//   SHUTDOWN_BEGIN           the first SIGINT/SIGTERM arrived
//   SHUTDOWN <json>          the runtime's shutdown event (the report)
//   EXIT <code>              runService() resolved; the process exits with it
//
// /slow and the `slow` command hold on until shutdown has begun, then take
// 300 ms more, so they are provably in flight while the service drains (with
// no timing on the test's side). They give up waiting after 15 s.
//
// Arguments: --shutdown-delay=<ms> (default 0), --shutdown-timeout=<ms>
// (default: runService's).
import process from "node:process";
import { Hono } from "hono";
import { delay, runService, Runtime, type RuntimeEvent } from "../../mod.ts";
import type { ShutdownEvent } from "../../mod.ts";
import { serve, shutdownSignal } from "../../adapters/serve.ts";

function option(name: string): number | undefined {
  const prefix = `--${name}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  return arg === undefined ? undefined : Number(arg.slice(prefix.length));
}

// Installs the SIGINT/SIGTERM listeners before anything else can happen.
const shutdown = shutdownSignal();
shutdown.addEventListener("abort", () => console.log("SHUTDOWN_BEGIN"), {
  once: true,
});

/** Resolves 300 ms after shutdown has begun (or after 15 s without one). */
async function holdUntilShutdown(): Promise<void> {
  if (!shutdown.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 15_000);
      shutdown.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
  await delay(300);
}

const runtime = new Runtime({ name: "fixture" });
for (const name of ["a", "b", "c"]) {
  runtime.register({
    name,
    worker: {
      start: () => console.log(`start:${name}`),
      stop: () => console.log(`stop:${name}`),
    },
    commands: name !== "b" ? [] : [{
      name: "slow",
      handler: async () => {
        console.log("DISPATCH_BEGIN");
        await holdUntilShutdown();
        console.log("DISPATCH_END");
        return { message: "slow command done" };
      },
    }],
  });
}

runtime.addEventListener("shutdown", (event) => {
  const { detail } = event as RuntimeEvent<ShutdownEvent>;
  console.log(`SHUTDOWN ${JSON.stringify(detail)}`);
});

const app = new Hono();
app.get("/ok", (c) => c.text("ok"));
app.get("/slow", async (c) => {
  console.log("SLOW_BEGIN");
  await holdUntilShutdown();
  console.log("SLOW_END");
  return c.text("slow done");
});
app.post("/upload", async (c) => {
  console.log("UPLOAD_BEGIN");
  const body = await c.req.text();
  return c.text(`got ${body.length} bytes`);
});
app.get("/dispatch", async (c) => {
  const result = await runtime.dispatch({ worker: "b", name: "slow" });
  return c.text(result.message ?? "");
});

const server = await serve(app.fetch, { port: 0, hostname: "127.0.0.1" });
const timeout = option("shutdown-timeout");
const service = runService({
  runtime,
  server,
  signal: shutdown,
  shutdownDelay: option("shutdown-delay") ?? 0,
  ...(timeout === undefined ? {} : { shutdownTimeout: timeout }),
});
// Tell the test only once every worker runs, so /dispatch finds b running.
const started = await Promise.race([
  new Promise<true>((resolve) => {
    const check = (): void => {
      if (!runtime.workers().every((w) => w.status.state === "running")) {
        return;
      }
      runtime.removeEventListener("transition", check);
      resolve(true);
    };
    runtime.addEventListener("transition", check);
    check();
  }),
  // runService() ends first when a worker fails to start.
  service.then(() => false, () => false),
]);
if (started) console.log(`LISTENING ${server.url.href}`);

const { exitCode } = await service;
console.log(`EXIT ${exitCode}`);
process.exit(exitCode);
