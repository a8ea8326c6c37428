/**
 * Measures what `runtime.dispatch` costs over calling a no-op async handler
 * directly, next to the peers' ways of adding a timeout and a concurrency
 * bound: (a) a direct call, (b) `dispatch` with the default policy (timeout
 * on, retry off, no caps), (c) `dispatch` with runtime and worker caps and a
 * no-op observer, (c') the observer rows: an observer that does nothing,
 * `logObserver` on a null sink and `otelObserver` without an SDK, (d) a
 * cockatiel retry+timeout+bulkhead wrap, (e) p-limit plus
 * `AbortSignal.timeout`. For each: ns per call awaited in sequence
 * (median of several rounds after a warm-up) and ops/s with 64 concurrent
 * callers. Results are printed, never asserted.
 *
 * Usage: `deno run -A bench/dispatch.ts [--quick]`, `node bench/dispatch.ts`,
 * `bun bench/dispatch.ts` — or all at once through `deno task bench`.
 *
 * @module
 */
import {
  bulkhead,
  handleAll,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
} from "cockatiel";
import pLimit from "p-limit";
import { attempts, constant, Runtime } from "../mod.ts";
import { logObserver } from "../src/log/mod.ts";
import { otelObserver } from "../src/otel/mod.ts";
import type { CommandResult, Observer } from "../mod.ts";
import type { BenchLine } from "./_common.ts";
import {
  calibrate,
  concurrent,
  emit,
  fmt,
  median,
  quick,
  runtimeName,
  sequential,
} from "./_common.ts";

/** Concurrent callers in the throughput measurement. */
const CALLERS = 64;
/** Rounds per variant and mode; the median is reported. */
const ROUNDS = quick ? 3 : 7;
/** Wall time of one round. */
const ROUND_MS = quick ? 25 : 120;
/** A cap that 64 callers never reach. */
const CAP = 1_024;

type Call = () => Promise<unknown>;

interface Variant {
  name: string;
  label: string;
  call: Call;
}

/** One variant's measurements. */
export interface DispatchResult {
  label: string;
  /** Median ns per call, awaited in sequence. */
  ns: number;
  /** Median ops/s with {@linkcode CALLERS} concurrent callers. */
  opsPerSec: number;
  /** The fastest sequential round: what the machine gives with no one else on it. */
  nsMin: number;
}

/** The JSON line `bench/dispatch.ts` prints. */
export interface DispatchReport extends BenchLine {
  callers: number;
  rounds: number;
  /** By variant: direct, dispatch, dispatchCapped, cockatiel, pLimit. */
  results: Record<string, DispatchResult>;
  /** ns/op of `dispatch` minus ns/op of the direct call. */
  overheadNs: number;
  overheadCappedNs: number;
  /** The same from each variant's fastest round. */
  overheadMinNs: number;
}

// The handler under test is an async function on purpose: it is what
// applications write, and awaiting its promise is part of the baseline.
// deno-lint-ignore require-await
const noop = async (): Promise<CommandResult> => ({});
// deno-lint-ignore require-await
const noopWithSignal = async (
  _signal: AbortSignal,
): Promise<CommandResult> => ({});

const silentObserver: Observer = {
  commandStart: () => ({ end() {} }),
  transition() {},
  failure() {},
};

/** What observing costs the core alone: one shared observation, no work. */
const sharedEnd = { end() {} };
const bareObserver: Observer = { commandStart: () => sharedEnd };

/** A logger that drops every record: measures the adapter, not the sink. */
const nullLogger = { debug() {}, info() {}, warn() {}, error() {} };

async function startedRuntime(
  capped: boolean,
  observer: Observer | undefined = capped ? silentObserver : undefined,
): Promise<Runtime> {
  const runtime = new Runtime({
    name: capped ? "capped" : "plain",
    ...(capped ? { commandConcurrency: CAP } : {}),
    ...(observer ? { observer } : {}),
  });
  runtime.register({
    name: "w",
    worker: { start() {}, stop() {} },
    commands: [{ name: "noop", handler: noop }],
    ...(capped ? { commandConcurrency: CAP } : {}),
  });
  await runtime.startAll();
  return runtime;
}

/**
 * A runtime with caps, a retry policy and a handler that reads `ctx.signal`:
 * everything a careful caller would wrap around a call by hand.
 */
async function guardedRuntime(): Promise<Runtime> {
  const runtime = new Runtime({ name: "guarded", commandConcurrency: CAP });
  runtime.register({
    name: "w",
    worker: { start() {}, stop() {} },
    commands: [{
      name: "noop",
      handler: (_request, ctx) => noopWithSignal(ctx.signal),
    }],
    commandConcurrency: CAP,
    commandRetry: attempts(3, { backoff: constant(10) }),
  });
  await runtime.startAll();
  return runtime;
}

/** The same by hand: a per-call AbortController and a cleared timeout. */
async function handRolledCall(): Promise<CommandResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    return await noopWithSignal(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

function cockatielCall(): Call {
  const policy = wrap(
    retry(handleAll, { maxAttempts: 1 }),
    timeout(30_000, TimeoutStrategy.Cooperative),
    bulkhead(1_000),
  );
  return () => policy.execute(() => noop());
}

function pLimitCall(): Call {
  const limit = pLimit(1_000);
  return () => limit(noopWithSignal, AbortSignal.timeout(30_000));
}

function variants(runtimes: Runtime[]): Variant[] {
  const [plain, capped, logged, traced, observed, guarded] = runtimes as [
    Runtime,
    Runtime,
    Runtime,
    Runtime,
    Runtime,
    Runtime,
  ];
  const request = { worker: "w", name: "noop" };
  return [
    { name: "direct", label: "direct `await handler()`", call: noop },
    {
      name: "dispatch",
      label: "`dispatch` (default policy)",
      call: () => plain.dispatch(request),
    },
    {
      name: "dispatchCapped",
      label: "`dispatch` + caps + observer",
      call: () => capped.dispatch(request),
    },
    {
      name: "dispatchObserved",
      label: "`dispatch` + an observer that does nothing",
      call: () => observed.dispatch(request),
    },
    {
      name: "dispatchLog",
      label: "`dispatch` + `logObserver` (null sink)",
      call: () => logged.dispatch(request),
    },
    {
      name: "dispatchOtel",
      label: "`dispatch` + `otelObserver` (API, no SDK)",
      call: () => traced.dispatch(request),
    },
    {
      name: "dispatchGuarded",
      label: "`dispatch` + caps + retry policy + `ctx.signal`",
      call: () => guarded.dispatch(request),
    },
    {
      name: "handRolled",
      label: "hand-written `AbortController` + `setTimeout`/`clearTimeout`",
      call: handRolledCall,
    },
    {
      name: "cockatiel",
      label: "cockatiel retry+timeout+bulkhead",
      call: cockatielCall(),
    },
    {
      name: "pLimit",
      label: "p-limit + `AbortSignal.timeout`",
      call: pLimitCall(),
    },
  ];
}

/**
 * Measures a group of variants round-robin — round 1 of each, then round 2
 * of each, … — so that a burst of load from elsewhere on the machine
 * lands on all of them rather than on one.
 */
async function measureGroup(
  group: Variant[],
  into: Record<string, DispatchResult>,
): Promise<void> {
  const sizes: number[] = [];
  for (const v of group) sizes.push(await calibrate(v.call, ROUND_MS));
  const ns: number[][] = group.map(() => []);
  const ops: number[][] = group.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of group.entries()) {
      ns[i]!.push(await sequential(v.call, sizes[i]!));
    }
  }
  for (const [i, v] of group.entries()) {
    await concurrent(v.call, sizes[i]!, CALLERS); // warm-up of this shape
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of group.entries()) {
      ops[i]!.push(await concurrent(v.call, sizes[i]!, CALLERS));
    }
  }
  for (const [i, v] of group.entries()) {
    into[v.name] = {
      label: v.label,
      ns: median(ns[i]!),
      opsPerSec: median(ops[i]!),
      nsMin: Math.min(...ns[i]!),
    };
  }
}

function report(results: Record<string, DispatchResult>): void {
  const direct = results.direct!;
  const dispatch = results.dispatch!;
  console.log(`\n## dispatch — ${runtimeName()}${quick ? " (quick)" : ""}\n`);
  console.log(
    "| variant | ns/op | × direct | × dispatch | ops/s (64 callers) | × direct | × dispatch |",
  );
  console.log("|---|--:|--:|--:|--:|--:|--:|");
  for (const r of Object.values(results)) {
    console.log(
      `| ${r.label} | ${fmt(r.ns)} | ${fmt(r.ns / direct.ns, 2)} | ${
        fmt(r.ns / dispatch.ns, 2)
      } | ${fmt(r.opsPerSec)} | ${fmt(r.opsPerSec / direct.opsPerSec, 2)} | ${
        fmt(r.opsPerSec / dispatch.opsPerSec, 2)
      } |`,
    );
  }
  console.log(
    `\ndispatch overhead over a direct call: ${
      fmt(dispatch.ns - direct.ns)
    } ns (default), ${
      fmt(results.dispatchCapped!.ns - direct.ns)
    } ns (caps + observer); ${
      fmt(dispatch.nsMin - direct.nsMin)
    } ns (default) from the fastest rounds`,
  );
}

async function main(): Promise<void> {
  const runtimes = [
    await startedRuntime(false),
    await startedRuntime(true),
    await startedRuntime(false, logObserver(nullLogger)),
    await startedRuntime(false, otelObserver()),
    await startedRuntime(false, bareObserver),
    await guardedRuntime(),
  ];
  const results: Record<string, DispatchResult> = {};
  const all = variants(runtimes);
  // p-limit is measured alone, after the others: each of its calls leaves
  // a 30 s timer alive behind it, which would weigh on whatever ran next.
  await measureGroup(all.filter((v) => v.name !== "pLimit"), results);
  await measureGroup(all.filter((v) => v.name === "pLimit"), results);
  for (const runtime of runtimes) await runtime.shutdown();
  report(results);
  emit<DispatchReport>("dispatch", {
    callers: CALLERS,
    rounds: ROUNDS,
    results,
    overheadNs: results.dispatch!.ns - results.direct!.ns,
    overheadCappedNs: results.dispatchCapped!.ns - results.direct!.ns,
    overheadMinNs: results.dispatch!.nsMin - results.direct!.nsMin,
  });
}

await main();
