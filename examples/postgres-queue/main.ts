// Requires: a PostgreSQL server (DATABASE_URL); the infra test phase runs it.
//
// A PostgreSQL job-queue service: one poller worker (see job_queue.ts) under
// runService(). Jobs are claimed with FOR UPDATE SKIP LOCKED under a lease,
// the worker wakes on LISTEN/NOTIFY and polls as a fallback, failed jobs are
// retried by the library's retry policy, and on SIGTERM it turns unready,
// claims nothing more, finishes the jobs in hand and exits 0. Delivery is
// at-least-once: the handler below is what a real service replaces, and it
// must be safe to run twice for one job (docs/real-infrastructure.md).
//
//   DATABASE_URL=postgres://app:pw@127.0.0.1:5432/app deno run -A examples/postgres-queue/main.ts
//   DATABASE_URL=... node examples/postgres-queue/main.ts   (Node 22.18+ or 24)
//   DATABASE_URL=... bun examples/postgres-queue/main.ts
//
// Enqueue with plain SQL: INSERT INTO jobs (payload) VALUES ('{"n": 1}');
// the insert trigger wakes the workers.
//
// Environment: DATABASE_URL (required; a password in it is never logged),
// WORKER (the host name: the pod name under Kubernetes, stable across
// container restarts), BATCH_SIZE (16), VISIBILITY_MS (30000), POLL_MS
// (5000), MAX_ATTEMPTS (5), RETRY_BASE_MS (1000), STALL_TIMEOUT_MS (30000),
// WORK_MS (0: the stand-in handler's simulated work per job), plus the
// service shell's PORT, HOST, OPS_TOKEN, SHUTDOWN_DELAY_MS,
// SHUTDOWN_TIMEOUT_MS, LOG_LEVEL (examples/_service/service.ts).
import { hostname } from "node:os";
import process from "node:process";
import {
  attempts,
  delay,
  exponential,
  full,
  OperationalFailure,
  Runtime,
} from "../../mod.ts";
import {
  numberEnv,
  redactUrl,
  requiredEnv,
  runtimeLogs,
  serveWorkers,
  setUpLogs,
  shutdownBudget,
} from "../_service/service.ts";
import { jobQueue } from "./job_queue.ts";

const SERVICE = "queue-service";
const log = await setUpLogs(SERVICE);
const url = requiredEnv("DATABASE_URL", log);
const worker = process.env.WORKER ?? hostname();
const workMs = numberEnv("WORK_MS", 0, log);

const runtime = new Runtime({
  name: SERVICE,
  observer: runtimeLogs(SERVICE),
  defaults: {
    startTimeout: numberEnv("START_TIMEOUT_MS", 15_000, log),
    stopTimeout: shutdownBudget(log),
  },
});
runtime.register({
  name: "jobs",
  description: `claims jobs as ${worker}`,
  // A handler wedged this long makes /livez answer 503 (Kubernetes then
  // restarts the pod); the loop heartbeats after every batch and every sleep.
  stallTimeout: numberEnv("STALL_TIMEOUT_MS", 30_000, log),
  livenessOnStall: true,
  ...jobQueue({
    url,
    worker,
    batchSize: numberEnv("BATCH_SIZE", 16, log) || 16,
    visibilityMs: numberEnv("VISIBILITY_MS", 30_000, log),
    pollMs: numberEnv("POLL_MS", 5_000, log),
    retry: attempts(numberEnv("MAX_ATTEMPTS", 5, log) || 1, {
      backoff: exponential(numberEnv("RETRY_BASE_MS", 1_000, log), 2, 60_000),
      jitter: full(),
    }),
    // Most of the shutdown budget; the rest closes the connections.
    finishTimeoutMs: Math.max(1_000, shutdownBudget(log) - 2_000),
    log: (level, message, fields) => log[level](message, { worker, ...fields }),
    // The stand-in for real work. A payload { failTimes: k } fails its first
    // k runs (to show retries); each successful run inserts a row in
    // job_runs — deliberately not idempotent, so repeats are visible.
    async handle(job, { signal, sql }) {
      if (workMs > 0) await delay(workMs, { signal });
      if (job.attempts <= Number(job.payload.failTimes ?? 0)) {
        throw new OperationalFailure({
          code: "simulated_failure",
          message: "the job asked to fail",
        });
      }
      await sql`insert into job_runs (job_id, worker) values (${job.id}, ${worker})`;
    },
  }),
});

log.info("claiming jobs as {worker}", { worker, postgres: redactUrl(url) });
await serveWorkers(runtime, log);
