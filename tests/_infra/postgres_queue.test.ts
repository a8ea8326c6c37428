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
  report,
  rollingDeploy,
  ServerSlot,
  waitFor,
} from "./_harness.ts";
import { freePort, startPostgres } from "./_servers.ts";
import { runtimeName, Service } from "./_service.ts";

const pg = new ServerSlot("PostgreSQL", startPostgres);
const TOTAL = 10_000;
const TOKEN = crypto.randomUUID();
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Exit within the budget, plus a loaded machine's process teardown. */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 5_000;
const TIMEOUT = { timeout: 150_000 };
/** Jobs n = 1 and 2 always fail; every 500th fails once. */
const POISON = 2;

function workerEnv(url: string, worker: string) {
  return {
    DATABASE_URL: url,
    WORKER: worker,
    OPS_TOKEN: TOKEN,
    // Slow enough that the deploys land while there is work left.
    WORK_MS: "2",
    BATCH_SIZE: "4",
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

test(
  "postgres-queue: 10,000 jobs survive three rolling deploys and a SIGKILL",
  TIMEOUT,
  async (t) => {
    const server = await pg.get(t);
    if (!server) return;
    const sql = connect(server.url);
    const services: Service[] = [];
    const start = (name: string): Service => {
      const service = new Service(
        "postgres-queue",
        name,
        workerEnv(server.url, name),
      );
      services.push(service);
      return service;
    };
    try {
      await migrate(sql);
      await enqueue(sql, TOTAL, POISON);
      const run = await rollingDeploy({
        total: TOTAL,
        start,
        handled: () => settledCount(sql),
        finished: async () => (await settledCount(sql)) === TOTAL,
        held: async (name) =>
          (await sql`
          select id from jobs
          where locked_by = ${name} and state = 'queued'
            and locked_until > now()
          order by id`).map((row) => String(row.id)),
        exitBoundMs: EXIT_BOUND_MS,
        detail: () => services.map((s) => s.output).join("\n"),
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
      const unexplained = twice.filter((id) => !run.inFlightAtKill.has(id));
      assert.deepEqual(
        unexplained,
        [],
        `ran twice but not in flight at the SIGKILL (${run.inFlightAtKill.size} were)`,
      );
      const flaky = done.filter((job) => Number(job.payload.failTimes) === 1);
      assert.equal(flaky.length, TOTAL / 500);
      for (const job of flaky) {
        assert.ok(
          job.attempts >= 2,
          `flaky job ${job.id}: ${job.attempts} attempts`,
        );
      }
      assertNoSecret(server.password, services);
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
      await Promise.all(services.map((s) => s.dispose()));
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

test(
  "postgres-queue: throughput of one worker with no simulated work",
  TIMEOUT,
  async (t) => {
    const server = await pg.get(t);
    if (!server) return;
    const sql = connect(server.url);
    let service: Service | undefined;
    const count = 5_000;
    try {
      await migrate(sql);
      await sql`truncate jobs, job_runs`;
      service = new Service("postgres-queue", "bench-1", {
        ...workerEnv(server.url, "bench-1"),
        WORK_MS: "0",
        BATCH_SIZE: "64",
      });
      await service.ready();
      const began = performance.now();
      await enqueue(sql, count);
      await waitFor(
        `${count} jobs done`,
        async () => (await settledCount(sql)) === count || undefined,
        { everyMs: 10, detail: () => service!.output },
      );
      const seconds = (performance.now() - began) / 1_000;
      const exit = await service.terminate();
      assert.equal(exit.code, 0, service.output);
      report("postgres-queue throughput", {
        runtime: runtimeName(),
        jobs: count,
        perSecond: Math.round(count / seconds),
        batchSize: 64,
        shutdownMs: Math.round(exit.ms),
      });
    } finally {
      await service?.dispose();
      await sql.end({ timeout: 1 });
    }
  },
);

test(
  "postgres-queue: connection errors never print the password",
  TIMEOUT,
  async (t) => {
    const server = await pg.get(t);
    if (!server) return;
    const canary = `canary${crypto.randomUUID().replaceAll("-", "")}`;
    const closed = await freePort();
    await assertConnectionErrorsQuiet(
      "postgres-queue",
      "DATABASE_URL",
      canary,
      [
        [
          "refused",
          `postgres://workerkit:${canary}@127.0.0.1:${closed}/postgres`,
        ],
        [
          "wrong password",
          `postgres://workerkit:${canary}@127.0.0.1:${server.port}/postgres`,
        ],
      ],
      /postgres_unavailable/,
    );
  },
);

test("postgres-queue: the server stops", async () => {
  await pg.stop();
});

test("no unhandled rejections", assertNoUnhandled);
