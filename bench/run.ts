/**
 * The entry point of `deno task bench`: runs each benchmark (`dispatch`,
 * `memory`, `scale`, `validation`, `fanout`, `deadlines`) on Deno, Node 24, Node 22 and Bun as child processes,
 * one at a time so they never compete for the CPU, with each runtime's
 * forced-GC flag. It collects the `BENCH_JSON` line each one prints and
 * reports one markdown table per benchmark with the runtimes as columns,
 * then the performance targets of SPEC §13, each ✔ or ✖ with the measured
 * value. The numbers are information, never assertions: the exit code is
 * non-zero only when a benchmark crashed or printed no result.
 *
 * Usage:
 *
 *   deno task bench                        everything (about 1–2 minutes)
 *   deno task bench -- --quick             fewer iterations, a smoke run
 *   deno task bench -- --runtime=deno,bun  only these runtimes
 *   deno task bench -- dispatch            only these benchmarks
 *   deno task bench -- --verbose           also echo each run's own output
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { BenchLine } from "./_common.ts";
import { fmt, JSON_PREFIX } from "./_common.ts";
import type { DispatchReport } from "./dispatch.ts";
import type { FanoutReport } from "./fanout.ts";
import type { MemoryReport } from "./memory.ts";
import type { ScaleReport } from "./scale.ts";
import type { DeadlinesReport, Percentiles } from "./deadlines.ts";
import type { ValidationReport } from "./validation.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (path: string) => join(root, "node_modules", path);
/** A run killed after this long counts as crashed. */
const RUN_TIMEOUT_MS = 180_000;

interface RuntimeSpec {
  name: string;
  exe: string;
  /** Arguments before the benchmark file: the forced-GC flag. */
  flags: string[];
}

const RUNTIMES: RuntimeSpec[] = [
  {
    name: "deno",
    exe: Deno.execPath(),
    flags: ["run", "-A", "--v8-flags=--expose-gc"],
  },
  { name: "node24", exe: bin("node24/bin/node"), flags: ["--expose-gc"] },
  { name: "node22", exe: bin("node22/bin/node"), flags: ["--expose-gc"] },
  // Bun needs no flag: the benchmarks call Bun.gc(true).
  { name: "bun", exe: bin("bun/bin/bun.exe"), flags: [] },
];

const BENCHES = [
  "dispatch",
  "memory",
  "scale",
  "validation",
  "fanout",
  "deadlines",
] as const;
type BenchName = typeof BENCHES[number];

interface Options {
  quick: boolean;
  verbose: boolean;
  runtimes: RuntimeSpec[];
  benches: BenchName[];
}

/** One runtime's results, by benchmark; absent when a run failed. */
interface Column {
  spec: RuntimeSpec;
  /** `deno 2.9.6`, from the benchmark itself. */
  label: string;
  /** 1-minute load average before and after each run: other work on the machine. */
  load: Partial<Record<BenchName, [number, number]>>;
  dispatch?: DispatchReport;
  memory?: MemoryReport;
  scale?: ScaleReport;
  validation?: ValidationReport;
  fanout?: FanoutReport;
  deadlines?: DeadlinesReport;
}

function usage(message: string): never {
  console.error(`error: ${message}`);
  console.error(
    "usage: deno task bench [-- --quick] [--verbose] [--runtime=deno,node24,node22,bun] [dispatch|memory|scale|validation|fanout ...]",
  );
  Deno.exit(2);
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    quick: false,
    verbose: false,
    runtimes: RUNTIMES,
    benches: [...BENCHES],
  };
  const benches: BenchName[] = [];
  for (const arg of args) {
    if (arg === "--") continue;
    else if (arg === "--quick") options.quick = true;
    else if (arg === "--verbose") options.verbose = true;
    else if (arg.startsWith("--runtime=")) {
      const names = arg.slice("--runtime=".length).split(",");
      options.runtimes = RUNTIMES.filter((r) => names.includes(r.name));
      if (options.runtimes.length !== names.length) {
        usage(`unknown runtime in ${arg}`);
      }
    } else if ((BENCHES as readonly string[]).includes(arg)) {
      benches.push(arg as BenchName);
    } else usage(`unknown argument ${arg}`);
  }
  if (benches.length > 0) options.benches = benches;
  return options;
}

/** Runs one benchmark on one runtime; returns its JSON line, or undefined. */
async function runOne(
  spec: RuntimeSpec,
  bench: BenchName,
  options: Options,
): Promise<BenchLine | undefined> {
  const file = join(root, "bench", `${bench}.ts`);
  const args = [...spec.flags, file, ...(options.quick ? ["--quick"] : [])];
  const t0 = performance.now();
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(spec.exe, {
      args,
      cwd: root,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    }).output();
  } catch (error) {
    console.error(`  ✖ ${spec.name} ${bench} did not run: ${error}`);
    return undefined;
  }
  const seconds = (performance.now() - t0) / 1000;
  console.error(
    `  ${spec.name.padEnd(7)} ${bench.padEnd(9)} ${fmt(seconds, 1)} s`,
  );
  return parseOutput(spec, bench, output, options.verbose);
}

/** The JSON line of a run that exited cleanly; otherwise prints what it said. */
function parseOutput(
  spec: RuntimeSpec,
  bench: BenchName,
  { code, stdout, stderr }: Deno.CommandOutput,
  verbose: boolean,
): BenchLine | undefined {
  const out = new TextDecoder().decode(stdout);
  const lines = out.split("\n");
  const json = lines.find((line) => line.startsWith(JSON_PREFIX));
  if (verbose) console.error(lines.filter((line) => line !== json).join("\n"));
  if (code === 0 && json) return JSON.parse(json.slice(JSON_PREFIX.length));
  console.error(`  ✖ ${spec.name} ${bench} failed (exit ${code})`);
  console.error(out + new TextDecoder().decode(stderr));
  return undefined;
}

async function runAll(options: Options): Promise<Column[]> {
  const columns: Column[] = [];
  for (const spec of options.runtimes) {
    const column: Column = { spec, label: spec.name, load: {} };
    for (const bench of options.benches) {
      const before = Deno.loadavg()[0]!;
      const line = await runOne(spec, bench, options);
      column.load[bench] = [before, Deno.loadavg()[0]!];
      if (!line) continue;
      column.label = line.runtime;
      Object.assign(column, { [bench]: line });
    }
    columns.push(column);
  }
  return columns;
}

// ── Tables ────────────────────────────────────────────────────────────

type Cell<T> = (report: T) => string;

/** One markdown table: a row per label, a column per runtime. */
function table<K extends BenchName>(
  title: string,
  columns: Column[],
  key: K,
  rows: Array<[string, Cell<NonNullable<Column[K]>>]>,
): string {
  const body = rows.map(([label, cell]) => {
    const cells = columns.map((c) => {
      const report = c[key];
      return report ? cell(report as NonNullable<Column[K]>) : "—";
    });
    return `| ${label} | ${cells.join(" | ")} |`;
  });
  const load = runtimeRow(
    columns,
    "1-min load average, before → after",
    (c) => {
      const [before, after] = c.load[key] ?? [NaN, NaN];
      return `${before.toFixed(2)} → ${after.toFixed(2)}`;
    },
  );
  return [header(title, columns), ...body, load].join("\n");
}

/** The title row and the alignment row. */
function header(title: string, columns: Column[]): string {
  const head = `| ${title} | ${columns.map((c) => c.label).join(" | ")} |`;
  return `${head}\n|---|${columns.map(() => "--:").join("|")}|`;
}

const VARIANTS: Array<[string, string]> = [
  ["direct", "direct `await handler()`"],
  ["dispatch", "`dispatch`, default policy"],
  ["dispatchCapped", "`dispatch` + caps + no-op observer"],
  ["dispatchObserved", "`dispatch` + an observer that does nothing"],
  ["dispatchLog", "`dispatch` + `logObserver` (null sink)"],
  ["dispatchOtel", "`dispatch` + `otelObserver` (API, no SDK)"],
  ["dispatchGuarded", "`dispatch` + caps + retry policy + `ctx.signal`"],
  [
    "handRolled",
    "hand-written `AbortController` + `setTimeout`/`clearTimeout`",
  ],
  ["cockatiel", "cockatiel retry+timeout+bulkhead"],
  ["pLimit", "p-limit + `AbortSignal.timeout`"],
];

/** `2.1 M`, `834 k` */
function si(value: number): string {
  if (value >= 1e6) return `${fmt(value / 1e6, 2)} M`;
  if (value >= 1e3) return `${fmt(value / 1e3, 0)} k`;
  return fmt(value, 0);
}

function ratio(a: number, b: number): string {
  return `×${fmt(a / b, 2)}`;
}

function dispatchTable(columns: Column[]): string {
  const seq = VARIANTS.map(([key, label]): [string, Cell<DispatchReport>] => [
    label,
    (r) => {
      const v = r.results[key]!;
      const { direct, dispatch } = r.results;
      return `${fmt(v.ns)} (${ratio(v.ns, direct!.ns)} / ${
        ratio(v.ns, dispatch!.ns)
      })`;
    },
  ]);
  const conc = VARIANTS.map(([key, label]): [string, Cell<DispatchReport>] => [
    label,
    (r) => {
      const v = r.results[key]!;
      const { direct, dispatch } = r.results;
      return `${si(v.opsPerSec)} (${ratio(v.opsPerSec, direct!.opsPerSec)} / ${
        ratio(v.opsPerSec, dispatch!.opsPerSec)
      })`;
    },
  ]);
  return table("dispatch", columns, "dispatch", [
    ["**ns/op, sequential** (× direct / × dispatch)", () => ""],
    ...seq,
    ["**ops/s, 64 concurrent callers** (× direct / × dispatch)", () => ""],
    ...conc,
    [
      "**overhead** dispatch − direct, default policy",
      (r) => `${fmt(r.overheadNs)} ns`,
    ],
    [
      "**overhead** dispatch − direct, caps + observer",
      (r) => `${fmt(r.overheadCappedNs)} ns`,
    ],
    [
      "overhead, default policy, from the fastest rounds",
      (r) => `${fmt(r.overheadMinNs)} ns`,
    ],
  ]);
}

function okMark(ok: boolean): string {
  return ok ? "OK" : "NOT OK";
}

function memoryTable(columns: Column[]): string {
  return table("memory", columns, "memory", [
    ["sequential dispatches", (r) => fmt(r.heap.dispatches, 0)],
    [
      "heap before → after, KiB (forced GC)",
      (r) =>
        `${fmt(r.heap.heapBefore / 1024, 0)} → ${
          fmt(r.heap.heapAfter / 1024, 0)
        }`,
    ],
    ["retained growth, bytes", (r) => fmt(r.heap.growthBytes, 0)],
    ["retained bytes per dispatch", (r) => fmt(r.heap.bytesPerDispatch, 3)],
    [
      "timers armed in total / live after",
      (r) => `${r.heap.timersArmed} / ${r.heap.timersLive}`,
    ],
    ["no retained growth (< 1 MiB)", (r) => okMark(r.heap.ok)],
    [
      "one caller signal: abort listeners added / removed / still attached",
      (r) =>
        `${fmt(r.listeners.added, 0)} / ${
          fmt(r.listeners.removed, 0)
        } / ${r.listeners.outstanding}`,
    ],
    ["no listener or timer leak", (r) => okMark(r.listeners.ok)],
  ]);
}

function validationTable(columns: Column[]): string {
  const row = (name: string): Cell<ValidationReport> => (r) =>
    `${fmt(r.ns[name]!)} (×${(r.ns[name]! / r.ns.none!).toFixed(2)})`;
  return table("validation", columns, "validation", [
    ["ns/op, `dispatch` without a schema", row("none")],
    ["ns/op, with a small Zod 4 object schema", row("zod")],
    ["ns/op, with the same Valibot 1 schema", row("valibot")],
  ]);
}

function fanoutTable(columns: Column[]): string {
  return table("dashboard fan-out", columns, "fanout", [
    ["dispatches/s, no router (bare runtime)", (r) => si(r.opsNoRouter)],
    ["dispatches/s, dashboard router, no stream", (r) => si(r.opsNoStreams)],
    ["dispatches/s, 20 streams open", (r) => si(r.opsWithStreams)],
    [
      "**ratio dashboard, no stream / bare** (median of rounds)",
      (r) => `×${fmt(r.ratioDashboard, 2)}`,
    ],
    [
      "**ratio 20 streams / none** (median of rounds)",
      (r) => `×${fmt(r.ratio, 2)}`,
    ],
    [
      "heap before → after the streamed rounds, KiB (forced GC)",
      (r) => `${fmt(r.heapBefore / 1024, 0)} → ${fmt(r.heapAfter / 1024, 0)}`,
    ],
    ["events/s delivered, all streams", (r) => fmt(r.eventsPerSecond, 0)],
    ["kB/s delivered, all streams", (r) => fmt(r.bytesPerSecond / 1e3, 0)],
  ]);
}

function scaleTable(columns: Column[]): string {
  return table("scale", columns, "scale", [
    ["register 10,000 workers, ms", (r) => fmt(r.lifecycle.registerMs)],
    ["startAll, ms", (r) => fmt(r.lifecycle.startAllMs)],
    ["shutdown, ms", (r) => fmt(r.lifecycle.shutdownMs)],
    [
      "**startAll + shutdown, ms** (fresh process)",
      (r) => fmt(r.lifecycle.totalMs),
    ],
    [
      "startAll + shutdown again, JIT warm, ms",
      (r) => fmt(r.lifecycle.warmTotalMs),
    ],
    ["readiness change at 10 workers, ns", (r) => fmt(r.readiness.changeNs10)],
    [
      "readiness change at 10,000 workers, ns",
      (r) => fmt(r.readiness.changeNs10k),
    ],
    [
      "**readiness change ratio 10k / 10**",
      (r) => ratio(r.readiness.changeNs10k, r.readiness.changeNs10),
    ],
    [
      "`status()` at 10 / 10,000 workers, ns",
      (r) => `${fmt(r.readiness.statusNs10)} / ${fmt(r.readiness.statusNs10k)}`,
    ],
    [
      "1,000 held at cap 1,000: in flight / one more",
      (r) => `${r.inFlight.heldMin} / \`${r.inFlight.overflow}\``,
    ],
    ["release → all 1,000 settled, ms", (r) => fmt(r.inFlight.releaseMs)],
    [
      "**lost completions** (all rounds)",
      (r) => `${r.inFlight.lost} of ${r.inFlight.commands * r.inFlight.rounds}`,
    ],
  ]);
}

function deadlinesTable(columns: Column[]): string {
  const show = (p: Percentiles) =>
    `${fmt(p.p50, 2)} / ${fmt(p.p99, 2)} / ${fmt(p.max, 2)}`;
  return table("1,000 simultaneous timeouts", columns, "deadlines", [
    ["handler signal aborts, ms late (p50 / p99 / max)", (r) => show(r.signal)],
    ["**caller answers, ms late** (p50 / p99 / max)", (r) => show(r.dispatch)],
    ["plain `setTimeout`, ms late (p50 / p99 / max)", (r) => show(r.timers)],
  ]);
}

// ── Targets ───────────────────────────────────────────────────────────

function mark(ok: boolean, value: string): string {
  return `${ok ? "✔" : "✖"} ${value}`;
}

function targetsTable(columns: Column[]): string {
  return [
    header("target (SPEC §13)", columns),
    runtimeRow(columns, "default dispatch overhead < 1 µs (Deno)", (c) => {
      const r = c.dispatch;
      if (!r) return "—";
      const value = `${fmt(r.overheadNs)} ns`;
      return c.spec.name === "deno"
        ? mark(r.overheadNs < 1_000, value)
        : `${value} (info)`;
    }),
    runtimeRow(
      columns,
      "dispatch faster than cockatiel (ns/op and ops/s)",
      (c) => {
        const r = c.dispatch?.results;
        if (!r) return "—";
        const ok = r.dispatch!.ns < r.cockatiel!.ns &&
          r.dispatch!.opsPerSec > r.cockatiel!.opsPerSec;
        return mark(ok, `${fmt(r.dispatch!.ns)} vs ${fmt(r.cockatiel!.ns)} ns`);
      },
    ),
    // Observer overhead as a ratio of the fastest rounds: the least
    // disturbed by load from elsewhere on a shared machine.
    runtimeRow(
      columns,
      "`otelObserver` (API, no SDK) ≤ 2x dispatch (fastest rounds)",
      (c) => observerTarget(c, "dispatchOtel", 2),
    ),
    runtimeRow(
      columns,
      "`logObserver` (null sink) ≤ 1.5x dispatch (fastest rounds)",
      (c) => observerTarget(c, "dispatchLog", 1.5),
    ),
    runtimeRow(
      columns,
      "dispatch + caps + retry + ctx.signal ≤ hand-written AbortController + timer",
      (c) => {
        const r = c.dispatch?.results;
        if (!r?.dispatchGuarded || !r.handRolled) return "—";
        const ok = r.dispatchGuarded.ns <= r.handRolled.ns;
        return mark(
          ok,
          `${fmt(r.dispatchGuarded.ns)} vs ${fmt(r.handRolled.ns)} ns`,
        );
      },
    ),
    runtimeRow(
      columns,
      "no retained heap growth, no listener/timer leak",
      (c) => {
        const r = c.memory;
        if (!r) return "—";
        return mark(
          r.heap.ok && r.listeners.ok,
          `${fmt(r.heap.growthBytes, 0)} B`,
        );
      },
    ),
    runtimeRow(
      columns,
      "10,000 workers: startAll + shutdown < 1 s (cold)",
      (c) => {
        const r = c.scale?.lifecycle;
        return r
          ? mark(r.ok && r.totalMs < 1_000, `${fmt(r.totalMs)} ms`)
          : "—";
      },
    ),
    runtimeRow(columns, "readiness change 10k vs 10 workers within 2x", (c) => {
      const r = c.scale?.readiness;
      return r ? mark(r.ok, ratio(r.changeNs10k, r.changeNs10)) : "—";
    }),
    runtimeRow(columns, "1,000 in flight at cap 1,000: zero lost", (c) => {
      const r = c.scale?.inFlight;
      return r ? mark(r.ok, `${r.lost} lost`) : "—";
    }),
    runtimeRow(columns, "20 dashboard streams: throughput >= 90 %", (c) => {
      const r = c.fanout;
      return r
        ? mark(r.ratio >= 0.9, ratio(r.opsWithStreams, r.opsNoStreams))
        : "—";
    }),
    runtimeRow(
      columns,
      "dashboard on, no stream: throughput >= 80 % of bare",
      (c) => {
        const r = c.fanout;
        return r
          ? mark(r.ratioDashboard >= 0.8, `×${fmt(r.ratioDashboard, 2)}`)
          : "—";
      },
    ),
    runtimeRow(columns, "1,000 simultaneous timeouts: p99 < 5 ms late", (c) => {
      const r = c.deadlines?.dispatch;
      return r ? mark(r.p99 < 5, `${fmt(r.p99, 2)} ms`) : "—";
    }),
  ].filter((row) => row !== "").join("\n");
}

/** `✔ ×1.42` when the variant costs at most `limit` times plain dispatch. */
function observerTarget(c: Column, variant: string, limit: number): string {
  const r = c.dispatch?.results;
  const observed = r?.[variant];
  if (!r || !observed) return "—";
  const x = observed.nsMin / r.dispatch!.nsMin;
  return mark(x <= limit, `×${fmt(x, 2)}`);
}

/** A row with one cell per runtime; empty when no runtime has a value. */
function runtimeRow(
  columns: Column[],
  label: string,
  cell: (c: Column) => string,
): string {
  const cells = columns.map(cell);
  if (cells.every((value) => value === "—")) return "";
  return `| ${label} | ${cells.join(" | ")} |`;
}

// ── Main ──────────────────────────────────────────────────────────────

function machine(): string {
  let cpu = "";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "";
  } catch { /* not Linux */ }
  const cores = navigator.hardwareConcurrency;
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  return `${Deno.build.os}/${Deno.build.arch}, ${cores} cores${
    cpu ? `, ${cpu}` : ""
  }; load average ${load}`;
}

async function main(): Promise<void> {
  const options = parseArgs(Deno.args);
  const before = machine();
  console.error(
    `running ${options.benches.join(", ")} on ${
      options.runtimes.map((r) => r.name).join(", ")
    }${options.quick ? " (quick)" : ""}`,
  );
  const columns = await runAll(options);
  const sections = [
    `# Workerkit benchmarks${options.quick ? " (quick smoke run)" : ""}`,
    ...(options.quick
      ? [
        "`--quick` runs too few iterations to warm up: the numbers only show that everything runs.",
      ]
      : []),
    `Machine: ${before} (at start); load at end ${
      Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
    }.`,
  ];
  if (options.benches.includes("dispatch")) {
    sections.push(`## dispatch\n\n${dispatchTable(columns)}`);
  }
  if (options.benches.includes("memory")) {
    sections.push(`## memory\n\n${memoryTable(columns)}`);
  }
  if (options.benches.includes("scale")) {
    sections.push(`## scale\n\n${scaleTable(columns)}`);
  }
  if (options.benches.includes("validation")) {
    sections.push(`## validation\n\n${validationTable(columns)}`);
  }
  if (options.benches.includes("fanout")) {
    sections.push(`## fanout\n\n${fanoutTable(columns)}`);
  }
  if (options.benches.includes("deadlines")) {
    sections.push(`## deadlines\n\n${deadlinesTable(columns)}`);
  }
  sections.push(`## targets\n\n${targetsTable(columns)}`);
  console.log(sections.join("\n\n"));
  const missing = columns.some((c) => options.benches.some((b) => !c[b]));
  if (missing) Deno.exit(1);
}

await main();
