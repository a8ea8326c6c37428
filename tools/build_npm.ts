/**
 * Builds the npm package `@workerkit/core` into `dist/npm/` from the same
 * sources and `deno.json` that JSR publishes, with TypeScript's own
 * compiler (`tsc`, `rewriteRelativeImportExtensions`): ES modules, `.d.ts`
 * with declaration maps, and a generated `package.json` whose `exports`
 * mirror `deno.json`'s. The files come from following the imports of the
 * entrypoints, so no file name inside the package is known here. Why tsc
 * and how the package is laid out: docs/packaging.md.
 *
 * Usage (through `deno task build:npm`):
 *
 *   deno task build:npm               builds dist/npm/
 *   deno task build:npm --pack=DIR    and packs it into DIR (prints sizes)
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { dirname, join, relative } from "node:path";
import {
  type DenoConfig,
  entriesOf,
  manifest,
  OUT_DIR,
  peersOf,
  SOURCE_DIR,
} from "./_npm_manifest.ts";
import { absoluteLinks } from "./_readme_links.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where the package is built. */
export const NPM_DIR = join(ROOT, "dist", "npm");
/** The build's scratch files (tsconfig), outside the package. */
const SCRATCH = join(ROOT, "dist", ".npm-build");
/** Copied next to the code, as they are. */
const DOCUMENTS = ["LICENSE", "CHANGELOG.md"];

/** What a build made. */
export interface Build {
  dir: string;
  name: string;
  version: string;
  /** The export subpaths, e.g. `[".", "./retry", ...]`. */
  subpaths: string[];
}

/** What `npm pack` made. */
export interface Pack {
  tarball: string;
  /** Packed size, bytes. */
  size: number;
  /** Unpacked size, bytes. */
  unpackedSize: number;
  /** The paths inside the tarball, relative to the package root. */
  files: string[];
}

export async function readDenoConfig(): Promise<DenoConfig> {
  return JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
}

async function run(
  exe: string,
  args: string[],
  cwd = ROOT,
): Promise<string> {
  const out = await new Deno.Command(exe, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(
      `${exe} ${args.join(" ")} failed (exit ${out.code}):\n${text}${err}`,
    );
  }
  return text;
}

const tsc = (args: string[]) =>
  run(join(ROOT, "node_modules", ".bin", "tsc"), args);

/**
 * tsc options: `deno.json`'s own compiler options, plus an emit that every
 * Node ≥ 20, Bun, Deno and bundler loads. The sources are type-checked by
 * `deno check` (with Deno's and Node's types at once, which tsc cannot
 * combine), so this compile only emits (`noCheck`); the consumer tests
 * type-check the emitted declarations instead.
 */
function compilerOptions(config: DenoConfig, rootDir: string, outDir: string) {
  return {
    ...config.compilerOptions,
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["es2023", "dom"],
    types: ["node"],
    typeRoots: [join(ROOT, "node_modules", "@types")],
    rewriteRelativeImportExtensions: true,
    verbatimModuleSyntax: true,
    declaration: true,
    declarationMap: true,
    noCheck: true,
    skipLibCheck: true,
    rootDir,
    outDir,
  };
}

async function writeTsconfig(
  name: string,
  options: Record<string, unknown>,
  files: string[],
): Promise<string> {
  const path = join(SCRATCH, name);
  await Deno.writeTextFile(
    path,
    JSON.stringify({ compilerOptions: options, files }, null, 2),
  );
  return path;
}

/** The repository's TypeScript files the entrypoints import, transitively. */
async function sourceFiles(config: DenoConfig): Promise<string[]> {
  const entries = entriesOf(config).map((e) => join(ROOT, e.source));
  const project = await writeTsconfig(
    "list.json",
    compilerOptions(config, ROOT, join(SCRATCH, "unused")),
    entries,
  );
  const listed = await tsc(["-p", project, "--listFilesOnly"]);
  return listed.split("\n").map((line) => line.trim()).filter((path) =>
    path.startsWith(ROOT) && !path.includes("/node_modules/") &&
    path.endsWith(".ts") && !path.endsWith(".d.ts")
  ).map((path) => relative(ROOT, path)).sort();
}

/** Copies the sources into the package, where the declaration maps point. */
async function stageSources(files: string[]): Promise<void> {
  for (const file of files) {
    const to = join(NPM_DIR, SOURCE_DIR, file);
    await Deno.mkdir(dirname(to), { recursive: true });
    await Deno.copyFile(join(ROOT, file), to);
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

/**
 * tsc keeps `.ts` in the import paths of declarations; TypeScript ≥ 5
 * resolves them, older versions and some tools do not, so they become
 * `.js` like in the JavaScript. Same length: the declaration maps stay
 * right.
 */
async function rewriteDeclarationImports(dir: string): Promise<void> {
  const relativeTs = /(["'])(\.{1,2}\/[^"'\n]*?)\.ts\1/g;
  for await (const path of walk(dir)) {
    if (!path.endsWith(".d.ts")) continue;
    const text = await Deno.readTextFile(path);
    const fixed = text.replace(relativeTs, "$1$2.js$1");
    if (fixed !== text) await Deno.writeTextFile(path, fixed);
  }
}

/** Strings stay (an import path is one), comments go (examples import too). */
const TOKENS =
  /("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
/**
 * Static `import`/`export ... from`, bare `import "x"`, and `import("x")`.
 * Between the keyword and `from` only a clause may stand (names, `*`, braces,
 * commas), so `export const F = { x: [["from", "string"]] }` is no import.
 */
const IMPORTS = [
  /(?:^|[;\n])\s*(?:import|export)\s[\w$*\s,{}]*?\bfrom\s*(["'])([^"'\n]+)\1/g,
  /(?:^|[;\n])\s*import\s*(["'])([^"'\n]+)\1/g,
  /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g,
];

/** The module specifiers a compiled file imports. */
export function importsOf(js: string): string[] {
  const code = js.replace(TOKENS, (_match, string) => string ?? "");
  return IMPORTS.flatMap((re) => [...code.matchAll(re)].map((m) => m[2]!));
}

/**
 * The `npm:` imports of `deno.json` the compiled code uses; fails on an
 * import the package could not satisfy once installed (a `.ts` path, or a
 * package that is neither one of those nor a `node:` built-in).
 */
async function usedPackages(
  dir: string,
  config: DenoConfig,
): Promise<string[]> {
  const peers = Object.keys(peersOf(config));
  const peerOf = (spec: string) =>
    peers.find((peer) => spec === peer || spec.startsWith(`${peer}/`));
  const used = new Set<string>();
  const bad: string[] = [];
  for await (const path of walk(dir)) {
    if (!path.endsWith(".js")) continue;
    for (const spec of importsOf(await Deno.readTextFile(path))) {
      const peer = peerOf(spec);
      if (peer) used.add(peer);
      const local = spec.startsWith(".");
      const fine = local
        ? !spec.endsWith(".ts")
        : peer !== undefined || spec.startsWith("node:");
      if (!fine) bad.push(`${relative(dir, path)}: ${spec}`);
    }
  }
  if (bad.length) {
    throw new Error(
      `the build imports what the package cannot provide (a .ts path, or ` +
        `a package that is not an npm: import of deno.json):\n  ${
          bad.join("\n  ")
        }`,
    );
  }
  return [...used];
}

/** The README, with its relative links pointing at the JSR release's files. */
async function writeReadme(config: DenoConfig): Promise<void> {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const base = `https://jsr.io/${config.name}/${config.version}/`;
  await Deno.writeTextFile(
    join(NPM_DIR, "README.md"),
    absoluteLinks(readme, base),
  );
}

async function writeManifest(
  config: DenoConfig,
  used?: string[],
): Promise<void> {
  await Deno.writeTextFile(
    join(NPM_DIR, "package.json"),
    JSON.stringify(manifest(config, used), null, 2) + "\n",
  );
}

/** Builds `dist/npm/`. */
export async function buildNpm(): Promise<Build> {
  const config = await readDenoConfig();
  await Deno.remove(NPM_DIR, { recursive: true }).catch(() => {});
  await Deno.mkdir(NPM_DIR, { recursive: true });
  await Deno.mkdir(SCRATCH, { recursive: true });
  // Written first: it makes the staged sources ES modules for tsc.
  await writeManifest(config);
  await stageSources(await sourceFiles(config));

  const staged = join(NPM_DIR, SOURCE_DIR);
  const out = join(NPM_DIR, OUT_DIR);
  const entries = entriesOf(config).map((e) => join(staged, e.source));
  await tsc([
    "-p",
    await writeTsconfig(
      "emit.json",
      compilerOptions(config, staged, out),
      entries,
    ),
  ]);
  await rewriteDeclarationImports(out);
  // Only what the package imports becomes a peer (deno.json may map more,
  // e.g. for examples), like JSR lists only the module graph's packages.
  await writeManifest(config, await usedPackages(out, config));

  await writeReadme(config);
  for (const file of DOCUMENTS) {
    await Deno.copyFile(join(ROOT, file), join(NPM_DIR, file));
  }
  return {
    dir: NPM_DIR,
    name: config.name,
    version: config.version,
    subpaths: entriesOf(config).map((e) => e.subpath),
  };
}

/** Packs `dist/npm/` with `npm pack` into `into`. */
export async function packNpm(into: string): Promise<Pack> {
  const json = await run("npm", [
    "pack",
    "--json",
    "--pack-destination",
    into,
  ], NPM_DIR);
  const [info] = JSON.parse(json) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  return {
    tarball: join(into, info!.filename),
    size: info!.size,
    unpackedSize: info!.unpackedSize,
    files: info!.files.map((f) => f.path).sort(),
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

if (import.meta.main) {
  const started = performance.now();
  const build = await buildNpm();
  console.log(
    `built ${build.name}@${build.version} into ${relative(ROOT, build.dir)}/ (${
      build.subpaths.join(" ")
    }) in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  const pack = Deno.args.find((arg) => arg.startsWith("--pack"));
  if (pack) {
    const into = pack.includes("=") ? pack.slice(pack.indexOf("=") + 1) : ROOT;
    await Deno.mkdir(into, { recursive: true });
    const packed = await packNpm(into);
    console.log(
      `packed ${packed.tarball}: ${kb(packed.size)} packed, ${
        kb(packed.unpackedSize)
      } unpacked, ${packed.files.length} files`,
    );
  }
}
