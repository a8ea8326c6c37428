/**
 * Measures how the runtime scales with workers and in-flight commands:
 * registering 10,000 workers and the time of `startAll` + `shutdown` for
 * them (target < 1 s); the cost of one readiness change (`setReady` through
 * a worker's handle) at 10 and at 10,000 workers, and `status()` likewise
 * (target: the same cost within 2x — O(1)); and 1,000 commands in flight at
 * once under a runtime cap of 1,000, held on a shared promise and then
 * released, counting completions (target: none lost).
 *
 * Usage: `deno run -A bench/scale.ts [--quick]`, `node bench/scale.ts`,
 * `bun bench/scale.ts` — or all at once through `deno task bench`.
 *
 * @module
 */
import { Runtime, WorkerkitError } from "../mod.ts";
import type { WorkerHandle } from "../mod.ts";
import type { BenchLine } from "./_common.ts";
import { emit, fmt, median, quick, runtimeName, tick } from "./_common.ts";

/** `startAll` + `shutdown` of {@linkcode WORKERS} workers. */
export interface LifecycleResult {
  workers: number;
  registerMs: number;
  startAllMs: number;
  shutdownMs: number;
  /** startAll + shutdown, in a fresh process: the target's number. */
  totalMs: number;
  /** startAll + shutdown of a second runtime, once the JIT has warmed up. */
  warmTotalMs: number;
  /** All ran, then all stopped, both times. */
  ok: boolean;
}

/** ns per readiness change and per `status()`, at 10 and 10,000 workers. */
export interface ReadinessResult {
  changeNs10: number;
  changeNs10k: number;
  changeRatio: number;
  statusNs10: number;
  statusNs10k: number;
  statusRatio: number;
  /** Readiness came back true and the change ratio is within 2x. */
  ok: boolean;
}

/** {@linkcode IN_FLIGHT} held commands at a runtime cap of as many. */
export interface InFlightResult {
  commands: number;
  rounds: number;
  /** Commands that did not complete with their result, over all rounds. */
  lost: number;
  /** The fewest in flight while held. */
  heldMin: number;
  /** What one more dispatch got while the cap was full. */
  overflow: string;
  inFlightAfter: number;
  /** The 1,000 synchronous `dispatch` calls that fill the cap. */
  admitMs: number;
  /** From releasing the handlers to every caller having its result. */
  releaseMs: number;
  ok: boolean;
}

/** The JSON line `bench/scale.ts` prints. */
export interface ScaleReport extends BenchLine {
  lifecycle: LifecycleResult;
  readiness: ReadinessResult;
  inFlight: InFlightResult;
}

const WORKERS = 10_000;
const TOGGLES = quick ? 10_000 : 50_000;
const ROUNDS = quick ? 3 : 7;
const IN_FLIGHT = 1_000;
const IN_FLIGHT_ROUNDS = quick ? 2 : 5;

const idle = { start() {}, stop() {} };

/** A runtime with `n` no-op workers, and the handle of the first one once started. */
function populated(
  n: number,
): { runtime: Runtime; handle: () => WorkerHandle } {
  const runtime = new Runtime({ name: `scale-${n}` });
  let handle: WorkerHandle | undefined;
  runtime.register({
    name: "w0",
    worker: {
      start(ctx) {
        handle = ctx.worker;
      },
      stop() {},
    },
  });
  for (let i = 1; i < n; i++) runtime.register({ name: `w${i}`, worker: idle });
  return { runtime, handle: () => handle! };
}

/** Registers, starts and shuts down {@linkcode WORKERS} workers, timing each step. */
async function lifecycleOnce() {
  let t0 = performance.now();
  const { runtime } = populated(WORKERS);
  const registerMs = performance.now() - t0;
  t0 = performance.now();
  await runtime.startAll();
  const startAllMs = performance.now() - t0;
  const running = runtime.status().state === "running" &&
    runtime.status().ready;
  t0 = performance.now();
  await runtime.shutdown();
  const shutdownMs = performance.now() - t0;
  const stopped = runtime.workers().every((w) => w.status.state === "stopped");
  return { registerMs, startAllMs, shutdownMs, ok: running && stopped };
}

async function lifecycle(): Promise<LifecycleResult> {
  const cold = await lifecycleOnce();
  const warm = await lifecycleOnce();
  return {
    workers: WORKERS,
    registerMs: cold.registerMs,
    startAllMs: cold.startAllMs,
    shutdownMs: cold.shutdownMs,
    totalMs: cold.startAllMs + cold.shutdownMs,
    warmTotalMs: warm.startAllMs + warm.shutdownMs,
    ok: cold.ok && warm.ok,
  };
}

/** ns per call of `fn`, which performs `perCall` operations. */
function timePer(fn: () => void, calls: number, perCall: number): number {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) * 1e6 / (calls * perCall);
}

async function readiness(): Promise<ReadinessResult> {
  const small = populated(10);
  const large = populated(WORKERS);
  await small.runtime.startAll();
  await large.runtime.startAll();
  const toggle = (h: WorkerHandle) => () => {
    h.setReady(false);
    h.setReady(true);
  };
  const cases = [
    { key: "ready10", fn: toggle(small.handle()), per: 2 },
    { key: "ready10k", fn: toggle(large.handle()), per: 2 },
    { key: "status10", fn: () => small.runtime.status(), per: 1 },
    { key: "status10k", fn: () => large.runtime.status(), per: 1 },
  ];
  const samples: Record<string, number[]> = {};
  for (let round = -1; round < ROUNDS; round++) { // round -1 warms up
    for (const c of cases) {
      const ns = timePer(c.fn, TOGGLES, c.per);
      if (round >= 0) (samples[c.key] ??= []).push(ns);
    }
  }
  const ns = (key: string) => median(samples[key]!);
  const readyOk = small.runtime.status().ready && large.runtime.status().ready;
  await small.runtime.shutdown();
  await large.runtime.shutdown();
  return {
    changeNs10: ns("ready10"),
    changeNs10k: ns("ready10k"),
    changeRatio: ns("ready10k") / ns("ready10"),
    statusNs10: ns("status10"),
    statusNs10k: ns("status10k"),
    statusRatio: ns("status10k") / ns("status10"),
    ok: readyOk && ns("ready10k") / ns("ready10") <= 2,
  };
}

/** Registers and starts a worker whose command waits for `gate`; counts its starts. */
async function holder(
  runtime: Runtime,
  gate: Promise<void>,
): Promise<{ started: number }> {
  const counts = { started: 0 };
  runtime.register({
    name: "holder",
    worker: idle,
    commands: [{
      name: "hold",
      handler: async () => {
        counts.started++;
        await gate;
        return { message: "done" };
      },
    }],
  });
  await runtime.start("holder");
  return counts;
}

/** One round: fill the cap, probe one more, release all, count completions. */
async function inFlightRound(runtime: Runtime) {
  let release!: () => void;
  const counts = await holder(runtime, new Promise((r) => release = r));
  const request = { worker: "holder", name: "hold" };
  const t0 = performance.now();
  const calls = Array.from(
    { length: IN_FLIGHT },
    () => runtime.dispatch(request),
  );
  const admitMs = performance.now() - t0;
  await tick();
  const held = runtime.status().inFlight;
  const overflow = await runtime.dispatch(request).then(
    () => "admitted",
    (e: unknown) => e instanceof WorkerkitError ? e.code : String(e),
  );
  const t1 = performance.now();
  release();
  const settled = await Promise.allSettled(calls);
  const releaseMs = performance.now() - t1;
  const completed =
    settled.filter((s) =>
      s.status === "fulfilled" && s.value.message === "done"
    ).length;
  const after = runtime.status().inFlight;
  await runtime.stop("holder");
  await runtime.unregister("holder");
  const { started } = counts;
  return { admitMs, releaseMs, started, held, overflow, completed, after };
}

async function inFlight(): Promise<InFlightResult> {
  const runtime = new Runtime({
    name: "inflight",
    commandConcurrency: IN_FLIGHT,
  });
  const rounds = [];
  for (let i = 0; i < IN_FLIGHT_ROUNDS; i++) {
    rounds.push(await inFlightRound(runtime));
  }
  await runtime.shutdown();
  const lost = rounds.reduce((sum, r) => sum + IN_FLIGHT - r.completed, 0);
  return {
    commands: IN_FLIGHT,
    rounds: rounds.length,
    lost,
    heldMin: Math.min(...rounds.map((r) => r.held)),
    overflow: [...new Set(rounds.map((r) => r.overflow))].join(","),
    inFlightAfter: Math.max(...rounds.map((r) => r.after)),
    admitMs: median(rounds.map((r) => r.admitMs)),
    releaseMs: median(rounds.map((r) => r.releaseMs)),
    ok: lost === 0 &&
      rounds.every((r) =>
        r.held === IN_FLIGHT && r.started === IN_FLIGHT &&
        r.overflow === "runtime_saturated" && r.after === 0
      ),
  };
}

function report(
  life: LifecycleResult,
  ready: ReadinessResult,
  flight: InFlightResult,
): void {
  console.log(`\n## scale — ${runtimeName()}${quick ? " (quick)" : ""}\n`);
  console.log(
    `${fmt(life.workers, 0)} workers: register ${fmt(life.registerMs)} ms, ` +
      `startAll ${fmt(life.startAllMs)} ms, shutdown ${
        fmt(life.shutdownMs)
      } ms, ` +
      `startAll+shutdown ${fmt(life.totalMs)} ms (a second time, warm: ${
        fmt(life.warmTotalMs)
      } ms)`,
  );
  console.log(
    `readiness change: ${fmt(ready.changeNs10)} ns at 10 workers, ` +
      `${fmt(ready.changeNs10k)} ns at 10,000 (×${
        fmt(ready.changeRatio, 2)
      }); ` +
      `status(): ${fmt(ready.statusNs10)} ns / ${fmt(ready.statusNs10k)} ns ` +
      `(×${fmt(ready.statusRatio, 2)})`,
  );
  console.log(
    `${flight.commands} in flight at cap ${flight.commands} × ${flight.rounds} rounds: ` +
      `held ${flight.heldMin}, one more → ${flight.overflow}, lost ${flight.lost}, ` +
      `in flight after ${flight.inFlightAfter}; 1,000 dispatch calls ${
        fmt(flight.admitMs)
      } ms, ` +
      `release→all settled ${fmt(flight.releaseMs)} ms`,
  );
}

async function main(): Promise<void> {
  const life = await lifecycle();
  const ready = await readiness();
  const flight = await inFlight();
  report(life, ready, flight);
  emit<ScaleReport>("scale", {
    lifecycle: life,
    readiness: ready,
    inFlight: flight,
  });
}

await main();
