// Ops commands: commandFromOps() adapts a handler that answers an explicit
// outcome — completed, accepted, rejected or failed — into a normal command.
// `completed` and `accepted` succeed (the result becomes the payload);
// `rejected` and `failed` throw an OpsCommandError whose public code and
// message reach status, events and HTTP. The same four dispatches then go
// through the Hono ops router (in process, no server) to show the HTTP
// mapping: 200, 200, 409, 500.
//
//   deno run -A examples/ops-command/main.ts
//   node examples/ops-command/main.ts          (Node 22.18+ or 24)
//   bun examples/ops-command/main.ts
import {
  commandFromOps,
  delay,
  OpsCommandError,
  type OpsCommandResult,
  Runtime,
} from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";

let rebuilding = false;
let documents = 1_200;
let finishRebuild = (): void => {};

const runtime = new Runtime({ name: "search" });
runtime.register({
  name: "indexer",
  worker: { start() {}, stop() {} },
  commands: [
    commandFromOps({
      name: "index/rebuild",
      description: "rebuilds the search index",
      payloadKind: "json",
      idempotent: false,
    }, (request, ctx): OpsCommandResult => {
      const { mode } = (request.payload ?? {}) as { mode?: string };
      if (mode === "corrupt") {
        // It ran and failed: a public code and message, nothing secret.
        return {
          outcome: "failed",
          failure: {
            code: "index_corrupt",
            message: "the index snapshot is corrupt",
          },
        };
      }
      if (rebuilding) {
        // Refused to run: the caller may try again later (HTTP 409).
        return {
          outcome: "rejected",
          failure: { code: "busy", message: "a full rebuild is running" },
        };
      }
      if (mode === "incremental") {
        documents += 10;
        return { outcome: "completed", result: { documents } };
      }
      // A full rebuild is accepted and goes on in the background (here: until
      // the example calls finishRebuild()); it stops early if the worker drains.
      rebuilding = true;
      const done = new Promise<void>((resolve) => (finishRebuild = resolve));
      ctx.drainSignal.addEventListener("abort", () => finishRebuild());
      void done.then(() => (rebuilding = false));
      return { outcome: "accepted", result: { rebuild: "started" } };
    }),
  ],
});
await runtime.startAll();

const rebuild = (mode: string) =>
  runtime.dispatch({
    worker: "indexer",
    name: "index/rebuild",
    payload: { mode },
  });

console.log("through dispatch():");
for (const mode of ["incremental", "full", "full", "corrupt"]) {
  try {
    const result = await rebuild(mode);
    console.log(
      `  ${mode.padEnd(12)} -> ${result.message} ${
        JSON.stringify(result.payload)
      }`,
    );
  } catch (error) {
    if (!(error instanceof OpsCommandError)) throw error;
    console.log(
      `  ${mode.padEnd(12)} -> OpsCommandError kind=${error.kind} ` +
        `code=${error.failure.code} "${error.failure.message}"`,
    );
  }
}
const failure = runtime.worker("indexer")?.status.lastCommandFailure;
console.log(`  lastCommandFailure: ${failure?.code} "${failure?.message}"`);

// The same outcomes over HTTP. app.request() runs the router in process.
finishRebuild();
await delay(0);
const app = opsRouter({
  runtime,
  commands: true,
  auth: (c) => c.req.header("authorization") === "Bearer example-token",
});
console.log("\nthrough POST /admin/commands/dispatch:");
for (const mode of ["incremental", "full", "full", "corrupt"]) {
  const response = await app.request("/admin/commands/dispatch", {
    method: "POST",
    headers: {
      authorization: "Bearer example-token",
      "content-type": "application/json",
    },
    body: JSON.stringify({
      worker: "indexer",
      name: "index/rebuild",
      payload: { mode },
    }),
  });
  console.log(
    `  ${mode.padEnd(12)} -> ${response.status} ${await response.text()}`,
  );
}

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
