// A PostgreSQL job poller built from Workerkit's public API and the
// `postgres` client: the recipe examples/postgres-queue/main.ts runs. Copy
// it, keep the shape, change the handler.
//
// Jobs live in the `jobs` table (schema.ts). A worker claims a batch with one
// UPDATE over `SELECT ... FOR UPDATE SKIP LOCKED` — concurrent workers never
// claim the same row — and takes a lease (`locked_until`, the visibility
// timeout) instead of holding a transaction open while it works. A finished
// job is marked `done`; a failed one is rescheduled by the library's retry
// policy (`run_at` = now + the policy's delay) or, when the policy gives up,
// marked `dead`. A worker that dies leaves its leases to expire: the job is
// claimable again after `visibilityMs` — at-least-once. A restarted pod
// (same worker name) releases its own leases at start instead of waiting.
//
// Workers sleep on LISTEN (an INSERT trigger NOTIFYs) with a polling
// fallback every `pollMs`, so a lost notification costs latency, not jobs.
import postgres, { type Sql } from "postgres";
import {
  attempts,
  type Command,
  delay,
  exponential,
  full,
  type LoopContext,
  loopWorker,
  OperationalFailure,
  type RetryPolicy,
  type Worker,
  type WorkerContext,
  type WorkerHandle,
} from "../../mod.ts";
import { errorCode } from "../_service/error_code.ts";
import { finishWindow } from "../_service/finish_window.ts";
import { raceAbort } from "../_service/race_abort.ts";
import { CHANNEL, migrate } from "./schema.ts";

/** One claimed job as the handler sees it. */
export interface Job {
  id: string;
  payload: Record<string, unknown>;
  /** Claims so far, this one included (1 on the first run). */
  attempts: number;
}

/** What a handler gets besides the job. */
export interface JobContext {
  /** Aborts `finishTimeoutMs` after drain began: give up then. */
  signal: AbortSignal;
  /** The worker's connection pool, for database-side effects. */
  sql: Sql;
}

/** What the queue tells its log. Fields never carry a secret. */
export type QueueLog = (
  level: "info" | "warn",
  message: string,
  fields: Record<string, unknown>,
) => void;

/** Options of {@linkcode jobQueue}. */
export interface JobQueueOptions {
  /** `postgres://user:password@host:port/db`, from the environment. */
  url: string;
  /** Unique among live workers and stable across restarts (the pod name). */
  worker: string;
  /** Does the work. Must be safe to run twice for one job. */
  handle(job: Job, ctx: JobContext): Promise<void>;
  /**
   * When a failed job runs again: `delay(attempts, error)` in ms, undefined
   * gives up (`dead`). A run that ended with no outcome (its worker died)
   * counts as a failure with code `lease_expired`.
   * @default {attempts(5, { backoff: exponential(1000, 2, 60000), jitter: full() })}
   */
  retry?: RetryPolicy;
  /** Jobs claimed (and handled concurrently) at once. @default {16} */
  batchSize?: number;
  /** Connections in the worker's pool (LISTEN takes one more). @default {10} */
  poolSize?: number;
  /** The lease on a claimed job, ms; renewed while it runs. @default {30000} */
  visibilityMs?: number;
  /** Longest sleep without a notification, ms. @default {5000} */
  pollMs?: number;
  /** How long jobs in hand may still take once drain began, ms. @default {10000} */
  finishTimeoutMs?: number;
  /** Where the queue reports what happens. @default {() => {}} */
  log?: QueueLog;
}

/** The worker and its commands, to spread into `runtime.register()`. */
export interface JobQueue {
  worker: Worker;
  commands: Command[];
}

interface Claimed extends Job {
  /** Its previous lease expired: that run ended with no outcome. */
  abandoned: boolean;
}

/** What a run that ended with no outcome counts as, for the retry policy. */
const LEASE_EXPIRED = new OperationalFailure({
  code: "lease_expired",
  message: "the job's worker stopped before finishing it",
});

/**
 * Builds the poller. Nothing connects until the worker starts.
 *
 * @param options Where the jobs are and what to do with each.
 * @returns The worker and the `queue/stats` and `queue/requeue-dead` commands.
 */
export function jobQueue(options: JobQueueOptions): JobQueue {
  const { worker: me } = options;
  const batchSize = options.batchSize ?? 16;
  const poolSize = options.poolSize ?? 10;
  const visibilityMs = options.visibilityMs ?? 30_000;
  const pollMs = options.pollMs ?? 5_000;
  const finishTimeoutMs = options.finishTimeoutMs ?? 10_000;
  const policy = options.retry ??
    attempts(5, { backoff: exponential(1_000, 2, 60_000), jitter: full() });
  const log = options.log ?? (() => {});
  const backoff = exponential(100, 2, 5_000);
  const jitter = full();

  let sql: Sql | undefined;
  let handle: WorkerHandle | undefined;
  let listening = false;
  let healthy = false;
  /** Set by a notification; a claim that finds nothing then sleeps no more. */
  let woken = false;
  let wake: (() => void) | undefined;

  const updateReady = (): void => {
    try {
      handle?.setReady(listening && healthy);
    } catch {
      // The handle's generation ended: a late callback has no home.
    }
  };

  async function onStart(ctx: WorkerContext): Promise<void> {
    const next = postgres(options.url, {
      max: poolSize, // queries queue for a free connection beyond this
      connect_timeout: 10,
      onnotice: () => {},
      connection: { application_name: me },
    });
    try {
      await raceAbort(migrate(next), ctx.signal);
      // A restarted pod keeps its name: what it held when it died is free
      // now. Expiring the lease (not clearing it) keeps the run counted as
      // abandoned.
      const released = await next`
        update jobs set locked_until = now() - interval '1 millisecond'
        where locked_by = ${me} and state = 'queued'
          and locked_until >= now()`;
      if (released.count) {
        log("info", "released own leases", { count: released.count });
      }
      await raceAbort(
        next.listen(CHANNEL, () => {
          woken = true;
          wake?.();
        }, () => {
          listening = true; // also on every reconnect of the LISTEN connection
          updateReady();
        }),
        ctx.signal,
      );
    } catch (error) {
      await next.end({ timeout: 0 }).catch(() => {});
      throw new OperationalFailure({
        code: "postgres_unavailable",
        message: "could not connect to PostgreSQL and prepare the job table",
      }, { cause: error });
    }
    sql = next;
    healthy = true;
  }

  async function onStop(): Promise<void> {
    const current = sql;
    sql = undefined;
    listening = false;
    await current?.end({ timeout: 5 });
  }

  /** Claims up to `batchSize` due jobs whose lease is free. */
  async function claim(): Promise<Claimed[]> {
    const rows = await sql!`
      with due as (
        select id, locked_until is not null as abandoned from jobs
        where state = 'queued' and run_at <= now()
          and (locked_until is null or locked_until < now())
        order by run_at, id
        limit ${batchSize}
        for update skip locked)
      update jobs
      set attempts = attempts + 1,
          locked_by = ${me},
          locked_until = now() + ${visibilityMs} * interval '1 millisecond'
      from due where jobs.id = due.id
      returning jobs.id, jobs.payload, jobs.attempts, due.abandoned`;
    return rows.map((row) => ({
      id: String(row.id),
      payload: (row.payload ?? {}) as Record<string, unknown>,
      attempts: Number(row.attempts),
      abandoned: Boolean(row.abandoned),
    }));
  }

  /**
   * Runs one job; records a failure (retry or dead) at once. Resolves true
   * when the job succeeded: the batch marks those done together.
   */
  async function runOne(job: Claimed, signal: AbortSignal): Promise<boolean> {
    const db = sql!;
    if (
      job.abandoned &&
      policy.delay(job.attempts - 1, LEASE_EXPIRED) === undefined
    ) {
      // Its last run ended with no outcome (the worker died) and the policy
      // allows no more: a job that keeps killing workers goes dead too.
      await db`
        update jobs set state = 'dead', last_error = 'too_many_attempts',
          locked_by = null, locked_until = null
        where id = ${job.id} and locked_by = ${me}`;
      return false;
    }
    try {
      await options.handle(job, { signal, sql: db });
      return true;
    } catch (error) {
      const code = errorCode(error);
      const wait = policy.delay(job.attempts, error);
      log(
        "warn",
        wait === undefined ? "job failed; giving up" : "job failed; retrying",
        {
          id: job.id,
          attempts: job.attempts,
          code,
          ...(wait === undefined ? {} : { retryInMs: wait }),
        },
      );
      await (wait === undefined
        ? db`
          update jobs set state = 'dead', last_error = ${code},
            locked_by = null, locked_until = null
          where id = ${job.id} and locked_by = ${me}`
        : db`
          update jobs set run_at = now() + ${wait} * interval '1 millisecond',
            last_error = ${code}, locked_by = null, locked_until = null
          where id = ${job.id} and locked_by = ${me}`);
      return false;
    }
  }

  /**
   * The acknowledgement of the jobs that succeeded. A job whose lease was
   * lost meanwhile (it ran past visibilityMs without renewal) belongs to
   * another worker now and is left alone.
   */
  async function markDone(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await sql!`
      update jobs set state = 'done', done_at = now(),
        locked_by = null, locked_until = null
      where id = any(${ids}::bigint[]) and locked_by = ${me}`;
  }

  /** Handles a batch concurrently, renewing the leases while it runs. */
  async function runAll(jobs: Claimed[], signal: AbortSignal): Promise<void> {
    const ids = jobs.map((job) => job.id);
    const db = sql!;
    const renew = setInterval(() => {
      db`
        update jobs
        set locked_until = now() + ${visibilityMs} * interval '1 millisecond'
        where id = any(${ids}::bigint[]) and locked_by = ${me}
          and state = 'queued'`.catch(() => {});
    }, Math.max(100, visibilityMs / 3));
    try {
      const outcomes = await Promise.allSettled(
        jobs.map((job) => runOne(job, signal)),
      );
      await markDone(
        jobs.filter((_, i) => {
          const outcome = outcomes[i]!;
          return outcome.status === "fulfilled" && outcome.value;
        }).map((job) => job.id),
      );
      const failed = outcomes.find((o) => o.status === "rejected");
      if (failed) throw failed.reason; // its lease expires; the job reruns
    } finally {
      clearInterval(renew);
    }
  }

  /** Sleeps until a notification, `pollMs`, or `signal`, whichever is first. */
  async function sleep(signal: AbortSignal): Promise<void> {
    if (woken) return;
    const nudge = new AbortController();
    wake = () => nudge.abort();
    try {
      await delay(pollMs, { signal: AbortSignal.any([signal, nudge.signal]) });
    } catch {
      // Woken, or drain: the loop looks at which.
    } finally {
      wake = undefined;
    }
  }

  async function loop(ctx: LoopContext): Promise<void> {
    handle = ctx.worker;
    updateReady();
    const taking = ctx.drainSignal; // aborts at drain, stop or shutdown
    // Not ctx.signal: it aborts as stop begins, right after drain.
    const finish = finishWindow(taking, finishTimeoutMs);
    let failures = 0;
    try {
      while (!taking.aborted) {
        ctx.worker.heartbeat();
        try {
          woken = false;
          const jobs = await claim();
          if (!healthy) {
            healthy = true;
            updateReady();
          }
          failures = 0;
          // Jobs claimed as drain began are in hand: they are finished too.
          if (jobs.length) await runAll(jobs, finish.signal);
          if (jobs.length < batchSize) await sleep(taking);
        } catch (error) {
          if (taking.aborted) break;
          failures++;
          healthy = false;
          updateReady();
          log("warn", "postgres query failed; retrying", {
            code: errorCode(error),
            failures,
          });
          await delay(jitter(backoff(failures)), { signal: taking })
            .catch(() => {});
        }
      }
    } finally {
      finish.close();
    }
  }

  const commands: Command[] = [
    {
      name: "queue/stats",
      description: "jobs by state, leases held, the oldest due job's age",
      idempotent: true,
      handler: async () => {
        if (!sql) throw notConnected();
        const [row] = await sql`
          select
            count(*) filter (where state = 'queued')::int as queued,
            count(*) filter (where state = 'queued' and locked_until > now())::int as leased,
            count(*) filter (where state = 'done')::int as done,
            count(*) filter (where state = 'dead')::int as dead,
            coalesce(extract(epoch from now() - min(run_at)
              filter (where state = 'queued' and run_at <= now())) * 1000, 0)::int
              as oldest_due_ms
          from jobs`;
        return { payload: { worker: me, ...row } };
      },
    },
    {
      name: "queue/requeue-dead",
      description: "puts every dead job back in the queue with fresh attempts",
      dangerous: true,
      handler: async () => {
        if (!sql) throw notConnected();
        const result = await sql`
          update jobs set state = 'queued', attempts = 0, run_at = now(),
            last_error = null
          where state = 'dead'`;
        return {
          message: `requeued ${result.count} jobs`,
          payload: { requeued: result.count },
        };
      },
    },
  ];

  return {
    worker: loopWorker(loop, { onStart, onStop, autoReady: false }),
    commands,
  };
}

function notConnected(): OperationalFailure {
  return new OperationalFailure({
    code: "postgres_unavailable",
    message: "the job queue is not connected",
  });
}
