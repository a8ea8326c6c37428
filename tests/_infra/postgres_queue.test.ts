// Deploy-under-load test of examples/postgres-queue against a real PostgreSQL
// server: 10,000 jobs (20 that fail once and are retried, 2 that always fail
// and end dead), three rolling deploys and one SIGKILL with a restart under
// the same worker name, while the workers run. Every job must end done (or
// dead, for the two), none lost; only jobs in flight at the SIGKILL may run
// twice; each SIGTERM exits 0 within its budget. Run by the infra phase of
// tools/test.ts (tools/_infra_phase.ts) on Deno, Node 24 and Bun.
import { test } from "node:test";
import assert from "node:assert/strict";
import postgres, { type Sql } from "postgres";
import { migrate } from "../../examples/postgres-queue/schema.ts";
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
import { startPostgres } from "./_servers.ts";
import { runtimeName, type Service } from "./_service.ts";

const pg = await ServerSlot.start("PostgreSQL", startPostgres);
const TOTAL = 10_000;
const TOKEN = crypto.randomUUID();
/** Jobs n = 1 and 2 always fail; every 500th fails once. */
const POISON = 2;

function workerEnv(url: string, worker: string) {
  return {
    DATABASE_URL: url,
    WORKER: worker,
    OPS_TOKEN: TOKEN,
    // Slow enough that the deploys land while there is work left.
    WORK_MS: "2",
    BATCH_SIZE: "8",
    POLL_MS: "1000",
    VISIBILITY_MS: "3000",
    MAX_ATTEMPTS: "3",
    RETRY_BASE_MS: "50",
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  };
}

function connect(url: string): Sql {
  return postgres(url, { max: 2, onnotice: () => {} });
}

/** Inserts jobs n = 1..count in one statement (one NOTIFY). */
async function enqueue(sql: Sql, count: number, poison = 0): Promise<void> {
  await sql`
    insert into jobs (payload)
    select jsonb_build_object('n', g, 'failTimes',
      case when g <= ${poison} then 100 when g % 500 = 0 then 1 else 0 end)
    from generate_series(1, ${count}::int) g`;
}

async function settledCount(sql: Sql): Promise<number> {
  const [row] = await sql`
    select count(*)::int as n from jobs where state <> 'queued'`;
  return row!.n as number;
}

pg.test(
  "postgres-queue: 10,000 jobs survive three rolling deploys and a SIGKILL",
  async (server) => {
    const sql = connect(server.url);
    const pods = new Pods(
      "postgres-queue",
      (name) => workerEnv(server.url, name),
    );
    try {
      await migrate(sql);
      await enqueue(sql, TOTAL, POISON);
      const run = await rollingDeploy({
        total: TOTAL,
        start: pods.start,
        handled: () => settledCount(sql),
        finished: async () => (await settledCount(sql)) === TOTAL,
        held: async (name) =>
          (await sql`
          select id from jobs
          where locked_by = ${name} and state = 'queued'
            and locked_until > now()
          order by id`).map((row) => String(row.id)),
        detail: pods.detail,
        firstReady: checkCommands,
      });

      const jobs = await sql`
      select j.id, j.state, j.attempts, j.payload, j.last_error,
        coalesce(r.runs, 0) as runs
      from jobs j
      left join (select job_id, count(*)::int as runs from job_runs
                 group by job_id) r on r.job_id = j.id
      order by j.id`;
      assert.equal(jobs.length, TOTAL);
      const dead = jobs.filter((job) => job.state === "dead");
      assert.deepEqual(
        dead.map((job) => Number(job.payload.n)),
        [1, 2],
        "only the poison jobs are dead",
      );
      for (const job of dead) {
        assert.equal(job.runs, 0);
        // 3 runs that failed, or a 4th claim after a run the SIGKILL cut short.
        assert.ok(
          job.attempts === 3 || job.attempts === 4,
          `attempts ${job.attempts}`,
        );
      }
      const done = jobs.filter((job) => job.state === "done");
      assert.equal(done.length, TOTAL - POISON);
      const lost = done.filter((job) => job.runs === 0).map((job) => job.id);
      assert.deepEqual(lost, [], "done without ever running");
      const twice = done.filter((job) => job.runs > 1).map((job) =>
        String(job.id)
      );
      assertRepeatsOnlyInFlight(twice, run);
      const flaky = done.filter((job) => Number(job.payload.failTimes) === 1);
      assert.equal(flaky.length, TOTAL / 500);
      for (const job of flaky) {
        assert.ok(
          job.attempts >= 2,
          `flaky job ${job.id}: ${job.attempts} attempts`,
        );
      }
      assertNoSecret(server.password, pods.all);
      report("postgres-queue deploy", {
        runtime: runtimeName(),
        jobs: TOTAL,
        seconds: Number(run.seconds.toFixed(1)),
        perSecond: Math.round(TOTAL / run.seconds),
        workMs: 2,
        shutdownMs: run.shutdownMs,
        inFlightAtKill: run.inFlightAtKill.size,
        ranTwice: twice.length,
      });
    } finally {
      await pods.dispose();
      await sql.end({ timeout: 1 });
    }
  },
);

/** `queue/stats` through the pod's ops router. */
async function checkCommands(pod: Service): Promise<void> {
  const stats = await pod.dispatch(TOKEN, "jobs", "queue/stats");
  assert.equal(stats.status, 200, JSON.stringify(stats.body));
  const payload = (stats.body.result as { payload: Record<string, unknown> })
    .payload;
  assert.equal(payload.worker, pod.name);
  assert.equal(typeof payload.queued, "number");
}

pg.test(
  "postgres-queue: throughput of one worker with no simulated work",
  async (server) => {
    const sql = connect(server.url);
    const count = 5_000;
    const pods = new Pods(
      "postgres-queue",
      (name) => workerEnv(server.url, name),
    );
    try {
      await migrate(sql);
      await sql`truncate jobs, job_runs`;
      const measured = await measureThroughput({
        pods,
        env: { WORK_MS: "0", BATCH_SIZE: "64" },
        count,
        enqueue: () => enqueue(sql, count),
        finished: async () => (await settledCount(sql)) === count,
      });
      report("postgres-queue throughput", {
        runtime: runtimeName(),
        jobs: count,
        batchSize: 64,
        ...measured,
      });
    } finally {
      await pods.dispose();
      await sql.end({ timeout: 1 });
    }
  },
);

pg.test(
  "postgres-queue: readiness follows the connection through a PostgreSQL restart",
  async (server) => {
    const pods = new Pods(
      "postgres-queue",
      (name) => workerEnv(server.url, name),
    );
    try {
      await assertReadinessFollowsServer(pods, server, async () => {
        const sql = connect(server.url);
        try {
          await sql`truncate jobs, job_runs`;
          await enqueue(sql, 10);
          await waitFor(
            "10 jobs done after the restart",
            async () => (await settledCount(sql)) === 10 || undefined,
            { detail: pods.detail },
          );
        } finally {
          await sql.end({ timeout: 1 });
        }
      });
    } finally {
      await pods.dispose();
    }
  },
);

pg.test(
  "postgres-queue: connection errors never print the password",
  async (server) => {
    const url = (password: string, port: number) =>
      `postgres://workerkit:${password}@127.0.0.1:${port}/postgres`;
    await assertConnectionErrorsQuiet(
      "postgres-queue",
      "DATABASE_URL",
      (canary, closedPort) => [
        ["refused", url(canary, closedPort)],
        ["wrong password", url(canary, server.port)],
      ],
      /postgres_unavailable/,
    );
  },
);

pg.stopTest();

test("no unhandled rejections", assertNoUnhandled);
