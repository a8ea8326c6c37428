/**
 * The consumer phase of `deno task test`: proves the package installs and
 * runs as users get it — from the packed npm tarball and from the JSR file
 * layout, never from the source tree — in throwaway projects outside the
 * checkout. One build and one tarball serve every check. Run by
 * tools/test.ts (`deno task test consumer`) as `deno test -A` on this file;
 * docs/packaging.md lists what each check proves.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { delimiter, dirname, join, normalize } from "node:path";
import { buildNpm, packNpm, ROOT } from "./build_npm.ts";
import { relativeLinks } from "./_readme_links.ts";
import { assertNoUnhandled } from "../tests/_support/unhandled.ts";
import {
  bundleEntrySource,
  importAllSource,
  requireAllSource,
  serviceSource,
  TOKEN,
  typedSource,
  webTypedSource,
} from "./_consumer_sources.ts";

const bin = (path: string) => join(ROOT, "node_modules", path);
const DENO = Deno.execPath();
/** How long one service may take to come up on a loaded 2-core machine. */
const UP_MS = 60_000;
/** How long a SIGTERMed service may take to exit. */
const DOWN_MS = 30_000;

const work = await Deno.makeTempDir({ prefix: "workerkit-consumers-" });
assert.ok(!work.startsWith(ROOT), "consumers must live outside the checkout");

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(
  exe: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Ran> {
  const out = await new Deno.Command(exe, {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

/** Runs a command that must succeed; its output is in the failure message. */
async function ok(
  exe: string,
  args: string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<string> {
  const ran = await exec(exe, args, cwd, env);
  assert.equal(
    ran.code,
    0,
    `${exe} ${
      args.join(" ")
    } exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`,
  );
  return ran.stdout;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

async function writeText(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

// ── One build, one tarball, one npm project for the whole phase ───────────

interface Prepared {
  tarball: string;
  files: string[];
  peers: Record<string, string>;
  subpaths: string[];
}

let prepared: Promise<Prepared> | undefined;
function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    const build = await buildNpm();
    const pack = await packNpm(work);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
    console.log(
      `tarball ${pack.tarball}: ${kb(pack.size)} packed, ${
        kb(pack.unpackedSize)
      } unpacked, ${pack.files.length} files`,
    );
    const manifest = JSON.parse(
      await Deno.readTextFile(join(build.dir, "package.json")),
    );
    return {
      tarball: pack.tarball,
      files: pack.files,
      peers: manifest.peerDependencies,
      subpaths: build.subpaths,
    };
  })();
  return prepared;
}

/** Installs `packages` (npm specs) into a fresh project at `dir`. */
async function npmInstall(dir: string, packages: string[]): Promise<void> {
  await writeJson(join(dir, "package.json"), {
    name: "consumer",
    private: true,
    type: "module",
  });
  await ok("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    "--loglevel=error",
    ...packages,
  ], dir);
}

/**
 * The project of issue 14's recipe: exactly `npm install <tarball> hono`,
 * nothing else, and the service. What a Node user of `/serve` types; the
 * Node adapter's `@hono/node-server` must come with the package.
 */
const NPM_APP = join(work, "npm-app");
let installed: Promise<void> | undefined;
function npmApp(): Promise<void> {
  installed ??= (async () => {
    const { tarball, peers } = await prepare();
    await npmInstall(NPM_APP, [tarball, `hono@${peers.hono}`]);
    await writeText(join(NPM_APP, "service.mjs"), serviceSource());
  })();
  return installed;
}

/**
 * A second project with every optional peer (`@opentelemetry/api` for
 * `/otel`) and `@types/node`, for the checks that touch every subpath.
 */
const FULL_APP = join(work, "npm-full");
let installedFull: Promise<void> | undefined;
function fullApp(): Promise<void> {
  installedFull ??= (async () => {
    const { tarball, peers, subpaths } = await prepare();
    const dev = JSON.parse(await Deno.readTextFile(join(ROOT, "package.json")));
    await npmInstall(FULL_APP, [
      tarball,
      ...Object.entries(peers).map(([name, range]) => `${name}@${range}`),
      `@types/node@${dev.devDependencies["@types/node"]}`,
    ]);
    await writeText(
      join(FULL_APP, "import_all.mjs"),
      importAllSource(subpaths),
    );
    await writeText(
      join(FULL_APP, "require_all.cjs"),
      requireAllSource(subpaths),
    );
  })();
  return installedFull;
}

// ── Running the service and talking to it over HTTP ───────────────────────

/** Reads lines from a child's stdout until one starts with `word`. */
async function lineStarting(
  lines: AsyncIterator<string>,
  word: string,
  seen: string[],
): Promise<string> {
  for (;;) {
    const next = await lines.next();
    if (next.done) {
      throw new Error(`no "${word}" line; output:\n${seen.join("\n")}`);
    }
    seen.push(next.value);
    if (next.value.startsWith(`${word} `)) {
      return next.value.slice(word.length + 1);
    }
  }
}

async function* splitLines(stream: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    yield* parts;
  }
  buffer += decoder.decode();
  if (buffer) yield buffer;
}

/** Waits on readiness over HTTP (an event the service reports, no timing). */
async function untilReady(base: string): Promise<void> {
  const deadline = Date.now() + UP_MS;
  for (;;) {
    const response = await fetch(`${base}readyz`);
    await response.body?.cancel();
    if (response.status === 200) return;
    assert.ok(Date.now() < deadline, "the service never became ready");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function dispatch(base: string, token?: string): Promise<Response> {
  return await fetch(`${base}admin/commands/dispatch`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ worker: "pricing", name: "cache/clear" }),
  });
}

/** Kills the child if it is still running after `ms`. */
function watchdog(child: Deno.ChildProcess, ms: number, what: string) {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    child.kill("SIGKILL");
  }, ms);
  return {
    stop: () => clearTimeout(timer),
    check: () => assert.ok(!fired, `killed: ${what} took over ${ms} ms`),
  };
}

/**
 * Starts `exe args` in `cwd`, then over HTTP: ready, live, a dispatch
 * refused without auth and done with it; then SIGTERM and exit code 0.
 * Returns where `@workerkit/core` resolved.
 */
async function serviceRoundTrip(
  exe: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const child = new Deno.Command(exe, {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const guard = watchdog(child, UP_MS + DOWN_MS, `${exe} ${args.join(" ")}`);
  const seen: string[] = [];
  const lines = splitLines(child.stdout)[Symbol.asyncIterator]();
  try {
    const resolved = await lineStarting(lines, "resolved", seen);
    const base = await lineStarting(lines, "listening", seen);
    await untilReady(base);
    const live = await fetch(`${base}livez`);
    assert.equal(live.status, 200, await live.text());
    const refused = await dispatch(base);
    assert.equal(refused.status, 401, await refused.text());
    const done = await dispatch(base, TOKEN);
    const body = await done.json();
    assert.equal(done.status, 200, JSON.stringify(body));
    assert.deepEqual(body.result.payload, { dropped: 1 });

    child.kill("SIGTERM");
    assert.equal(await lineStarting(lines, "exit", seen), "0");
    const status = await child.status;
    guard.check();
    assert.equal(status.code, 0, `exit code; stderr:\n${await stderr}`);
    const warnings = (await stderr).trim();
    console.log(
      `@workerkit/core from ${resolved}${warnings ? `\n${warnings}` : ""}`,
    );
    return resolved;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    throw new Error(
      `${(error as Error).message}\nstdout:\n${
        seen.join("\n")
      }\nstderr:\n${await stderr}`,
    );
  } finally {
    guard.stop();
    await lines.return?.();
  }
}

/** The machine's own Node: the first `node` on the PATH outside node_modules. */
async function machineNode(): Promise<string> {
  const dirs = (Deno.env.get("PATH") ?? "").split(delimiter)
    .filter((dir) => dir && !dir.includes("node_modules"));
  for (const dir of dirs) {
    try {
      if ((await Deno.stat(join(dir, "node"))).isFile) return join(dir, "node");
    } catch {
      // not here
    }
  }
  return "/usr/bin/node";
}

function assertFromTarball(resolved: string): void {
  assert.ok(
    !resolved.startsWith(`file://${ROOT}`),
    `resolved into the checkout: ${resolved}`,
  );
  assert.match(resolved, /\/node_modules\/@workerkit\/core\/esm\/mod\.js$/);
}

// ── The checks ───────────────────────────────────────────────────────────

/** Anything in the tarball outside these is a packaging bug. */
const PACKAGE_FILES =
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|esm\/.+\.(js|d\.ts|d\.ts\.map)|source\/.+\.ts)$/;
const DEV_FILES =
  /(^|\/)(tests?|_support|_fixtures|fixtures|bench|tools|examples|node_modules)\/|\.test\.|_test\./;

test("the tarball holds the package and nothing of development", async () => {
  const { files, subpaths } = await prepare();
  const stray = files.filter((f) =>
    !PACKAGE_FILES.test(f) || DEV_FILES.test(f)
  );
  assert.deepEqual(stray, []);
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assert.deepEqual(subpaths, Object.keys(config.exports));
  for (const file of ["package.json", "README.md", "LICENSE", "esm/mod.js"]) {
    assert.ok(files.includes(file), `${file} is missing`);
  }
});

test("publint is clean on the tarball (warnings count)", async () => {
  const { tarball } = await prepare();
  const out = await ok(bin(".bin/publint"), ["run", tarball, "--strict"], work);
  assert.match(out, /All good!/);
});

test("attw: types resolve under node16 and bundler (ESM only)", async () => {
  const { tarball } = await prepare();
  await ok(bin(".bin/attw"), [tarball, "--profile", "esm-only"], work);
});

test("npm install <tarball> hono: the Node adapter's server comes along, the other peers do not", async () => {
  await npmApp();
  const modules = join(NPM_APP, "node_modules");
  const exists = (path: string) =>
    Deno.stat(join(modules, path)).then(() => true, () => false);
  assert.ok(
    await exists("@hono/node-server/package.json"),
    "@hono/node-server (a dependency) was not installed",
  );
  assert.ok(
    !(await exists("@opentelemetry/api")),
    "an optional peer was installed",
  );
  const installed = JSON.parse(
    await Deno.readTextFile(
      join(NPM_APP, "node_modules", "@workerkit", "core", "package.json"),
    ),
  );
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assert.equal(installed.version, config.version);
  // npm has no repository to resolve relative README links against.
  const readme = await Deno.readTextFile(
    join(NPM_APP, "node_modules", "@workerkit", "core", "README.md"),
  );
  assert.deepEqual(relativeLinks(readme), []);
  assert.match(
    readme,
    new RegExp(`https://jsr\\.io/${config.name}/${config.version}/docs/`),
  );
});

const nodes: Array<[string, () => Promise<string>]> = [
  ["the machine's Node", machineNode],
  ["Node 22", () => Promise.resolve(bin("node22/bin/node"))],
  ["Node 24", () => Promise.resolve(bin("node24/bin/node"))],
];
for (const [name, exe] of nodes) {
  test(`${name}: the service (tarball + hono only) serves, dispatches, exits 0 on SIGTERM`, async () => {
    await npmApp();
    const node = await exe();
    const version = (await ok(node, ["--version"], NPM_APP)).trim();
    console.log(`${name}: ${node} ${version}`);
    assertFromTarball(await serviceRoundTrip(node, ["service.mjs"], NPM_APP));
  });
}

/** The executables of the machine's Node, Node 22, Node 24 and Bun. */
async function nodesAndBun(): Promise<string[]> {
  const found = await Promise.all(nodes.map(([, exe]) => exe()));
  return [...found, bin("bun/bin/bun.exe")];
}

test("Bun: the service (tarball + hono only) serves, dispatches, exits 0 on SIGTERM", async () => {
  await npmApp();
  const bun = bin("bun/bin/bun.exe");
  assertFromTarball(await serviceRoundTrip(bun, ["service.mjs"], NPM_APP));
});

/**
 * Runs `script` (it prints `word` and one count per subpath) on every Node
 * and Bun, and checks it saw every subpath.
 */
async function everySubpath(script: string, word: string): Promise<void> {
  await fullApp();
  const { subpaths } = await prepare();
  for (const exe of await nodesAndBun()) {
    const out = await ok(exe, [script], FULL_APP);
    assert.match(out, new RegExp(`^${word} `, "m"), `${exe}: ${out}`);
    assert.equal(out.trim().split(" ").length, subpaths.length + 1, out);
  }
}

test("every subpath of the tarball loads on Node 20, 22, 24 and Bun", () =>
  everySubpath("import_all.mjs", "loaded"));

test("CommonJS require() of every subpath works on Node 20, 22, 24 and Bun", () =>
  everySubpath("require_all.cjs", "required"));

/** A strict tsc project of one file; `types` is which `@types` it loads. */
async function typeCheck(
  dir: string,
  file: string,
  options: Record<string, unknown>,
): Promise<void> {
  await writeJson(join(dir, "tsconfig.json"), {
    compilerOptions: {
      strict: true,
      target: "es2022",
      lib: ["es2023", "dom"],
      noEmit: true,
      skipLibCheck: false,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      ...options,
    },
    files: [file],
  });
  await ok(bin(".bin/tsc"), ["-p", join(dir, "tsconfig.json")], dir);
}

test("tsc --noEmit: a strict nodenext consumer type-checks against the .d.ts", async () => {
  await fullApp();
  const dir = join(FULL_APP, "typed");
  await writeText(
    join(dir, "main.ts"),
    typedSource((await prepare()).subpaths),
  );
  await typeCheck(dir, "main.ts", {
    module: "nodenext",
    moduleResolution: "nodenext",
    types: ["node"],
  });
});

test("tsc --noEmit: a bundler-resolution consumer with no Node types (the edge)", async () => {
  await fullApp();
  const dir = join(FULL_APP, "typed-web");
  await writeText(join(dir, "main.ts"), webTypedSource());
  await typeCheck(dir, "main.ts", {
    module: "esnext",
    moduleResolution: "bundler",
    types: [],
  });
});

test("Deno: the npm tarball through npm: specifiers (every subpath, the service)", async () => {
  await fullApp();
  await writeJson(join(FULL_APP, "deno.json"), { nodeModulesDir: "manual" });
  await writeText(join(FULL_APP, "service_npm.mjs"), serviceSource("npm:"));
  const { subpaths } = await prepare();
  await writeText(
    join(FULL_APP, "import_all_npm.mjs"),
    importAllSource(subpaths, "npm:"),
  );
  assert.match(
    await ok(DENO, ["run", "-A", "import_all_npm.mjs"], FULL_APP),
    /^loaded /m,
  );
  const resolved = await serviceRoundTrip(
    DENO,
    ["run", "-A", "service_npm.mjs"],
    FULL_APP,
  );
  assert.ok(!resolved.startsWith(`file://${ROOT}`), resolved);
});

// ── The JSR layout: the files `deno publish` would upload, in a workspace ─

const JSR_WS = join(work, "jsr-workspace");
let published: Promise<string[]> | undefined;
/** The files `deno publish --dry-run` lists, relative to the root. */
function publishedFiles(): Promise<string[]> {
  published ??= (async () => {
    const out = await exec(
      DENO,
      ["publish", "--dry-run", "--allow-dirty"],
      ROOT,
    );
    const text = out.stdout + out.stderr;
    assert.equal(out.code, 0, text);
    const prefix = `file://${ROOT}`;
    return [...text.matchAll(/^\s+(file:\/\/\S+) \(/gm)]
      .map((m) => m[1]!)
      .filter((url) => url.startsWith(prefix))
      .map((url) => decodeURIComponent(url.slice(prefix.length)));
  })();
  return published;
}

let workspace: Promise<void> | undefined;
function jsrWorkspace(): Promise<void> {
  workspace ??= (async () => {
    for (const file of await publishedFiles()) {
      const to = join(JSR_WS, "core", file);
      await Deno.mkdir(dirname(to), { recursive: true });
      await Deno.copyFile(join(ROOT, file), to);
    }
    // A workspace root's option (JSR ignores it): as a member it only warns.
    const member = join(JSR_WS, "core", "deno.json");
    const { nodeModulesDir: _, ...config } = JSON.parse(
      await Deno.readTextFile(member),
    );
    await writeJson(member, config);
    await writeJson(join(JSR_WS, "deno.json"), {
      workspace: ["./core", "./app"],
    });
    await writeJson(join(JSR_WS, "app", "deno.json"), {});
    await writeText(join(JSR_WS, "app", "service.ts"), serviceSource());
    const subpaths = Object.keys(config.exports);
    await writeText(join(JSR_WS, "app", "typed.ts"), typedSource(subpaths));
    await writeText(
      join(JSR_WS, "app", "import_all.ts"),
      importAllSource(subpaths),
    );
  })();
  return workspace;
}

/**
 * Files `deno.json` keeps out of the JSR package on purpose (`publish.exclude`):
 * a guide may still link to them, as it does on GitHub, though not on jsr.io.
 */
async function excludedOnPurpose(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const excluded = (config.publish?.exclude ?? []) as string[];
  return excluded.map((path) => path.replace(/^\.\//, "").replace(/\/$/, ""));
}

test("every relative link of the published Markdown points at a published file", async () => {
  const files = await publishedFiles();
  const excluded = await excludedOnPurpose();
  const published = (path: string) =>
    files.includes(path) || files.some((f) => f.startsWith(`${path}/`));
  const broken: string[] = [];
  const tolerated: string[] = [];
  for (const file of files.filter((f) => f.endsWith(".md"))) {
    const links = relativeLinks(await Deno.readTextFile(join(ROOT, file)));
    if (file === "README.md") assert.ok(links.length > 0);
    for (const link of links.filter(Boolean)) {
      const target = normalize(join(dirname(file), link)).replace(/\/$/, "");
      if (published(target)) continue;
      // The README is the package page: every one of its links must work.
      const onPurpose = file !== "README.md" && excluded.includes(target);
      (onPurpose ? tolerated : broken).push(`${file} -> ${link}`);
    }
  }
  if (tolerated.length) {
    console.log(`links to files kept out of JSR: ${tolerated.join(", ")}`);
  }
  assert.deepEqual(broken, []);
});

test("every entrypoint opens with a @module doc that has an example", async () => {
  await jsrWorkspace();
  const config = JSON.parse(
    await Deno.readTextFile(join(JSR_WS, "core", "deno.json")),
  );
  const entries = Object.values(config.exports as Record<string, string>);
  const json = await ok(
    DENO,
    ["doc", "--json", ...entries],
    join(JSR_WS, "core"),
  );
  const docs = JSON.parse(json).nodes as Record<string, {
    module_doc?: { doc?: string; tags?: Array<{ kind: string }> };
  }>;
  const lacking = entries.filter((entry) => {
    const url = new URL(entry, `file://${join(JSR_WS, "core")}/`).href;
    const doc = docs[url]?.module_doc;
    return !doc?.doc?.trim() || !doc.tags?.some((t) => t.kind === "example");
  });
  assert.deepEqual(lacking, []);
});

test("Deno: the JSR layout resolves @workerkit/core and its subpaths through deno.json exports", async () => {
  await jsrWorkspace();
  const resolved = await serviceRoundTrip(
    DENO,
    ["run", "-A", "app/service.ts"],
    JSR_WS,
  );
  assert.equal(resolved, `file://${join(JSR_WS, "core", "mod.ts")}`);
  await ok(DENO, ["check", "app/typed.ts"], JSR_WS);
  assert.match(
    await ok(DENO, ["run", "-A", "app/import_all.ts"], JSR_WS),
    /^loaded /m,
  );
});

test("esbuild bundles the core from the tarball for the browser, and it runs", async () => {
  await fullApp();
  const dir = join(FULL_APP, "bundle");
  await writeText(join(dir, "entry.mjs"), bundleEntrySource());
  await ok(bin(".bin/esbuild"), [
    "entry.mjs",
    "--bundle",
    "--minify",
    "--format=esm",
    "--platform=browser",
    "--outfile=out.mjs",
  ], dir);
  const bundle = await Deno.readTextFile(join(dir, "out.mjs"));
  assert.doesNotMatch(bundle, /["']node:/);
  const gzip = await new Response(
    new Blob([bundle]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  console.log(
    `browser bundle of the quick start: ${
      (bundle.length / 1024).toFixed(1)
    } kB minified, ${(gzip.byteLength / 1024).toFixed(1)} kB gzip`,
  );
  const out = await ok(bin("node24/bin/node"), ["out.mjs"], dir);
  assert.match(out, /^bundled cleared stopped$/m);
});

test("the throwaway projects are removed", async () => {
  await Deno.remove(work, { recursive: true });
});

test("no unhandled rejections", assertNoUnhandled);
