// Runs every example program (examples/*/main.ts, found by listing the
// folder) as a child process on the runtime the suite runs on — Deno, Node or
// Bun — and expects it to exit 0 with some output. Examples that serve until
// Ctrl-C take `--once` (they listen on port 0, check themselves and exit);
// an example serves when its source mentions "--once". An example whose
// main.ts starts with "// Requires: ..." needs a real server (Redis,
// PostgreSQL): the infra phases run it (tools/_infra_phase.ts), not this file.
//
// The examples run two at a time in the background, started by the first
// test; each test then waits for its own example, so the whole file takes
// about half the sum of the examples' run times.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const examplesDir = join(root, "examples");
/** An example still running after this long is killed and fails. */
const EXAMPLE_TIMEOUT_MS = 60_000;
/** Examples run at once; more only contend for a small machine's cores. */
const PARALLEL = 2;
/** Per test: above Bun's 5 s default; covers waiting for a pool slot. */
const TIMEOUT = { timeout: 2 * EXAMPLE_TIMEOUT_MS + 30_000 };

/** The part of the `Deno` global this file uses. */
interface DenoGlobal {
  execPath(): string;
}

/** The same runtime as this test process, with the arguments to run a file. */
function sameRuntime(): { exe: string; args: string[] } {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (deno) return { exe: deno.execPath(), args: ["run", "-A"] };
  // Bun and Node (22.18+ and 24 strip types natively) run .ts files as they are.
  return { exe: process.execPath, args: [] };
}

/** Every folder of examples/ with a main.ts, sorted. */
const allExamples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) =>
    entry.isDirectory() && existsSync(join(examplesDir, entry.name, "main.ts"))
  )
  .map((entry) => entry.name)
  .sort();

/** What an example needs that this file cannot start ("// Requires: ..."). */
function requires(name: string): string | undefined {
  const source = readFileSync(join(examplesDir, name, "main.ts"), "utf8");
  return /^\/\/ Requires: (.+)$/m.exec(source.split("\n", 1)[0]!)?.[1];
}

/** The examples this file runs. */
const examples = allExamples.filter((name) => !requires(name));

/** Whether the example serves until Ctrl-C unless given `--once`. */
function serves(name: string): boolean {
  return readFileSync(join(examplesDir, name, "main.ts"), "utf8")
    .includes('"--once"');
}

interface Run {
  args: string[];
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs one example to its end (or kills it at the timeout). */
function runExample(name: string): Promise<Run> {
  const { exe, args } = sameRuntime();
  const extra = serves(name) ? ["--once"] : [];
  const file = join("examples", name, "main.ts");
  // The child must not pick up a developer's telemetry or port settings.
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("OTEL_") || key === "PORT") delete env[key];
  }
  env.NO_COLOR = "1";
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(exe, [...args, file, ...extra], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, EXAMPLE_TIMEOUT_MS);
    child.on("error", (error) => {
      stderr += `\nspawn failed: ${String(error)}`;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        args: [file, ...extra],
        code,
        signal,
        stdout,
        stderr,
        ms: performance.now() - started,
        timedOut,
      });
    });
  });
}

/** Runs every example, PARALLEL at a time, once; results by name. */
let pool: Map<string, Promise<Run>> | undefined;
function results(): Map<string, Promise<Run>> {
  if (pool) return pool;
  const made = new Map<string, Promise<Run>>();
  const waiting = [...examples];
  const slots: Array<() => void> = [];
  let free = PARALLEL;
  const acquire = (): Promise<void> => {
    if (free > 0) {
      free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => slots.push(resolve));
  };
  const release = (): void => {
    const next = slots.shift();
    if (next) next();
    else free++;
  };
  for (const name of waiting) {
    made.set(
      name,
      acquire().then(() => runExample(name)).finally(release),
    );
  }
  pool = made;
  return made;
}

test("examples/ has examples to run", () => {
  assert.ok(
    examples.length >= 10,
    `found only ${examples.length}: ${examples}`,
  );
  assert.ok(examples.includes("demo"), "the main demo is examples/demo");
  results(); // start the pool
});

for (const name of examples) {
  test(`example ${name} exits 0 with output`, TIMEOUT, async () => {
    const run = await results().get(name)!;
    const transcript = `${run.args.join(" ")} (${
      Math.round(run.ms)
    } ms)\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
    assert.ok(
      !run.timedOut,
      `killed after ${EXAMPLE_TIMEOUT_MS} ms\n${transcript}`,
    );
    assert.equal(
      run.code,
      0,
      `exit code ${run.code} (signal ${run.signal})\n${transcript}`,
    );
    assert.ok(run.stdout.trim().length > 0, `no output\n${transcript}`);
  });
}

for (const name of allExamples.filter(requires)) {
  test(`example ${name} is run by an infra test`, () => {
    // Not run here: the infra phases run it against real servers (and fail
    // under CI when they cannot start one). It must have such a test.
    const dir = join(root, "tests", "_infra");
    const tests = existsSync(dir)
      ? readdirSync(dir).filter((file) => file.endsWith(".test.ts"))
      : [];
    const runner = tests.find((file) =>
      readFileSync(join(dir, file), "utf8").includes(`"${name}"`)
    );
    assert.ok(runner, `no tests/_infra/*.test.ts runs examples/${name}`);
    console.log(`example ${name} (${requires(name)}): run by ${runner}`);
  });
}

test("no unhandled rejections", assertNoUnhandled);
