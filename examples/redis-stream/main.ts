// Requires: a Redis server (REDIS_URL); the infra test phase runs it.
//
// A Redis Streams consumer service: one consumer-group worker (see
// stream_consumer.ts) under runService(). It is ready while both of its Redis
// connections are; on SIGTERM it turns unready, stops reading, finishes and
// acknowledges the entries in hand, and exits 0. Delivery is at-least-once:
// the handler below is what a real service replaces, and it must be safe to
// run twice for one entry (docs/real-infrastructure.md).
//
//   REDIS_URL=redis://127.0.0.1:6379 deno run -A examples/redis-stream/main.ts
//   REDIS_URL=... node examples/redis-stream/main.ts      (Node 22.18+ or 24)
//   REDIS_URL=... bun examples/redis-stream/main.ts
//
// Environment: REDIS_URL (required; a password in it is never logged),
// STREAM (jobs), GROUP (workers), CONSUMER (the host name: the pod name under
// Kubernetes, stable across container restarts), BATCH_SIZE (16), BLOCK_MS
// (2000), CLAIM_IDLE_MS (60000), STALL_TIMEOUT_MS (30000), WORK_MS (0: the
// stand-in handler's simulated work per entry), plus the service shell's
// PORT, HOST, OPS_TOKEN, SHUTDOWN_DELAY_MS, SHUTDOWN_TIMEOUT_MS, LOG_LEVEL
// (examples/_service/service.ts).
import { hostname } from "node:os";
import process from "node:process";
import { delay, Runtime } from "../../mod.ts";
import {
  numberEnv,
  redactUrl,
  requiredEnv,
  runtimeLogs,
  serveWorkers,
  setUpLogs,
  shutdownBudget,
} from "../_service/service.ts";
import { streamConsumer } from "./stream_consumer.ts";

const SERVICE = "stream-service";
const log = await setUpLogs(SERVICE);
const url = requiredEnv("REDIS_URL", log);
const env = process.env;
const stream = env.STREAM ?? "jobs";
const group = env.GROUP ?? "workers";
const consumer = env.CONSUMER ?? hostname();
const workMs = numberEnv("WORK_MS", 0, log);

// The stand-in for real work: it records that it ran (HINCRBY, one count per
// run, so duplicates are visible) after WORK_MS of "work". A real handler
// writes its effect idempotently instead (docs/real-infrastructure.md).
const runs = `${stream}:runs`;

const runtime = new Runtime({
  name: SERVICE,
  observer: runtimeLogs(SERVICE),
  defaults: {
    startTimeout: numberEnv("START_TIMEOUT_MS", 10_000, log),
    stopTimeout: shutdownBudget(log),
  },
});
runtime.register({
  name: "consumer",
  description: `reads ${stream} as ${consumer} in group ${group}`,
  // A handler wedged this long makes /livez answer 503 (Kubernetes then
  // restarts the pod); the loop heartbeats after every batch and every read.
  stallTimeout: numberEnv("STALL_TIMEOUT_MS", 30_000, log),
  livenessOnStall: true,
  ...streamConsumer({
    url,
    stream,
    group,
    consumer,
    batchSize: numberEnv("BATCH_SIZE", 16, log) || 16,
    blockMs: numberEnv("BLOCK_MS", 2_000, log),
    claimIdleMs: numberEnv("CLAIM_IDLE_MS", 60_000, log),
    // Most of the shutdown budget; the rest closes the connections.
    finishTimeoutMs: Math.max(1_000, shutdownBudget(log) - 2_000),
    log: (level, message, fields) =>
      log[level](message, { consumer, ...fields }),
    async handle(entry, { signal, redis }) {
      if (workMs > 0) await delay(workMs, { signal });
      await redis.hincrby(runs, entry.id, 1);
    },
  }),
});

log.info("consuming {stream} as {consumer}", {
  stream,
  group,
  consumer,
  redis: redactUrl(url),
});
await serveWorkers(runtime, log);
