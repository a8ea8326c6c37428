// The job table of examples/postgres-queue, and the table its stand-in
// handler writes to. A real service runs this as a migration; the example
// applies it at start, under an advisory lock so that pods starting together
// do not race on CREATE.
import type { Sql } from "postgres";

/** The NOTIFY channel an insert into `jobs` signals. */
export const CHANNEL = "jobs";

/** Creates the tables, index and trigger if they are missing. */
export async function migrate(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('workerkit-postgres-queue'))`;
    await tx`
      create table if not exists jobs (
        id           bigserial primary key,
        payload      jsonb not null default '{}',
        state        text not null default 'queued'
                     check (state in ('queued', 'done', 'dead')),
        attempts     int not null default 0,   -- claims so far
        run_at       timestamptz not null default now(),
        locked_by    text,                      -- the worker holding the lease
        locked_until timestamptz,               -- the lease (visibility timeout)
        last_error   text,                      -- a public code, never a message
        created_at   timestamptz not null default now(),
        done_at      timestamptz
      )`;
    await tx`
      create index if not exists jobs_claimable
      on jobs (run_at, id) where state = 'queued'`;
    // One notification per INSERT statement, however many rows it adds.
    await tx.unsafe(`
      create or replace function jobs_notify() returns trigger
      language plpgsql as $$
      begin
        perform pg_notify('${CHANNEL}', '');
        return null;
      end $$`);
    await tx`
      create or replace trigger jobs_notify
      after insert on jobs for each statement
      execute function jobs_notify()`;
    // The stand-in handler's effect: one row per run, so repeats show.
    await tx`
      create table if not exists job_runs (
        job_id bigint not null,
        worker text not null,
        at     timestamptz not null default now()
      )`;
  });
}
