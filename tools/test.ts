/**
 * Runs the test suite (`tests/**\/*.test.ts`, written with `node:test`) on
 * Deno, Node 22, Node 24 and Bun, one after another, then the browser tests
 * (`tests/browser/*.test.ts`, real headless Chromium) on Node 24 as a fifth
 * phase, `browser`, then the infra phases, and last the packaging checks
 * (`tools/_consumer_phase.ts`: the npm tarball and the JSR layout in
 * throwaway consumer projects) as `consumer`; streams each one's own output,
 * then prints one summary line per phase and a final line `N passed, M
 * failed` (then `, K skipped` when tests were registered as skipped, e.g.
 * infra tests without their server: counted apart, never as passed). Exits
 * non-zero when any phase failed, crashed or printed no summary that could
 * be read (such a phase counts as 1 failed).
 *
 * Usage (through `deno task test`, which runs `npm install` first):
 *
 *   deno task test                    all runtimes and the browser phase, all files
 *   deno task test deno bun           only these runtimes ("node" = node22 + node24)
 *   deno task test browser            only the browser phase
 *   deno task test infra              only the infra phases (tools/_infra_phase.ts:
 *                                     real Redis and PostgreSQL; infra-deno,
 *                                     infra-node24, infra-bun)
 *   deno task test consumer           only the consumer phase (not with --filter)
 *   deno task test --runtime=node22   the same, as a flag (comma-separated)
 *   deno task test --filter=retry     only files whose path contains "retry"
 *
 * The browser phase needs Chromium: `CHROMIUM_PATH`, else `chromium` (or
 * `chromium-browser`) on the PATH, else `/usr/bin/chromium`. When none is
 * there and this runs as root with `apt-get`, it installs Debian's
 * `chromium` package; otherwise the phase counts as 1 failed. The path is
 * passed to the tests in `CHROMIUM_PATH`.
 *
 * When a selected test file's name holds `prometheus`, Prometheus'
 * `promtool` is found first (`tools/promtool.ts`: `PROMTOOL_PATH`, the
 * PATH, or unpacked from Debian's `prometheus` package into a cache folder
 * without installing it) and passed to every runtime in `PROMTOOL_PATH`.
 *
 * Folders starting with `_` or `.` (e.g. `tests/_support/`) hold no test
 * files.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { delimiter, join, relative } from "node:path";
import { promtool } from "./promtool.ts";
import {
  INFRA_ALIAS,
  infraPhases,
  infraTestFiles,
  prepareInfra,
} from "./_infra_phase.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (path: string) => join(root, "node_modules", path);
/** A runtime that is killed after this long counts as failed. */
const RUNTIME_TIMEOUT_MS = 15 * 60_000;
/** Per-test timeout handed to Node and Bun (Bun's own default is 5 s). */
const TEST_TIMEOUT_MS = 120_000;

interface Counts {
  passed: number;
  failed: number;
  /** Tests registered as skipped (Deno says "ignored"): neither passed nor failed. */
  skipped: number;
}

interface Runtime {
  name: string;
  exe: string;
  /** Runs `tests/browser/` (with Chromium) instead of the rest of `tests/`. */
  browser?: boolean;
  /** Runs `tests/_infra/` (real Redis and PostgreSQL): tools/_infra_phase.ts. */
  infra?: boolean;
  /** Runs this one file instead of `tests/`, and only when no --filter is given. */
  only?: string;
  args(files: string[]): string[];
  /** Reads the runtime's own closing totals; undefined when absent. */
  parse(output: string): Counts | undefined;
}

/** The last match of `re` (which must be global) in `text`, as numbers. */
function last(text: string, re: RegExp): number[] | undefined {
  const found = [...text.matchAll(re)].at(-1);
  return found?.slice(1).map((group) => Number(group ?? 0));
}

function nodeRuntime(name: string, node = name): Runtime {
  return {
    name,
    exe: bin(`${node}/bin/node`),
    args: (files) => [
      "--test",
      "--test-reporter=spec",
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      ...files,
    ],
    parse(out) {
      const pass = last(out, /^ℹ pass (\d+)$/gm);
      const fail = last(out, /^ℹ fail (\d+)$/gm);
      const cancelled = last(out, /^ℹ cancelled (\d+)$/gm) ?? [0];
      const skipped = last(out, /^ℹ skipped (\d+)$/gm) ?? [0];
      if (!pass || !fail) return undefined;
      return {
        passed: pass[0]!,
        failed: fail[0]! + cancelled[0]!,
        skipped: skipped[0]!,
      };
    },
  };
}

const RUNTIMES: Runtime[] = [
  {
    name: "deno",
    exe: Deno.execPath(),
    args: (files) => ["test", "-A", ...files],
    parse(out) {
      // "ok | 12 passed (3 steps) | 0 failed | 2 ignored" — steps are
      // subtests; Node counts those as tests too, so they are added in.
      const m = last(
        out,
        /^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored)?/gm,
      );
      return m && {
        passed: m[0]! + m[1]!,
        failed: m[2]! + m[3]!,
        skipped: m[4]!,
      };
    },
  },
  nodeRuntime("node22"),
  nodeRuntime("node24"),
  {
    name: "bun",
    exe: bin("bun/bin/bun.exe"),
    // Bun reads bare words as name filters: test files need a "./" prefix.
    args: (files) => [
      "test",
      `--timeout=${TEST_TIMEOUT_MS}`,
      ...files.map((f) => `./${f}`),
    ],
    parse(out) {
      const pass = last(out, /^ (\d+) pass$/gm);
      const fail = last(out, /^ (\d+) fail$/gm);
      // Errors thrown outside any test ("Unhandled error between tests").
      const errors = last(out, /^ (\d+) errors?$/gm) ?? [0];
      const skipped = last(out, /^ (\d+) skip$/gm) ?? [0];
      if (!pass || !fail) return undefined;
      return {
        passed: pass[0]!,
        failed: fail[0]! + errors[0]!,
        skipped: skipped[0]!,
      };
    },
  },
  { ...nodeRuntime("browser", "node24"), browser: true },
];
RUNTIMES.push(...infraPhases(RUNTIMES));
// The packages as users install them, in throwaway projects (see the file).
RUNTIMES.push({
  ...RUNTIMES.find((runtime) => runtime.name === "deno")!,
  name: "consumer",
  only: "tools/_consumer_phase.ts",
});

function usage(message?: string): never {
  if (message) console.error(`error: ${message}`);
  console.error(
    "usage: deno task test [deno|node22|node24|node|bun|browser|infra|consumer ...] [--runtime=a,b] [--filter=text]",
  );
  Deno.exit(2);
}

function parseArgs(args: string[]): { runtimes: Runtime[]; filters: string[] } {
  const wanted: string[] = [];
  const filters: string[] = [];
  for (const arg of args) {
    if (arg === "--") continue;
    if (arg === "-h" || arg === "--help") usage();
    if (arg.startsWith("--runtime=")) wanted.push(...arg.slice(10).split(","));
    else if (arg.startsWith("--filter=")) filters.push(arg.slice(9));
    else if (arg.startsWith("-")) usage(`unknown option ${arg}`);
    else wanted.push(arg);
  }
  const names = new Set<string>();
  for (const w of wanted.map((w) => w.trim()).filter(Boolean)) {
    const expanded = w === "node"
      ? ["node22", "node24"]
      : w === INFRA_ALIAS[0]
      ? INFRA_ALIAS[1]
      : [w];
    for (const name of expanded) {
      if (!RUNTIMES.some((r) => r.name === name)) {
        usage(`unknown runtime "${w}"`);
      }
      names.add(name);
    }
  }
  const runtimes = names.size
    ? RUNTIMES.filter((r) => names.has(r.name))
    : RUNTIMES;
  return { runtimes, filters };
}

/** The test files, sorted, relative to the repository root. */
interface TestFiles {
  /** `tests/**\/*.test.ts` outside `tests/browser/`: every runtime runs them. */
  runtimes: string[];
  /** `tests/browser/**\/*.test.ts`: the browser phase runs them. */
  browser: string[];
  /** `tests/_infra/*.test.ts`: the infra phases run them. */
  infra: string[];
}

async function findTestFiles(filters: string[]): Promise<TestFiles> {
  const files: TestFiles = { runtimes: [], browser: [], infra: [] };
  async function walk(dir: string, into: string[]): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        const skip = entry.name.startsWith("_") || entry.name.startsWith(".") ||
          entry.name === "node_modules";
        if (skip) continue;
        const browser = into === files.runtimes && entry.name === "browser" &&
          dir === join(root, "tests");
        await walk(path, browser ? files.browser : into);
      } else if (entry.name.endsWith(".test.ts")) {
        into.push(relative(root, path));
      }
    }
  }
  try {
    await walk(join(root, "tests"), files.runtimes);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const keep = (list: string[]) =>
    list.filter((f) =>
      filters.length === 0 || filters.some((s) => f.slice(6).includes(s))
    ).sort();
  return {
    runtimes: keep(files.runtimes),
    browser: keep(files.browser),
    infra: await infraTestFiles(root, filters),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** `CHROMIUM_PATH`, `chromium` / `chromium-browser` on the PATH, or /usr/bin/chromium. */
async function findChromium(): Promise<string | undefined> {
  const given = Deno.env.get("CHROMIUM_PATH");
  if (given) return (await isFile(given)) ? given : undefined;
  const dirs = (Deno.env.get("PATH") ?? "").split(delimiter).filter(Boolean);
  for (const name of ["chromium", "chromium-browser"]) {
    for (const dir of dirs) {
      if (await isFile(join(dir, name))) return join(dir, name);
    }
  }
  return (await isFile("/usr/bin/chromium")) ? "/usr/bin/chromium" : undefined;
}

/** Finds Chromium, installing Debian's package when root with apt-get. */
async function chromium(): Promise<{ path?: string; problem?: string }> {
  const found = await findChromium();
  if (found) return { path: found };
  if (Deno.env.get("CHROMIUM_PATH")) {
    return {
      problem: `CHROMIUM_PATH=${Deno.env.get("CHROMIUM_PATH")} is not a file`,
    };
  }
  const root = Deno.uid() === 0;
  if (!root || !(await isFile("/usr/bin/apt-get"))) {
    return {
      problem: "Chromium not found (set CHROMIUM_PATH, or install the " +
        "chromium package: apt-get install chromium)",
    };
  }
  console.log(
    "\n━━━ browser: installing Chromium (apt-get install chromium) ━━━",
  );
  const install = await new Deno.Command("bash", {
    args: [
      "-c",
      "apt-get update -qq && apt-get install -y -qq chromium",
    ],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const installed = await findChromium();
  if (installed) return { path: installed };
  return {
    problem:
      `Chromium could not be installed (apt-get exit code ${install.code})`,
  };
}

async function writeAll(
  w: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
) {
  for (let n = 0; n < data.length;) n += await w.write(data.subarray(n));
}

async function version(exe: string): Promise<string> {
  try {
    const out = await new Deno.Command(exe, {
      args: ["--version"],
      stdin: "null",
    }).output();
    const first = new TextDecoder().decode(out.stdout).split("\n")[0]!;
    return first.replace(/\s*\(.*$/, "").trim(); // "deno 2.9.6 (stable, ...)"
  } catch {
    return "?";
  }
}

interface Result extends Counts {
  note: string;
  ms: number;
}

/** Runs one runtime, streaming its output through, and reads its totals. */
async function run(runtime: Runtime, files: string[]): Promise<Result> {
  const started = performance.now();
  const done = (
    counts: Omit<Counts, "skipped"> & { skipped?: number },
    note = "",
  ): Result => ({
    skipped: 0,
    ...counts,
    note,
    ms: performance.now() - started,
  });
  try {
    await Deno.stat(runtime.exe);
  } catch {
    console.error(
      `${runtime.name}: ${runtime.exe} is missing; run \`deno task setup\``,
    );
    return done({ passed: 0, failed: 1 }, "not installed");
  }
  const env: Record<string, string> = { ...sharedEnv };
  if (runtime.browser) {
    const found = await chromium();
    if (!found.path) {
      console.error(`browser: ${found.problem}`);
      return done({ passed: 0, failed: 1 }, found.problem);
    }
    env.CHROMIUM_PATH = found.path;
  }
  if (runtime.infra) await prepareInfra();
  console.log(
    `\n━━━ ${runtime.name} (${await version(runtime.exe)}${
      runtime.browser ? `, ${env.CHROMIUM_PATH}` : ""
    }) ━━━`,
  );

  if (Deno.stdout.isTerminal()) env.FORCE_COLOR = "1";
  else if (!Deno.env.has("FORCE_COLOR")) env.NO_COLOR = "1";
  const child = new Deno.Command(runtime.exe, {
    args: runtime.args(files),
    cwd: root,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let output = "";
  const pump = async (
    from: ReadableStream<Uint8Array>,
    to: typeof Deno.stdout,
  ) => {
    const decoder = new TextDecoder();
    for await (const chunk of from) {
      await writeAll(to, chunk);
      output += decoder.decode(chunk, { stream: true });
    }
  };
  const pumps = Promise.all([
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, RUNTIME_TIMEOUT_MS);
  const status = await child.status;
  clearTimeout(timer);
  // A grandchild that outlives the runtime may hold the pipes open: don't wait on it forever.
  await Promise.race([pumps, new Promise((r) => setTimeout(r, 5_000))]);

  // deno-lint-ignore no-control-regex
  const counts = runtime.parse(output.replace(/\x1b\[[0-9;]*m/g, ""));
  if (timedOut) {
    return done({
      passed: counts?.passed ?? 0,
      failed: (counts?.failed ?? 0) + 1,
      skipped: counts?.skipped ?? 0,
    }, `killed after ${RUNTIME_TIMEOUT_MS / 60_000} min`);
  }
  if (!counts) {
    return done(
      { passed: 0, failed: 1 },
      `no test summary found (exit code ${status.code})`,
    );
  }
  if (!status.success && counts.failed === 0) {
    return done(
      { passed: counts.passed, failed: 1, skipped: counts.skipped },
      `exit code ${status.code}`,
    );
  }
  return done(counts);
}

const { runtimes, filters } = parseArgs(Deno.args);
const found = await findTestFiles(filters);
const filesOf = (runtime: Runtime) =>
  runtime.only
    ? (filters.length ? [] : [runtime.only])
    : runtime.infra
    ? found.infra
    : runtime.browser
    ? found.browser
    : found.runtimes;
const phases = runtimes.filter((runtime) => filesOf(runtime).length > 0);
if (phases.length === 0) {
  console.error(
    `error: no test files found under tests/${
      filters.length ? ` matching ${filters.join(", ")}` : ""
    }`,
  );
  console.log("0 passed, 1 failed");
  Deno.exit(1);
}
const lists: Array<[string, string[]]> = [
  ["", found.runtimes],
  ["browser ", found.browser],
  ["infra ", found.infra],
];
for (const [what, files] of lists) {
  if (files.length && phases.some((p) => filesOf(p) === files)) {
    console.log(`${files.length} ${what}test file(s): ${files.join(" ")}`);
  }
}

/** Environment every runtime gets, e.g. `PROMTOOL_PATH`. */
const sharedEnv: Record<string, string> = {};
if (found.runtimes.some((file) => file.includes("prometheus"))) {
  const tool = await promtool();
  if (tool.path) {
    sharedEnv.PROMTOOL_PATH = tool.path;
  } else {
    console.error(`promtool: ${tool.problem} (the Prometheus tests will fail)`);
  }
}

const results: [string, Result][] = [];
for (const runtime of phases) {
  results.push([runtime.name, await run(runtime, filesOf(runtime))]);
}

const width = Math.max(...results.map(([name]) => name.length));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
console.log("\n━━━ summary ━━━");
// A skipped test neither passed nor failed: it is counted apart, so that a
// phase whose tests could not run never reads as all green.
const skips = (n: number, word: string) => n ? `, ${n} ${word}` : "";
for (const [name, r] of results) {
  const note = r.note ? `  (${r.note})` : "";
  console.log(
    `${r.failed ? "✖" : "✔"} ${
      name.padEnd(width)
    }  ${r.passed} pass, ${r.failed} fail${skips(r.skipped, "skipped")}  ${
      seconds(r.ms)
    }${note}`,
  );
}
const passed = results.reduce((n, [, r]) => n + r.passed, 0);
const failed = results.reduce((n, [, r]) => n + r.failed, 0);
const skipped = results.reduce((n, [, r]) => n + r.skipped, 0);
// .ci/run reads N and M from this last line (an optional ", K skipped" after).
console.log(
  `${passed} passed, ${failed} failed${skips(skipped, "skipped")}`,
);
Deno.exit(failed ? 1 : 0);
