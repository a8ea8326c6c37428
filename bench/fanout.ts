/**
 * Measures what open dashboard streams cost the runtime: dispatch
 * throughput (64 concurrent callers of a no-op command, as fast as they
 * go) with no event stream open, then with 20 streams open on a real
 * loopback server, read by a separate process (`_fanout_reader.ts`, so the
 * clients' parsing is not counted), in rounds of alternating order so
 * drift on a shared machine hits both alike. Reports the ratio of the two (the target is >= 0.9),
 * the heap after a forced GC before and after the streamed rounds (flat
 * means the per-stream queues and the ring are bounded) and the events
 * per second delivered to all streams together (coalescing keeps that
 * small however fast the runtime goes). Results are printed, never
 * asserted.
 *
 * Usage: `deno run -A --v8-flags=--expose-gc bench/fanout.ts
 * [--quick]`, `node --expose-gc bench/fanout.ts`, `bun
 * bench/fanout.ts`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Runtime } from "../mod.ts";
import type { FetchHandler, Server } from "../mod.ts";
import { opsRouter } from "../src/hono/mod.ts";
import type { BenchLine } from "./_common.ts";
import {
  collect,
  emit,
  fmt,
  heapUsed,
  median,
  quick,
  tick,
} from "./_common.ts";

const STREAMS = 20;
const CALLERS = 64;
const ROUNDS = quick ? 2 : 6;
const ROUND_MS = quick ? 300 : 1_500;
/** How long the callers run between two macrotask turns, ms. */
const SLICE_MS = 10;

/** The JSON line of this benchmark. */
export interface FanoutReport extends BenchLine {
  bench: "fanout";
  /** Dispatches per second of the same runtime without any router. */
  opsNoRouter: number;
  /** Dispatches per second with no stream open (median of rounds). */
  opsNoStreams: number;
  /** Dispatches per second with 20 streams open (median of rounds). */
  opsWithStreams: number;
  /** The median of each round's ratio with / without streams. */
  ratio: number;
  /** The median of each round's ratio dashboard (no stream) / bare runtime. */
  ratioDashboard: number;
  /** Heap after GC before the streamed rounds and after them, bytes. */
  heapBefore: number;
  heapAfter: number;
  /** Events (SSE messages) per second delivered to all streams together. */
  eventsPerSecond: number;
  /** Bytes per second delivered to all streams together. */
  bytesPerSecond: number;
}

async function serve(handler: FetchHandler): Promise<Server> {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  const options = { port: 0, hostname: "127.0.0.1" };
  if (g.Deno !== undefined) {
    return (await import("../adapters/deno.ts")).serve(handler, options);
  }
  if (g.Bun !== undefined) {
    return (await import("../adapters/bun.ts")).serve(handler, options);
  }
  return (await import("../adapters/node.ts")).serve(handler, options);
}

/**
 * Dispatches with CALLERS concurrent loops for `ms`; returns ops/s. Every
 * SLICE_MS all callers wait for one macrotask together: a loop of awaits
 * that never yields would starve timers and sockets — the streams could
 * not write at all and the comparison would mean nothing. A service at
 * full rate still serves I/O between its bursts; so does this.
 */
async function dispatchFor(
  runtime: Runtime,
  ms: number,
): Promise<number> {
  const end = performance.now() + ms;
  let sliceEnd = performance.now() + SLICE_MS;
  let pause: Promise<void> | undefined;
  let done = 0;
  const caller = async () => {
    while (performance.now() < end) {
      if (performance.now() > sliceEnd) {
        pause ??= tick(0).then(() => {
          pause = undefined;
          sliceEnd = performance.now() + SLICE_MS;
        });
        await pause;
        continue;
      }
      await runtime.dispatch({ worker: "calc", name: "noop" });
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, caller));
  return done / ((performance.now() - t0) / 1_000);
}

/** The reader process: 20 streams, counted outside this process. */
interface Readers {
  /** Zeroes the counters (after the replay). */
  reset(): Promise<void>;
  /** Stops reading; the messages and bytes since the reset. */
  stop(): Promise<{ events: number; bytes: number }>;
}

/** The command line that runs a TypeScript file on this runtime. */
function argvFor(file: string): string[] {
  const g = globalThis as { Deno?: unknown };
  return g.Deno !== undefined ? ["run", "-A", file] : [file];
}

async function openReaders(url: URL): Promise<Readers> {
  const file = fileURLToPath(new URL("./_fanout_reader.ts", import.meta.url));
  const events = new URL("/admin/events", url).href;
  const child = spawn(
    process.execPath,
    [...argvFor(file), events, String(STREAMS)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! })[
    Symbol.asyncIterator
  ]();
  const next = async () => String((await lines.next()).value);
  if (await next() !== "ready") throw new Error("the readers did not start");
  return {
    async reset() {
      child.stdin!.write("reset\n");
      await next();
    },
    async stop() {
      child.stdin!.write("stop\n");
      const totals = JSON.parse(await next());
      await new Promise((resolve) => child.once("exit", resolve));
      return totals;
    },
  };
}

async function calcRuntime(): Promise<Runtime> {
  const runtime = new Runtime({ name: "bench" });
  runtime.register({
    name: "calc",
    worker: { start() {}, stop() {} },
    commands: [{ name: "noop", handler: () => ({ message: "ok" }) }],
  });
  await runtime.startAll();
  return runtime;
}

// The same runtime without any router: what the ring and buckets cost.
const bare = await calcRuntime();
const runtime = await calcRuntime();
const app = opsRouter({
  runtime,
  dashboard: true,
  maxEventStreams: STREAMS,
  unsafeAllowUnauthenticated: true,
});
const server = await serve(app.fetch);

/** One round with the 20 streams open; its ops/s and what they got. */
async function streamedRound(): Promise<{
  ops: number;
  events: number;
  bytes: number;
  ms: number;
}> {
  const readers = await openReaders(server.url);
  await tick(100); // the replay and first snapshot are not the measurement
  await readers.reset();
  const t0 = performance.now();
  const ops = await dispatchFor(runtime, ROUND_MS);
  const ms = performance.now() - t0;
  const { events, bytes } = await readers.stop();
  return { ops, events, bytes, ms };
}

// Warm-up: the JIT, the ring (filled), the buckets, one set of streams.
await dispatchFor(bare, ROUND_MS);
await dispatchFor(runtime, ROUND_MS);
await streamedRound();
collect();
await tick(50);
const heapBefore = heapUsed();
const bareOps: number[] = [];
const without: number[] = [];
const withStreams: number[] = [];
const ratios: number[] = [];
const dashboardRatios: number[] = [];
let events = 0;
let bytes = 0;
let streamedMs = 0;
for (let round = 0; round < ROUNDS; round++) {
  // Alternating order, so drift on a shared machine hits both alike.
  const first = round % 2 === 0;
  const plainBefore = first ? await dispatchFor(runtime, ROUND_MS) : 0;
  const streamed = await streamedRound();
  const plain = first ? plainBefore : await dispatchFor(runtime, ROUND_MS);
  const bareRound = await dispatchFor(bare, ROUND_MS);
  bareOps.push(bareRound);
  dashboardRatios.push(plain / bareRound);
  without.push(plain);
  withStreams.push(streamed.ops);
  ratios.push(streamed.ops / plain);
  events += streamed.events;
  bytes += streamed.bytes;
  streamedMs += streamed.ms;
}
collect();
await tick(50);
const heapAfter = heapUsed();

const opsNoRouter = median(bareOps);
const opsNoStreams = median(without);
const opsWithStreams = median(withStreams);
console.log(`dashboard fan-out (${STREAMS} streams, ${CALLERS} callers)`);
console.log(`  no router       ${fmt(opsNoRouter)} dispatches/s`);
console.log(
  `  no streams      ${fmt(opsNoStreams)} dispatches/s (${
    fmt(median(dashboardRatios) * 100)
  } % of no router, by round)`,
);
console.log(
  `  ${STREAMS} streams      ${fmt(opsWithStreams)} dispatches/s (${
    fmt(median(ratios) * 100)
  } % by round)`,
);
console.log(
  `  heap            ${fmt(heapBefore / 1e6)} MB -> ${fmt(heapAfter / 1e6)} MB`,
);
console.log(
  `  delivered       ${fmt(events / (streamedMs / 1_000))} events/s, ${
    fmt(bytes / (streamedMs / 1_000) / 1e3)
  } kB/s to all streams`,
);
emit<FanoutReport>("fanout", {
  opsNoRouter,
  opsNoStreams,
  opsWithStreams,
  ratio: median(ratios),
  ratioDashboard: median(dashboardRatios),
  heapBefore,
  heapAfter,
  eventsPerSecond: events / (streamedMs / 1_000),
  bytesPerSecond: bytes / (streamedMs / 1_000),
});
await server.shutdown(AbortSignal.timeout(5_000));
await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
await bare.shutdown({ signal: AbortSignal.timeout(5_000) });
