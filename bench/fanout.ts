/**
 * Measures what open dashboard streams cost the runtime: dispatch
 * throughput (64 concurrent callers of a no-op command, as fast as they
 * go) with no event stream open, then with 20 streams open on a real
 * loopback server, in alternating rounds so drift on a shared machine
 * hits both alike. Reports the ratio of the two (the target is >= 0.9),
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
const ROUNDS = quick ? 2 : 5;
const ROUND_MS = quick ? 300 : 1_500;

/** The JSON line of this benchmark. */
export interface FanoutReport extends BenchLine {
  bench: "fanout";
  /** Dispatches per second with no stream open (median of rounds). */
  opsNoStreams: number;
  /** Dispatches per second with 20 streams open (median of rounds). */
  opsWithStreams: number;
  /** `opsWithStreams / opsNoStreams`. */
  ratio: number;
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

/** Dispatches with CALLERS concurrent loops for `ms`; returns ops/s. */
async function dispatchFor(runtime: Runtime, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const caller = async () => {
    while (performance.now() < end) {
      await runtime.dispatch({ worker: "calc", name: "noop" });
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, caller));
  return done / ((performance.now() - t0) / 1_000);
}

interface Reader {
  events: number;
  bytes: number;
  stop(): Promise<void>;
}

async function openStream(url: URL): Promise<Reader> {
  const abort = new AbortController();
  const response = await fetch(new URL("/admin/events", url), {
    signal: abort.signal,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const state: Reader = {
    events: 0,
    bytes: 0,
    stop: async () => {
      abort.abort();
      await reader.cancel().catch(() => {});
      await loop;
    },
  };
  const loop = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        state.bytes += value.length;
        const text = decoder.decode(value, { stream: true });
        for (
          let at = text.indexOf("\n\n");
          at >= 0;
          at = text.indexOf("\n\n", at + 2)
        ) {
          state.events++;
        }
      }
    } catch {
      // aborted
    }
  })();
  return state;
}

const runtime = new Runtime({ name: "bench" });
runtime.register({
  name: "calc",
  worker: { start() {}, stop() {} },
  commands: [{ name: "noop", handler: () => ({ message: "ok" }) }],
});
await runtime.startAll();
const app = opsRouter({
  runtime,
  dashboard: true,
  maxEventStreams: STREAMS,
  unsafeAllowUnauthenticated: true,
});
const server = await serve(app.fetch);

await dispatchFor(runtime, ROUND_MS / 2); // warm-up
const without: number[] = [];
const withStreams: number[] = [];
collect();
await tick(50);
const heapBefore = heapUsed();
let events = 0;
let bytes = 0;
let streamedMs = 0;
for (let round = 0; round < ROUNDS; round++) {
  without.push(await dispatchFor(runtime, ROUND_MS));
  const readers = await Promise.all(
    Array.from({ length: STREAMS }, () => openStream(server.url)),
  );
  await tick(100); // the replay and first snapshot are not the measurement
  const e0 = readers.reduce((n, r) => n + r.events, 0);
  const b0 = readers.reduce((n, r) => n + r.bytes, 0);
  const t0 = performance.now();
  withStreams.push(await dispatchFor(runtime, ROUND_MS));
  await tick(0);
  streamedMs += performance.now() - t0;
  events += readers.reduce((n, r) => n + r.events, 0) - e0;
  bytes += readers.reduce((n, r) => n + r.bytes, 0) - b0;
  await Promise.all(readers.map((r) => r.stop()));
}
collect();
await tick(50);
const heapAfter = heapUsed();

const opsNoStreams = median(without);
const opsWithStreams = median(withStreams);
console.log(`dashboard fan-out (${STREAMS} streams, ${CALLERS} callers)`);
console.log(`  no streams      ${fmt(opsNoStreams)} dispatches/s`);
console.log(
  `  ${STREAMS} streams      ${fmt(opsWithStreams)} dispatches/s (${
    fmt(opsWithStreams / opsNoStreams * 100)
  } %)`,
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
  opsNoStreams,
  opsWithStreams,
  ratio: opsWithStreams / opsNoStreams,
  heapBefore,
  heapAfter,
  eventsPerSecond: events / (streamedMs / 1_000),
  bytesPerSecond: bytes / (streamedMs / 1_000),
});
await server.shutdown(AbortSignal.timeout(5_000));
await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
