/**
 * Shared helpers for the benchmarks (not a benchmark itself): which runtime
 * is running, command-line flags, forced GC and heap size behind feature
 * checks, timing loops, and the one `BENCH_JSON` line each benchmark prints
 * for `bench/run.ts` to collect.
 *
 * @module
 */

/** The prefix of the single machine-readable line a benchmark prints. */
export const JSON_PREFIX = "BENCH_JSON ";

/** The fields every benchmark's JSON line starts with. */
export interface BenchLine {
  bench: string;
  /** Runtime and version, e.g. `deno 2.9.6`. */
  runtime: string;
  quick: boolean;
}

/** The runtime globals the benchmarks feature-detect; all optional. */
interface Host {
  Deno?: {
    version: { deno: string };
    args: string[];
    memoryUsage(): { heapUsed: number };
  };
  Bun?: { version: string; gc(force: boolean): void };
  process?: {
    versions: { node: string };
    argv: string[];
    memoryUsage(): { heapUsed: number };
  };
  gc?: () => void;
}

const host = globalThis as unknown as Host;

/** The runtime's name and version, e.g. `deno 2.9.6`. */
export function runtimeName(): string {
  if (host.Deno) return `deno ${host.Deno.version.deno}`;
  if (host.Bun) return `bun ${host.Bun.version}`;
  return `node ${host.process?.versions.node ?? "?"}`;
}

/** The benchmark's own arguments. */
export function cliArgs(): string[] {
  if (host.Deno) return host.Deno.args;
  return host.process?.argv.slice(2) ?? [];
}

/** Whether `--quick` (fewer iterations, for a smoke run) was passed. */
export const quick: boolean = cliArgs().includes("--quick");

/** Forces a full garbage collection; false when the runtime does not expose one. */
export function collect(): boolean {
  if (host.Bun) {
    host.Bun.gc(true);
    return true;
  }
  if (typeof host.gc !== "function") return false;
  host.gc();
  host.gc();
  return true;
}

/** Bytes of JS heap in use. */
export function heapUsed(): number {
  if (host.Deno) return host.Deno.memoryUsage().heapUsed;
  return host.process?.memoryUsage().heapUsed ?? NaN;
}

/** Resolves after the pending timers and microtasks had a turn. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Awaits `fn` `n` times in sequence; returns ns per call. */
export async function sequential(
  fn: () => Promise<unknown>,
  n: number,
): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) * 1e6 / n;
}

/** Runs `callers` loops, each awaiting `fn` in sequence; returns ops/s. */
export async function concurrent(
  fn: () => Promise<unknown>,
  n: number,
  callers: number,
): Promise<number> {
  const each = Math.ceil(n / callers);
  const loop = async (): Promise<void> => {
    for (let i = 0; i < each; i++) await fn();
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: callers }, loop));
  return each * callers / ((performance.now() - t0) / 1000);
}

/**
 * Doubles a batch until it runs for a quarter of `targetMs` (this is also
 * the warm-up), then returns the calls that fill about `targetMs`.
 */
export async function calibrate(
  fn: () => Promise<unknown>,
  targetMs: number,
): Promise<number> {
  for (let n = 1_000;; n *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    const ms = performance.now() - t0;
    if (ms >= targetMs / 4) {
      return Math.max(1_000, Math.ceil(n * targetMs / ms));
    }
  }
}

/** Prints the machine-readable result line. */
export function emit<T extends BenchLine>(
  bench: T["bench"],
  data: Omit<T, keyof BenchLine>,
): void {
  const line = { bench, runtime: runtimeName(), quick, ...data };
  console.log(JSON_PREFIX + JSON.stringify(line));
}

/** `1234.5` → `"1,235"`; small values keep one decimal. */
export function fmt(value: number, digits = value < 100 ? 1 : 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
