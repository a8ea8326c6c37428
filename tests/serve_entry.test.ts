// The serve entry (@workerkit/core/serve) against real servers on loopback,
// on whichever runtime runs the suite: it picks that runtime's adapter, takes
// the adapters' options, defaults the shutdown delay from the environment,
// keeps long requests and quiet streams open as long as Deno and Node do
// (Bun's own 10 s idle timeout is off), and a shutdown whose signal aborts
// does not wait for a client that never finishes its request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import process from "node:process";
import { WorkerkitError } from "../mod.ts";
import type { Server } from "../mod.ts";
import { serve } from "../adapters/serve.ts";
import {
  adapterName,
  closeBounded as close,
  serveOnLoopback as loopback,
} from "./_support/serve.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred } from "./_support/workers.ts";

/**
 * Well past Bun's default idle timeout: 10 s, enforced on a coarse tick
 * (connections were cut at about 12 s).
 */
const PAST_BUN_IDLE_MS = 15_000;
const TIMEOUT = { timeout: 120_000 };

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test("serve() picks this runtime's server, listens where asked and shuts down", async () => {
  const server = await loopback(() => new Response("ok"));
  try {
    assert.equal(server.url.hostname, "127.0.0.1");
    assert.notEqual(server.url.port, "");
    const response = await fetch(server.url);
    assert.equal(await response.text(), "ok");
  } finally {
    await close(server);
  }
  await assert.rejects(fetch(server.url), "no longer listening");
});

test("serve() reports the address it bound, not the name it was given", async () => {
  // "localhost" resolves to a loopback address; every adapter reports that
  // address (Bun's own hostname would say "localhost").
  const server = await serve(() => new Response("ok"), {
    port: 0,
    hostname: "localhost",
  });
  try {
    assert.match(server.url.hostname, /^(127\.0\.0\.1|\[::1\])$/);
    assert.equal(await (await fetch(server.url)).text(), "ok");
  } finally {
    await close(server);
  }
});

test("serve() refuses bad options with invalid_argument", async () => {
  for (
    const options of [
      { port: -1 },
      { port: 1.5 },
      { port: 70_000 },
      { hostname: "" },
      { hostname: 42 },
      { shutdownDelay: -1 },
      { host: "127.0.0.1" },
    ]
  ) {
    await assert.rejects(
      serve(() => new Response("never"), options as never),
      (e) => e instanceof WorkerkitError && e.code === "invalid_argument",
      JSON.stringify(options),
    );
  }
});

test("the shutdown delay is 5 s in Kubernetes (KUBERNETES_SERVICE_HOST), 0 elsewhere, and the option wins", async () => {
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  const servers: Server[] = [];
  try {
    delete process.env.KUBERNETES_SERVICE_HOST;
    servers.push(await loopback(() => new Response("")));
    process.env.KUBERNETES_SERVICE_HOST = "10.96.0.1";
    servers.push(await loopback(() => new Response("")));
    servers.push(await loopback(() => new Response(""), { shutdownDelay: 0 }));
  } finally {
    if (saved === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved;
    await Promise.all(servers.map(close));
  }
  assert.deepEqual(servers.map((s) => s.shutdownDelay), [0, 5_000, 0]);
});

test(
  "a handler slower than Bun's 10 s idle timeout still answers, and a quiet stream stays open",
  TIMEOUT,
  async () => {
    const encoder = new TextEncoder();
    const server = await loopback(async (request) => {
      if (new URL(request.url).pathname === "/slow") {
        await pause(PAST_BUN_IDLE_MS);
        return new Response("slow done");
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode("first\n"));
            timer = setTimeout(() => {
              controller.enqueue(encoder.encode("second\n"));
              controller.close();
            }, PAST_BUN_IDLE_MS);
          },
          cancel: () => clearTimeout(timer),
        }),
        { headers: { "content-type": "text/plain" } },
      );
    });
    try {
      const [slow, stream] = await Promise.all([
        fetch(new URL("/slow", server.url)).then((r) => r.text()),
        fetch(new URL("/stream", server.url)).then((r) => r.text()),
      ]);
      assert.equal(slow, "slow done");
      assert.equal(stream, "first\nsecond\n");
    } finally {
      await close(server);
    }
  },
);

/** Sends a request whose body never finishes; resolves once it is connected. */
async function halfSentUpload(url: URL): Promise<Socket> {
  const socket = connect(Number(url.port), url.hostname);
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(
    "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npart",
  );
  return socket;
}

test(
  "shutdown(signal) stops waiting for a half-sent request when the signal aborts, and closes it where the runtime can",
  TIMEOUT,
  async () => {
    const arrived = deferred();
    const server = await loopback(async (request) => {
      arrived.resolve();
      return new Response(await request.text().catch(() => "cut"));
    });
    const socket = await halfSentUpload(server.url);
    const socketClosed = new Promise((resolve) =>
      socket.once("close", resolve)
    );
    try {
      await arrived.promise;
      const force = new AbortController();
      let returned = false;
      const shutdown = server.shutdown(force.signal).then(() => {
        returned = true;
      });
      // The graceful close waits for the client, which never sends the rest.
      await pause(200);
      assert.equal(returned, false, "graceful close waits for the request");
      force.abort();
      await shutdown;
      // Node closes every connection (closeAllConnections), Bun too
      // (stop(true)); Deno has no such call once its graceful shutdown has
      // begun: the connection is left to the process's exit.
      if (adapterName() !== "deno") await socketClosed;
    } finally {
      socket.destroy();
    }
  },
);

test("no unhandled rejections", assertNoUnhandled);
