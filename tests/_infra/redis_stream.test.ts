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
  assertReadinessFollowsServer,
  assertRepeatsOnlyInFlight,
  measureThroughput,
  Pods,
  report,
  rollingDeploy,
  ServerSlot,
  SHUTDOWN_TIMEOUT_MS,
  waitFor,
} from "./_harness.ts";
import { startRedis } from "./_servers.ts";
import { runtimeName, type Service } from "./_service.ts";

const redis = await ServerSlot.start("redis-server", startRedis);
const TOTAL = 10_000;
const TOKEN = crypto.randomUUID();

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

redis.test(
  "redis-stream: 10,000 entries survive three rolling deploys and a SIGKILL",
  async (server) => {
    const client = new Redis(server.url);
    const stream = "orders";
    const pods = new Pods(
      "redis-stream",
      (name) => consumerEnv(server.url, stream, name),
    );
    const handled = () => client.hlen(`${stream}:runs`);
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
        start: pods.start,
        handled,
        finished: async () =>
          (await handled()) === TOTAL &&
          (await groupPending(client, stream)) === 0,
        held: (name) => pendingOf(client, stream, name),
        detail: pods.detail,
        firstReady: checkCommands,
      });

      const runs = await client.hgetall(`${stream}:runs`);
      const ids = (await client.xrange(stream, "-", "+")).map(([id]) => id);
      assert.equal(ids.length, TOTAL);
      const lost = ids.filter((id) => !runs[id]);
      assert.deepEqual(lost, [], "entries never handled");
      const twice = ids.filter((id) => Number(runs[id]) > 1);
      assertRepeatsOnlyInFlight(twice, run);
      for (const id of ghostIds) assert.ok(runs[id], `ghost entry ${id} lost`);
      assert.deepEqual(await pendingOf(client, stream, "ghost"), []);
      assertNoSecret(server.password, pods.all);
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
      await pods.dispose();
      client.disconnect();
    }
  },
);

redis.test(
  "redis-stream: throughput of one consumer with no simulated work",
  async (server) => {
    const client = new Redis(server.url);
    const stream = "throughput";
    const count = 5_000;
    const pods = new Pods(
      "redis-stream",
      (name) => consumerEnv(server.url, stream, name),
    );
    try {
      await client.xgroup("CREATE", stream, "workers", "$", "MKSTREAM");
      const measured = await measureThroughput({
        pods,
        env: { WORK_MS: "0", BATCH_SIZE: "64" },
        count,
        enqueue: () => enqueue(client, stream, count),
        finished: async () =>
          (await client.hlen(`${stream}:runs`)) === count &&
          (await groupPending(client, stream)) === 0,
      });
      report("redis-stream throughput", {
        runtime: runtimeName(),
        entries: count,
        batchSize: 64,
        ...measured,
      });
    } finally {
      await pods.dispose();
      client.disconnect();
    }
  },
);

redis.test(
  "redis-stream: readiness follows the connection through a Redis restart",
  async (server) => {
    const stream = "outage"; // Redis keeps nothing across the restart
    const pods = new Pods(
      "redis-stream",
      (name) => consumerEnv(server.url, stream, name),
    );
    try {
      await assertReadinessFollowsServer(pods, server, async () => {
        const client = new Redis(server.url);
        try {
          await enqueue(client, stream, 10);
          await waitFor(
            "10 entries handled after the restart",
            async () =>
              (await client.hlen(`${stream}:runs`)) === 10 || undefined,
            { detail: pods.detail },
          );
        } finally {
          client.disconnect();
        }
      });
    } finally {
      await pods.dispose();
    }
  },
);

redis.test(
  "redis-stream: connection errors never print the password",
  async (server) => {
    const url = (password: string, port: number) =>
      `redis://:${password}@127.0.0.1:${port}/0`;
    await assertConnectionErrorsQuiet(
      "redis-stream",
      "REDIS_URL",
      (canary, closedPort) => [
        ["refused", url(canary, closedPort)],
        ["wrong password", url(canary, server.port)],
      ],
      /redis_unavailable/,
    );
  },
);

redis.stopTest();

test("no unhandled rejections", assertNoUnhandled);
