/**
 * The npm `package.json` of `@workerkit/core`, derived from `deno.json` so
 * that the two packages cannot drift: same name, version and license, the
 * same export subpaths, and the `npm:` imports of `deno.json` that the
 * package uses: `@hono/node-server` as a dependency, the others as optional
 * peer dependencies. See docs/packaging.md.
 *
 * @module
 */

/** The parts of `deno.json` the npm build reads. */
export interface DenoConfig {
  name: string;
  version: string;
  license?: string;
  exports: string | Record<string, string>;
  imports?: Record<string, string>;
  compilerOptions?: Record<string, unknown>;
}

/** One export of the package: its subpath and source file. */
export interface Entry {
  /** `"."`, `"./retry"`, ... */
  subpath: string;
  /** The source file relative to the package root, e.g. `src/retry/mod.ts`. */
  source: string;
}

/** Where the compiled JavaScript and declarations live inside the package. */
export const OUT_DIR = "esm";
/** Where the TypeScript sources (for declaration maps) live inside the package. */
export const SOURCE_DIR = "source";

/** Node versions the npm package supports: `AbortSignal.any` is 20.3+. */
const NODE_ENGINES = ">=20.3.0";

const DESCRIPTION = "A production shell for a service's long-running " +
  "in-process workers: lifecycle with deadlines, readiness, status, " +
  "commands, retry, supervision, observability and a Hono ops router. " +
  "Runs on Node.js, Deno, Bun and edge hosts.";

const KEYWORDS = [
  "workers",
  "lifecycle",
  "graceful-shutdown",
  "readiness",
  "kubernetes",
  "retry",
  "supervision",
  "hono",
  "opentelemetry",
];

/** The exports of `deno.json`, as entries, in their declared order. */
export function entriesOf(config: DenoConfig): Entry[] {
  const exports = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports;
  return Object.entries(exports).map(([subpath, source]) => ({
    subpath,
    source: source.replace(/^\.\//, ""),
  }));
}

/** `src/retry/mod.ts` → `./esm/src/retry/mod` (no extension). */
function built(source: string): string {
  return `./${OUT_DIR}/${source.replace(/\.ts$/, "")}`;
}

/**
 * The packages that are regular `dependencies` rather than optional peers.
 * `@hono/node-server` is what the Node adapter (`/node`, and `/serve` on
 * Node) runs on: a Node user of `/serve` always needs it, and as an
 * optional peer `npm install @workerkit/core hono` left `serve()` failing
 * on Node. It is small and needs only `hono`. The core itself still
 * imports nothing; `hono` and `@opentelemetry/api` stay optional peers,
 * since their versions are the application's choice (one copy of each).
 */
const DEPENDENCIES: readonly string[] = ["@hono/node-server"];

/**
 * Each `npm:` import of `deno.json`, with a caret range from its lowest
 * version (the range says which versions a user may bring, so it is not
 * pinned tighter than semver allows).
 */
export function packagesOf(config: DenoConfig): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const target of Object.values(config.imports ?? {})) {
    const match = /^npm:(@?[^@]+)@[\^~>=]*(\d[^\s|,]*)/.exec(target);
    if (match) peers[match[1]!] = `^${match[2]}`;
  }
  return peers;
}

/**
 * The generated `package.json`; `used` limits the dependencies and peer
 * dependencies to the packages the compiled code imports.
 */
export function manifest(
  config: DenoConfig,
  used?: string[],
): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  for (const { subpath, source } of entriesOf(config)) {
    exports[subpath] = {
      types: `${built(source)}.d.ts`,
      default: `${built(source)}.js`,
    };
  }
  exports["./package.json"] = "./package.json";
  const needed = Object.entries(packagesOf(config)).filter(([name]) =>
    used === undefined || used.includes(name)
  );
  const dependencies = Object.fromEntries(
    needed.filter(([name]) => DEPENDENCIES.includes(name)),
  );
  const peers = Object.fromEntries(
    needed.filter(([name]) => !DEPENDENCIES.includes(name)),
  );
  const meta = Object.fromEntries(
    Object.keys(peers).map((name) => [name, { optional: true }]),
  );
  return {
    name: config.name,
    version: config.version,
    description: DESCRIPTION,
    keywords: KEYWORDS,
    homepage: `https://jsr.io/${config.name}`,
    license: config.license ?? "MIT",
    type: "module",
    sideEffects: false,
    engines: { node: NODE_ENGINES },
    exports,
    dependencies,
    peerDependencies: peers,
    peerDependenciesMeta: meta,
  };
}
