/**
 * Measures what sequential dispatches leave behind: the JS heap retained
 * after 1M no-op dispatches (forced GC before and after; OK when it grew by
 * less than 1 MiB in total), the timers still live afterwards (through a
 * counting clock), and whether abort listeners added to one reused caller
 * `AbortSignal` are all removed again (counted by wrapping that instance's
 * `addEventListener` / `removeEventListener`).
 *
 * Needs a forced GC: `deno run -A --v8-flags=--expose-gc bench/memory.ts`,
 * `node --expose-gc bench/memory.ts`, `bun bench/memory.ts` (`Bun.gc`), or
 * `deno task bench`. Pass `--quick` for fewer dispatches.
 *
 * @module
 */
import { Runtime, systemClock } from "../mod.ts";
import type { Clock, CommandHandler } from "../mod.ts";
import type { BenchLine } from "./_common.ts";
import {
  collect,
  emit,
  fmt,
  heapUsed,
  quick,
  runtimeName,
  tick,
} from "./_common.ts";

/** The heap measurement over {@linkcode DISPATCHES} dispatches. */
export interface HeapResult {
  dispatches: number;
  /** Whether a forced GC was available (else the numbers mean little). */
  gc: boolean;
  heapBefore: number;
  heapAfter: number;
  growthBytes: number;
  bytesPerDispatch: number;
  /** Clock timers armed during the whole run, and still live at its end. */
  timersArmed: number;
  timersLive: number;
  inFlight: number;
  seconds: number;
  ok: boolean;
}

/** The abort-listener balance on one reused caller signal. */
export interface ListenerResult {
  dispatches: number;
  added: number;
  removed: number;
  /** Listeners still attached at the end. */
  outstanding: number;
  timersLive: number;
  ok: boolean;
}

/** The JSON line `bench/memory.ts` prints. */
export interface MemoryReport extends BenchLine {
  growthLimit: number;
  heap: HeapResult;
  listeners: ListenerResult;
}

const DISPATCHES = quick ? 100_000 : 1_000_000;
const LISTENER_DISPATCHES = quick ? 10_000 : 100_000;
/** "No retained growth": total growth below this. */
const GROWTH_LIMIT = 1024 * 1024;

/** A system clock that counts the timers it arms and how many are live. */
class CountingClock implements Clock {
  readonly #live = new Set<unknown>();
  armed = 0;

  get live(): number {
    return this.#live.size;
  }

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.armed++;
    const handle = systemClock.setTimeout(() => {
      this.#live.delete(handle);
      fn();
    }, ms);
    this.#live.add(handle);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.#live.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

/**
 * Counts `abort` listeners added to and removed from one signal instance,
 * and keeps the set still attached: a removal only counts when it names
 * the very function that was added.
 */
function countListeners(signal: AbortSignal) {
  const counts = { added: 0, removed: 0, attached: new Set<unknown>() };
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => {
    if (args[0] === "abort") {
      counts.added++;
      counts.attached.add(args[1]);
    }
    add(...args);
  };
  signal.removeEventListener = (...args: Parameters<typeof remove>) => {
    if (args[0] === "abort") {
      counts.removed++;
      counts.attached.delete(args[1]);
    }
    remove(...args);
  };
  return counts;
}

async function startedRuntime(
  clock: Clock,
  handler: CommandHandler,
): Promise<Runtime> {
  const runtime = new Runtime({ name: "memory", clock });
  runtime.register({
    name: "w",
    worker: { start() {}, stop() {} },
    commands: [{ name: "noop", handler }],
  });
  await runtime.startAll();
  return runtime;
}

async function dispatchMany(
  runtime: Runtime,
  n: number,
  signal?: AbortSignal,
): Promise<void> {
  const request = { worker: "w", name: "noop" };
  const options = signal ? { signal } : undefined;
  for (let i = 0; i < n; i++) await runtime.dispatch(request, options);
}

/** Heap bytes after a settle and a forced GC. */
async function settledHeap(): Promise<number> {
  await tick(5); // lets the scheduler's idle check drop its timer
  collect();
  return heapUsed();
}

async function heapRun(gc: boolean): Promise<HeapResult> {
  const clock = new CountingClock();
  // deno-lint-ignore require-await
  const runtime = await startedRuntime(clock, async () => ({}));
  await dispatchMany(runtime, 20_000); // warm-up: JIT and lazy state
  const before = await settledHeap();
  const t0 = performance.now();
  await dispatchMany(runtime, DISPATCHES);
  const seconds = (performance.now() - t0) / 1000;
  const after = await settledHeap();
  const growth = after - before;
  const result = {
    dispatches: DISPATCHES,
    gc,
    heapBefore: before,
    heapAfter: after,
    growthBytes: growth,
    bytesPerDispatch: growth / DISPATCHES,
    timersArmed: clock.armed,
    timersLive: clock.live,
    inFlight: runtime.status().inFlight,
    seconds,
    ok: gc && growth < GROWTH_LIMIT && clock.live === 0,
  };
  await runtime.shutdown();
  return result;
}

async function listenerRun(): Promise<ListenerResult> {
  const clock = new CountingClock();
  // The handler reads ctx.signal, so each attempt also builds its controller.
  const runtime = await startedRuntime(clock, (_req, ctx) => {
    ctx.signal.throwIfAborted();
    return Promise.resolve({});
  });
  const caller = new AbortController();
  const counts = countListeners(caller.signal);
  await dispatchMany(runtime, LISTENER_DISPATCHES, caller.signal);
  await tick(5);
  await runtime.shutdown();
  return {
    dispatches: LISTENER_DISPATCHES,
    added: counts.added,
    removed: counts.removed,
    outstanding: counts.attached.size,
    timersLive: clock.live,
    ok: counts.attached.size === 0 && clock.live === 0,
  };
}

function mark(ok: boolean): string {
  return ok ? "OK" : "NOT OK";
}

async function main(): Promise<void> {
  const gc = collect();
  const heap = await heapRun(gc);
  const listeners = await listenerRun();
  console.log(`\n## memory — ${runtimeName()}${quick ? " (quick)" : ""}\n`);
  if (!gc) console.log("no forced GC available: heap numbers are unreliable");
  console.log(
    `${fmt(heap.dispatches, 0)} dispatches in ${fmt(heap.seconds, 2)} s: ` +
      `heap ${fmt(heap.heapBefore / 1024, 0)} → ${
        fmt(heap.heapAfter / 1024, 0)
      } KiB, ` +
      `growth ${fmt(heap.growthBytes, 0)} B (${
        fmt(heap.bytesPerDispatch, 3)
      } B/dispatch), ` +
      `timers armed ${heap.timersArmed}, live after ${heap.timersLive} — ${
        mark(heap.ok)
      }`,
  );
  console.log(
    `${fmt(listeners.dispatches, 0)} dispatches with one caller signal: ` +
      `abort listeners added ${listeners.added}, removed ${listeners.removed}, ` +
      `still attached ${listeners.outstanding}, ` +
      `timers live after ${listeners.timersLive} — ${mark(listeners.ok)}`,
  );
  emit<MemoryReport>("memory", { growthLimit: GROWTH_LIMIT, heap, listeners });
}

await main();
