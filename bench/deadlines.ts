/**
 * Deadline precision under a burst: 1,000 dispatches start at once, each
 * with a handler that never settles, so every caller's answer is the
 * `deadline_exceeded` its `commandTimeout` produces. Lateness is the time
 * from a caller's deadline (its dispatch time plus the timeout) to its
 * rejection. The baseline is 1,000 plain `setTimeout`s of the same delay
 * started the same way: what the runtime's own timers manage. Target
 * (SPEC §13, issue 12 item 9): p99 lateness under 5 ms on an idle machine.
 *
 *   deno run -A bench/deadlines.ts [--quick]
 *   node bench/deadlines.ts; bun bench/deadlines.ts
 *
 * @module
 */
import { Runtime } from "../mod.ts";
import { emit, fmt, quick, tick } from "./_common.ts";

/** What `bench/run.ts` reads from the `BENCH_JSON` line. */
export interface DeadlinesReport {
  bench: "deadlines";
  runtime: string;
  quick: boolean;
  /** Simultaneous deadlines per round. */
  burst: number;
  /** The timeout of each, ms. */
  timeoutMs: number;
  /** Lateness of the handlers' signals: when each one aborted, ms. */
  signal: Percentiles;
  /** Lateness of the callers' answers (`deadline_exceeded`), ms. */
  dispatch: Percentiles;
  /** Lateness of plain setTimeout timers, ms. */
  timers: Percentiles;
}

/** p50, p99 and the maximum, ms. */
export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

const BURST = 1_000;
const TIMEOUT_MS = 50;
const ROUNDS = quick ? 3 : 10;

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

/** When each handler's signal aborted, minus its deadline; filled by the handler. */
let signalLate: number[] = [];

async function dispatchRound(runtime: Runtime): Promise<number[]> {
  const late: number[] = [];
  const calls: Promise<void>[] = [];
  for (let i = 0; i < BURST; i++) {
    const due = performance.now() + TIMEOUT_MS;
    calls.push(
      runtime.dispatch({ worker: "w", name: "hang", payload: due }).then(
        () => {
          throw new Error("a hung handler succeeded");
        },
        () => void late.push(performance.now() - due),
      ),
    );
  }
  await Promise.all(calls);
  return late;
}

async function timerRound(): Promise<number[]> {
  const late: number[] = [];
  const calls: Promise<void>[] = [];
  for (let i = 0; i < BURST; i++) {
    const due = performance.now() + TIMEOUT_MS;
    calls.push(
      new Promise<void>((resolve) =>
        setTimeout(() => {
          late.push(performance.now() - due);
          resolve();
        }, TIMEOUT_MS)
      ),
    );
  }
  await Promise.all(calls);
  return late;
}

async function main(): Promise<void> {
  const runtime = new Runtime({ name: "bench" });
  runtime.register({
    name: "w",
    commandTimeout: TIMEOUT_MS,
    worker: { start() {}, stop() {} },
    // Ignores its signal until the deadline has answered the caller, then
    // settles, so each round gives its in-flight slots back.
    commands: [{
      name: "hang",
      handler: (request, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            signalLate.push(performance.now() - (request.payload as number));
            setTimeout(resolve, 0);
          })
        ),
    }],
  });
  await runtime.start("w");
  const dispatch: number[] = [];
  const timers: number[] = [];
  await dispatchRound(runtime); // warm-up
  await timerRound();
  signalLate = [];
  for (let round = 0; round < ROUNDS; round++) {
    dispatch.push(...await dispatchRound(runtime));
    await tick(5);
    timers.push(...await timerRound());
    await tick(5);
  }
  await runtime.waitAllIdle();
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
  const report = {
    burst: BURST,
    timeoutMs: TIMEOUT_MS,
    signal: percentiles(signalLate),
    dispatch: percentiles(dispatch),
    timers: percentiles(timers),
  };
  const show = (p: Percentiles) =>
    `p50 ${fmt(p.p50, 2)} ms, p99 ${fmt(p.p99, 2)} ms, max ${fmt(p.max, 2)} ms`;
  console.log(`handler signals:    ${show(report.signal)}`);
  console.log(`caller answers:     ${show(report.dispatch)}`);
  console.log(`plain setTimeout:   ${show(report.timers)}`);
  emit<DeadlinesReport>("deadlines", report);
}

await main();
