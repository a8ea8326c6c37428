// Deploy-under-load test of examples/redis-stream against a real redis-server:
// 10,000 entries, three rolling deploys (start the next pod, wait until it is
// ready, SIGTERM the old one) and one SIGKILL with a restart under the same
// consumer name, while the consumers work. Every entry must be handled and
// acknowledged, none lost; only entries in flight at the SIGKILL may run
// twice; each SIGTERM exits 0 within its budget. Run by the infra phase of
// tools/test.ts (tools/_infra_phase.ts) on Deno, Node 24 and Bun.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { assertNoUnhandled } from "../_support/unhandled.ts";
import {
  assertConnectionErrorsQuiet,
  assertNoSecret,
  report,
  rollingDeploy,
  ServerSlot,
  waitFor,
} from "./_harness.ts";
import { freePort, startRedis } from "./_servers.ts";
import { runtimeName, Service } from "./_service.ts";

const redis = new ServerSlot("redis-server", startRedis);
const TOTAL = 10_000;
const TOKEN = crypto.randomUUID();
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Exit within the budget, plus a loaded machine's process teardown. */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 5_000;
const TIMEOUT = { timeout: 150_000 };

/** Environment of every consumer in the deploy test. */
function consumerEnv(url: string, stream: string, consumer: string) {
  return {
    REDIS_URL: url,
    STREAM: stream,
    GROUP: "workers",
    CONSUMER: consumer,
    OPS_TOKEN: TOKEN,
    // Slow enough that the deploys land while there is work left.
    WORK_MS: "2",
    BATCH_SIZE: "4",
    BLOCK_MS: "1000",
    CLAIM_IDLE_MS: "1500",
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  };
}

/** Adds `count` entries with a field `n` = 1..count, pipelined. */
async function enqueue(client: Redis, stream: string, count: number) {
  for (let from = 1; from <= count; from += 1_000) {
    const pipeline = client.pipeline();
    for (let n = from; n < Math.min(from + 1_000, count + 1); n++) {
      pipeline.xadd(stream, "*", "n", String(n));
    }
    await pipeline.exec();
  }
}

/** Entry IDs pending for `consumer` (delivered, not acknowledged). */
async function pendingOf(
  client: Redis,
  stream: string,
  consumer: string,
): Promise<string[]> {
  const rows = await client.xpending(
    stream,
    "workers",
    "-",
    "+",
    TOTAL,
    consumer,
  ) as [string, string, number, number][];
  return rows.map(([id]) => id);
}

async function groupPending(client: Redis, stream: string): Promise<number> {
  const summary = await client.xpending(stream, "workers") as [number];
  return Number(summary[0]);
}

/** `stream/lag` and `stream/reclaim` through the pod's ops router. */
async function checkCommands(pod: Service): Promise<void> {
  const lag = await pod.dispatch(TOKEN, "consumer", "stream/lag");
  assert.equal(lag.status, 200, JSON.stringify(lag.body));
  const payload = (lag.body.result as { payload: Record<string, unknown> })
    .payload;
  assert.equal(payload.consumer, pod.name);
  assert.equal(typeof payload.pending, "number");
  const reclaim = await pod.dispatch(TOKEN, "consumer", "stream/reclaim", {
    minIdleMs: 3_600_000, // nothing is idle that long: takes nothing
  });
  assert.equal(reclaim.status, 200, JSON.stringify(reclaim.body));
  const bad = await pod.dispatch(TOKEN, "consumer", "stream/reclaim", {
    minIdleMs: -1,
  });
  assert.notEqual(bad.status, 200, JSON.stringify(bad.body));
}

test(
  "redis-stream: 10,000 entries survive three rolling deploys and a SIGKILL",
  TIMEOUT,
  async (t) => {
    const server = await redis.get(t);
    if (!server) return;
    const client = new Redis(server.url);
    const stream = "orders";
    const services: Service[] = [];
    const start = (name: string): Service => {
      const service = new Service(
        "redis-stream",
        name,
        consumerEnv(server.url, stream, name),
      );
      services.push(service);
      return service;
    };
    const handled = () => client.hlen(`${stream}:runs`);
    const detail = () => services.map((s) => s.output).join("\n");
    try {
      await client.xgroup("CREATE", stream, "workers", "0", "MKSTREAM");
      await enqueue(client, stream, TOTAL);
      // A consumer that takes 5 entries and dies: the others must take them
      // over once they have been idle for CLAIM_IDLE_MS (XAUTOCLAIM).
      const ghost = await client.xreadgroup(
        "GROUP",
        "workers",
        "ghost",
        "COUNT",
        5,
        "STREAMS",
        stream,
        ">",
      ) as [string, [string, string[]][]][];
      const ghostIds = ghost[0]![1].map(([id]) => id);
      const run = await rollingDeploy({
        total: TOTAL,
        start,
        handled,
        finished: async () =>
          (await handled()) === TOTAL &&
          (await groupPending(client, stream)) === 0,
        held: (name) => pendingOf(client, stream, name),
        exitBoundMs: EXIT_BOUND_MS,
        detail,
        firstReady: checkCommands,
      });

      const runs = await client.hgetall(`${stream}:runs`);
      const ids = (await client.xrange(stream, "-", "+")).map(([id]) => id);
      assert.equal(ids.length, TOTAL);
      const lost = ids.filter((id) => !runs[id]);
      assert.deepEqual(lost, [], "entries never handled");
      const twice = ids.filter((id) => Number(runs[id]) > 1);
      const unexplained = twice.filter((id) => !run.inFlightAtKill.has(id));
      assert.deepEqual(
        unexplained,
        [],
        `handled twice but not in flight at the SIGKILL (${run.inFlightAtKill.size} were)`,
      );
      for (const id of ghostIds) assert.ok(runs[id], `ghost entry ${id} lost`);
      assert.deepEqual(await pendingOf(client, stream, "ghost"), []);
      assertNoSecret(server.password, services);
      report("redis-stream deploy", {
        runtime: runtimeName(),
        entries: TOTAL,
        seconds: Number(run.seconds.toFixed(1)),
        perSecond: Math.round(TOTAL / run.seconds),
        workMs: 2,
        shutdownMs: run.shutdownMs,
        inFlightAtKill: run.inFlightAtKill.size,
        handledTwice: twice.length,
      });
    } finally {
      await Promise.all(services.map((s) => s.dispose()));
      client.disconnect();
    }
  },
);

test(
  "redis-stream: throughput of one consumer with no simulated work",
  TIMEOUT,
  async (t) => {
    const server = await redis.get(t);
    if (!server) return;
    const client = new Redis(server.url);
    const stream = "throughput";
    const count = 5_000;
    let service: Service | undefined;
    try {
      await client.xgroup("CREATE", stream, "workers", "$", "MKSTREAM");
      service = new Service("redis-stream", "bench-1", {
        ...consumerEnv(server.url, stream, "bench-1"),
        WORK_MS: "0",
        BATCH_SIZE: "64",
      });
      await service.ready();
      const began = performance.now();
      await enqueue(client, stream, count);
      await waitFor(
        `${count} entries handled`,
        async () =>
          (await client.hlen(`${stream}:runs`)) === count &&
            (await groupPending(client, stream)) === 0 || undefined,
        { everyMs: 10, detail: () => service!.output },
      );
      const seconds = (performance.now() - began) / 1_000;
      const exit = await service.terminate();
      assert.equal(exit.code, 0, service.output);
      report("redis-stream throughput", {
        runtime: runtimeName(),
        entries: count,
        perSecond: Math.round(count / seconds),
        batchSize: 64,
        shutdownMs: Math.round(exit.ms),
      });
    } finally {
      await service?.dispose();
      client.disconnect();
    }
  },
);

test(
  "redis-stream: connection errors never print the password",
  TIMEOUT,
  async (t) => {
    const server = await redis.get(t);
    if (!server) return;
    const canary = `canary${crypto.randomUUID().replaceAll("-", "")}`;
    const closed = await freePort();
    await assertConnectionErrorsQuiet("redis-stream", "REDIS_URL", canary, [
      ["refused", `redis://:${canary}@127.0.0.1:${closed}/0`],
      ["wrong password", `redis://:${canary}@127.0.0.1:${server.port}/0`],
    ], /redis_unavailable/);
  },
);

test("redis-stream: the server stops", async () => {
  await redis.stop();
});

test("no unhandled rejections", assertNoUnhandled);
