// A Redis Streams consumer-group worker built from Workerkit's public API and
// ioredis: the recipe examples/redis-stream/main.ts runs. Copy it, keep the
// shape, change the handler.
//
// Delivery is at-least-once. An entry is acknowledged (XACK) only after its
// handler resolved; a crash between the two redelivers it. On drain the loop
// stops reading (a blocked XREADGROUP is unblocked at once) and finishes the
// batch in hand before stop. On start it first re-reads its own pending
// entries (a restarted pod keeps its name, so what it held when it died is
// its own), and every `claimIdleMs / 2` it takes over entries other
// consumers left idle for `claimIdleMs` (XAUTOCLAIM): a pod that died and
// never came back loses nothing either.
import { Redis } from "ioredis";
import {
  type Command,
  CommandRejection,
  delay,
  exponential,
  full,
  type LoopContext,
  loopWorker,
  OperationalFailure,
  type Worker,
  type WorkerContext,
  type WorkerHandle,
} from "../../mod.ts";
import { errorCode } from "../_service/error_code.ts";
import { finishWindow } from "../_service/finish_window.ts";
import { raceAbort } from "../_service/race_abort.ts";

/** One stream entry as the handler sees it. */
export interface StreamEntry {
  /** The entry ID, e.g. `1700000000000-0`. */
  id: string;
  /** The entry's field/value pairs. */
  fields: Record<string, string>;
}

/** What a handler gets besides the entry. */
export interface HandlerContext {
  /** Aborts `finishTimeoutMs` after drain began: give up then. */
  signal: AbortSignal;
  /** The consumer's (auto-pipelined) command connection, for Redis-side effects. */
  redis: Redis;
}

/** What the consumer tells its log. Fields never carry a secret. */
export type ConsumerLog = (
  level: "info" | "warn",
  message: string,
  fields: Record<string, unknown>,
) => void;

/** Options of {@linkcode streamConsumer}. */
export interface StreamConsumerOptions {
  /** `redis://[:password@]host:port/db`, from the environment. */
  url: string;
  stream: string;
  group: string;
  /** Unique among live consumers and stable across restarts (the pod name). */
  consumer: string;
  /** Does the work. Must be safe to run twice for one entry. */
  handle(entry: StreamEntry, ctx: HandlerContext): Promise<void>;
  /** Entries read (and handled concurrently) at once. @default {16} */
  batchSize?: number;
  /** Longest wait of one blocking read, ms. @default {2000} */
  blockMs?: number;
  /** Idle time after which another consumer's entry is taken over, ms. @default {60000} */
  claimIdleMs?: number;
  /**
   * How long the entries in hand may still take once drain began, ms; then
   * their handlers' signal aborts and what is unfinished stays pending (and
   * is redelivered). Keep it inside the shutdown budget. @default {10000}
   */
  finishTimeoutMs?: number;
  /** Where the consumer reports what happens. @default {() => {}} */
  log?: ConsumerLog;
}

/** The worker and its commands, to spread into `runtime.register()`. */
export interface StreamConsumer {
  worker: Worker;
  commands: Command[];
}

/** Raw reply shapes of the stream commands. */
type RawEntry = [id: string, fields: string[] | null];
type ReadReply = [stream: string, entries: RawEntry[]][] | null;
type ClaimReply = [cursor: string, entries: RawEntry[], deleted?: string[]];

/** The connections of one generation of the worker. */
interface Connections {
  /** Acks, handler-side commands, commands; auto-pipelined. */
  client: Redis;
  /** Blocking reads only: a blocked connection can send nothing else. */
  reader: Redis;
  /** The reader's CLIENT ID, to unblock it on drain. */
  readerId?: number;
}

/**
 * Builds the consumer. Nothing connects until the worker starts.
 *
 * @param options Where to read from and what to do with each entry.
 * @returns The worker and the `stream/lag` and `stream/reclaim` commands.
 */
export function streamConsumer(options: StreamConsumerOptions): StreamConsumer {
  const batchSize = options.batchSize ?? 16;
  const blockMs = options.blockMs ?? 2_000;
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  const finishTimeoutMs = options.finishTimeoutMs ?? 10_000;
  const log = options.log ?? (() => {});
  const { stream, group, consumer } = options;
  const backoff = exponential(100, 2, 5_000);
  const jitter = full();

  let conn: Connections | undefined;
  let handle: WorkerHandle | undefined;
  /** Entries taken over by `stream/reclaim`, handled before the next read. */
  const claimed: StreamEntry[] = [];

  const setReady = (ready: boolean): void => {
    try {
      handle?.setReady(ready);
    } catch {
      // The handle's generation ended: a late connection event has no home.
    }
  };
  const connected = (): boolean =>
    conn?.client.status === "ready" && conn.reader.status === "ready";

  function connect(): Connections {
    const make = (role: string): Redis => {
      const redis = new Redis(options.url, {
        lazyConnect: true,
        connectionName: `${consumer}:${role}`,
        enableAutoPipelining: role === "client",
        retryStrategy: (times) => Math.min(times * 200, 2_000),
        maxRetriesPerRequest: 3,
      });
      let lastCode: string | undefined;
      // Without a listener ioredis prints each error itself; the message may
      // hold what it was connecting to, so only its code is logged, once.
      redis.on("error", (error: unknown) => {
        const code = errorCode(error);
        if (code !== lastCode) {
          log("warn", "redis connection error", { role, code });
        }
        lastCode = code;
      });
      redis.on("ready", () => {
        lastCode = undefined;
        setReady(connected());
      });
      redis.on("close", () => setReady(false));
      return redis;
    };
    return { client: make("client"), reader: make("reader") };
  }

  async function onStart(ctx: WorkerContext): Promise<void> {
    const next = connect();
    try {
      await raceAbort(
        Promise.all([next.client.connect(), next.reader.connect()]),
        ctx.signal,
      );
      next.readerId = Number(await next.reader.client("ID"));
      next.reader.on("ready", () => {
        next.reader.client("ID").then(
          (id) => (next.readerId = Number(id)),
          () => {},
        );
      });
      await ensureGroup(next.client);
    } catch (error) {
      next.client.disconnect();
      next.reader.disconnect();
      throw new OperationalFailure({
        code: "redis_unavailable",
        message: "could not connect to Redis and join the consumer group",
      }, { cause: error });
    }
    conn = next;
  }

  /**
   * Creates the group (from ID 0, with the stream) unless it exists. Also
   * run when a read finds no group: Redis lost it (a restart without
   * persistence, a FLUSHALL).
   */
  async function ensureGroup(client: Redis): Promise<void> {
    try {
      await client.xgroup("CREATE", stream, group, "0", "MKSTREAM");
    } catch (error) {
      if (!String((error as Error).message).startsWith("BUSYGROUP")) {
        throw error;
      }
    }
  }

  async function onStop(ctx: WorkerContext): Promise<void> {
    const current = conn;
    conn = undefined;
    if (!current) return;
    try {
      // QUIT lets Redis finish replying to what was sent (the last XACKs);
      // a connection that is down would make it wait, so it is bounded.
      await raceAbort(
        Promise.allSettled([current.client.quit(), current.reader.quit()]),
        ctx.signal,
      );
    } catch {
      // The stop deadline passed: close the sockets anyway.
    } finally {
      current.client.disconnect();
      current.reader.disconnect();
    }
  }

  /**
   * Handles the entries concurrently and acks each one whose handler
   * resolved. Waits for all of them; then throws if an ack failed (the entry
   * stays pending and is re-read).
   */
  async function handleAll(
    entries: StreamEntry[],
    signal: AbortSignal,
  ): Promise<void> {
    const client = conn!.client;
    const acks = await Promise.allSettled(entries.map(async (entry) => {
      try {
        await options.handle(entry, { signal, redis: client });
      } catch (error) {
        // Left pending: XAUTOCLAIM redelivers it after claimIdleMs.
        log("warn", "handler failed; the entry stays pending", {
          id: entry.id,
          code: errorCode(error),
        });
        return;
      }
      await client.xack(stream, group, entry.id);
    }));
    const failed = acks.find((ack) => ack.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * Reads a batch as this consumer: its own pending entries from `after`
   * on (no wait), or with `after` = ">" new ones, blocking up to `blockMs`.
   */
  async function read(after: string): Promise<StreamEntry[]> {
    const reader = conn!.reader;
    const reply = (after === ">"
      ? await reader.xreadgroup(
        "GROUP",
        group,
        consumer,
        "COUNT",
        batchSize,
        "BLOCK",
        blockMs,
        "STREAMS",
        stream,
        after,
      )
      : await reader.xreadgroup(
        "GROUP",
        group,
        consumer,
        "COUNT",
        batchSize,
        "STREAMS",
        stream,
        after,
      )) as ReadReply;
    return await usable(reply?.[0]?.[1] ?? []);
  }

  /**
   * Takes over entries idle for `minIdleMs` (XAUTOCLAIM, whole cursor
   * sweep, at most `limit` entries); they are this consumer's from now on.
   */
  async function reclaim(
    minIdleMs: number,
    limit = 1_000,
  ): Promise<StreamEntry[]> {
    const found: StreamEntry[] = [];
    let cursor = "0-0";
    do {
      const [next, raw, deleted = []] = await conn!.client.xautoclaim(
        stream,
        group,
        consumer,
        minIdleMs,
        cursor,
        "COUNT",
        batchSize,
      ) as ClaimReply;
      found.push(...await usable(raw, deleted));
      cursor = next;
    } while (cursor !== "0-0" && found.length < limit);
    return found;
  }

  /**
   * The entries that still have data. IDs whose entries were trimmed from
   * the stream meanwhile (no fields, or in XAUTOCLAIM's deleted list) are
   * acked: there is nothing left to handle.
   */
  async function usable(
    raw: RawEntry[],
    deleted: string[] = [],
  ): Promise<StreamEntry[]> {
    const entries: StreamEntry[] = [];
    const gone = [...deleted];
    for (const [id, flat] of raw) {
      if (flat) {
        entries.push({ id, fields: pairs(flat) as Record<string, string> });
      } else gone.push(id);
    }
    if (gone.length) await conn!.client.xack(stream, group, ...gone);
    return entries;
  }

  /** Wakes a blocked read so the loop sees drain (or new work) at once. */
  function unblockReader(): void {
    const current = conn;
    if (current?.readerId === undefined) return;
    current.client.client("UNBLOCK", current.readerId).catch(() => {});
  }

  /**
   * Unblocks the reader when drain begins, and once more shortly after: a
   * read sent just before drain may reach Redis after the first UNBLOCK.
   */
  function unblockOnDrain(drain: AbortSignal): () => void {
    let again: ReturnType<typeof setTimeout> | undefined;
    const onDrain = (): void => {
      unblockReader();
      again = setTimeout(unblockReader, 100);
    };
    drain.addEventListener("abort", onDrain, { once: true });
    return () => {
      drain.removeEventListener("abort", onDrain);
      clearTimeout(again);
    };
  }

  async function loop(ctx: LoopContext): Promise<void> {
    handle = ctx.worker;
    setReady(connected());
    const taking = ctx.drainSignal; // aborts at drain, stop or shutdown
    const stopUnblocking = unblockOnDrain(taking);
    // Not ctx.signal: it aborts as stop begins, right after drain.
    const finish = finishWindow(taking, finishTimeoutMs);
    let history: string | undefined = "0"; // own pending first
    let nextReclaim = 0;
    let failures = 0;
    while (!taking.aborted) {
      ctx.worker.heartbeat();
      try {
        let batch = claimed.splice(0, batchSize);
        if (!batch.length && history !== undefined) {
          batch = await read(history);
          history = batch.length ? batch.at(-1)!.id : undefined;
          if (batch.length) {
            log("info", "re-reading own pending entries", {
              count: batch.length,
            });
          }
        } else if (!batch.length && performance.now() >= nextReclaim) {
          nextReclaim = performance.now() + claimIdleMs / 2;
          batch = await reclaim(claimIdleMs);
          if (batch.length) {
            log("info", "took over idle entries", { count: batch.length });
          }
        } else if (!batch.length) {
          batch = await read(">");
        }
        // Entries read as drain began are in hand: they are finished too.
        await handleAll(batch, finish.signal);
        failures = 0;
      } catch (error) {
        if (taking.aborted) break;
        history = "0"; // what was read but not acked is re-read first
        failures++;
        if (String((error as Error)?.message).startsWith("NOGROUP")) {
          log("warn", "the consumer group is gone; creating it again", {});
          await ensureGroup(conn!.client).catch(() => {});
        }
        log("warn", "redis command failed; retrying", {
          code: errorCode(error),
          failures,
        });
        await delay(jitter(backoff(failures)), { signal: taking })
          .catch(() => {});
      }
    }
    // What stream/reclaim took over but the loop never reached is in hand too.
    try {
      while (claimed.length && !finish.signal.aborted) {
        await handleAll(claimed.splice(0, batchSize), finish.signal);
      }
    } finally {
      stopUnblocking();
      finish.close();
    }
  }

  const commands: Command[] = [
    {
      name: "stream/lag",
      description: "the group's lag and pending entries",
      idempotent: true,
      handler: async () => ({ payload: await lag() }),
    },
    {
      name: "stream/reclaim",
      description:
        "takes over entries idle for payload.minIdleMs (default claimIdleMs)",
      payloadKind: "json",
      handler: async (request) => {
        const minIdleMs = minIdleFrom(request.payload, claimIdleMs);
        if (!conn) throw notConnected();
        const entries = await reclaim(minIdleMs);
        claimed.push(...entries);
        unblockReader();
        return {
          message: `took over ${entries.length} entries`,
          payload: { claimed: entries.length, minIdleMs },
        };
      },
    },
  ];

  async function lag(): Promise<Record<string, unknown>> {
    if (!conn) throw notConnected();
    const groups = await conn.client.xinfo("GROUPS", stream) as unknown[][];
    const info = groups.map(pairs).find((g) => g.name === group) ?? {};
    const summary = await conn.client.xpending(stream, group) as [
      number,
      string | null,
      string | null,
      [string, string][] | null,
    ];
    const mine = summary[3]?.find(([name]) => name === consumer)?.[1];
    return {
      stream,
      group,
      consumer,
      lag: info.lag ?? null, // entries not yet delivered to the group
      pending: Number(info.pending ?? 0), // delivered, not yet acknowledged
      pendingHere: Number(mine ?? 0),
      lastDeliveredId: info["last-delivered-id"] ?? null,
    };
  }

  return {
    worker: loopWorker(loop, { onStart, onStop, autoReady: false }),
    commands,
  };
}

function notConnected(): OperationalFailure {
  return new OperationalFailure({
    code: "redis_unavailable",
    message: "the consumer is not connected",
  });
}

function minIdleFrom(payload: unknown, fallback: number): number {
  if (payload === undefined || payload === null) return fallback;
  const value = (payload as { minIdleMs?: unknown }).minIdleMs;
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
    return value;
  }
  throw new CommandRejection({
    code: "invalid_payload",
    message: "minIdleMs must be a whole number of milliseconds, at least 0",
  });
}

/** `[k1, v1, k2, v2]` → `{ k1: v1, k2: v2 }`. */
function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    out[String(flat[i])] = flat[i + 1];
  }
  return out;
}
