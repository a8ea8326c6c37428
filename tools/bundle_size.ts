/**
 * Measures what Workerkit adds to a browser or edge bundle, beside
 * cockatiel and Effect: each entry below is bundled by esbuild (minified,
 * ES module, browser platform, tree-shaken) and its size printed, raw and
 * gzipped, as the Markdown table of docs/performance.md ("Bundle size").
 * Workerkit is measured as published to npm: it builds `dist/npm/` first.
 *
 * Usage: `deno task bundle:size`
 *
 * @module
 */
import { join } from "node:path";
import { buildNpm, ROOT } from "./build_npm.ts";

interface Entry {
  library: string;
  what: string;
  source: string;
}

const ENTRIES: Entry[] = [
  {
    library: "Workerkit",
    what: "the whole core (`export *` of `@workerkit/core`)",
    source: `export * from "@workerkit/core";`,
  },
  {
    library: "Workerkit",
    what: "the README quick start (`Runtime`, a worker, a command)",
    source: `import { Runtime } from "@workerkit/core";
const runtime = new Runtime({ name: "shop" });
runtime.register({ name: "w", worker: { start() {}, stop() {} },
  commands: [{ name: "c", handler: () => ({ message: "ok" }) }] });
export const run = () => runtime.startAll();`,
  },
  {
    library: "Workerkit",
    what: "retry with exponential backoff under a timeout (`/retry`)",
    source:
      `import { attempts, exponential, retry } from "@workerkit/core/retry";
export const run = (f) => retry((_, signal) => f(signal),
  attempts(5, { backoff: exponential(10, 2, 1000) }),
  { signal: AbortSignal.timeout(1000) });`,
  },
  {
    library: "cockatiel 4",
    what: "the whole package (`export *`)",
    source: `export * from "cockatiel";`,
  },
  {
    library: "cockatiel 4",
    what: "retry with exponential backoff under a timeout",
    source:
      `import { ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from "cockatiel";
const policy = wrap(retry(handleAll, { maxAttempts: 4, backoff: new ExponentialBackoff() }),
  timeout(1000, TimeoutStrategy.Aggressive));
export const run = (f) => policy.execute(({ signal }) => f(signal));`,
  },
  {
    library: "cockatiel 4",
    what: "retry + timeout + bulkhead (what a dispatch does)",
    source:
      `import { bulkhead, ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from "cockatiel";
const policy = wrap(bulkhead(10), retry(handleAll, { maxAttempts: 4, backoff: new ExponentialBackoff() }),
  timeout(1000, TimeoutStrategy.Aggressive));
export const run = (f) => policy.execute(({ signal }) => f(signal));`,
  },
  {
    library: "Effect 4",
    what: "the whole package (`export *` of `effect`)",
    source: `export * from "effect";`,
  },
  {
    library: "Effect 4",
    what: "retry with exponential backoff under a timeout",
    source: `import { Effect, Schedule } from "effect";
export const run = (f) => Effect.runPromise(
  Effect.tryPromise((signal) => f(signal)).pipe(
    Effect.retry({ schedule: Schedule.exponential("10 millis"), times: 4 }),
    Effect.timeout("1 second"),
  ),
);`,
  },
];

/**
 * Bundles `source` in `dir`, where `@workerkit/core` is the built package
 * (resolved through its `exports`, like any dependency); the other
 * libraries come from the repository's node_modules.
 */
async function bundle(dir: string, source: string): Promise<string> {
  const out = await new Deno.Command(join(ROOT, "node_modules/.bin/esbuild"), {
    args: [
      "--bundle",
      "--minify",
      "--format=esm",
      "--platform=browser",
      "--log-level=error",
    ],
    cwd: dir,
    env: { NODE_PATH: join(ROOT, "node_modules") },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const done = await out.output();
  if (!done.success) {
    throw new Error(new TextDecoder().decode(done.stderr));
  }
  return new TextDecoder().decode(done.stdout);
}

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

/** A scratch project whose only dependency is the built package. */
async function project(): Promise<string> {
  const build = await buildNpm();
  const dir = await Deno.makeTempDir({ prefix: "workerkit-bundle-" });
  await Deno.mkdir(join(dir, "node_modules", "@workerkit"), {
    recursive: true,
  });
  await Deno.symlink(build.dir, join(dir, "node_modules", build.name));
  return dir;
}

if (import.meta.main) {
  const dir = await project();
  console.log("| Library | What is bundled | Minified | Gzipped |");
  console.log("| --- | --- | --: | --: |");
  for (const entry of ENTRIES) {
    const code = await bundle(dir, entry.source);
    console.log(
      `| ${entry.library} | ${entry.what} | ${
        kb(new TextEncoder().encode(code).length)
      } | ${kb(await gzipSize(code))} |`,
    );
  }
  await Deno.remove(dir, { recursive: true });
}
