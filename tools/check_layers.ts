/**
 * Checks the layering of the package: reads the import graph of every
 * entrypoint in deno.json's `exports` and of every source file under `src/`
 * and `adapters/` (with `deno info --json`, so type-only imports count and
 * comments do not), and fails on any import that breaks a rule of
 * `tools/layers.json`. The rules and the reasons for them are in
 * docs/architecture.md.
 *
 * `deno task check:layers` checks the repository; it prints one line per
 * broken rule and exits 1 if there is any.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { join, relative } from "node:path";

interface Layer {
  paths: string[];
  imports?: string[];
  entrypoints?: string[];
  external?: string[];
}
interface Exception {
  from: string;
  to: string;
  why: string;
}
interface Rules {
  layers: Record<string, Layer>;
  exceptions?: Exception[];
}
interface Resolved {
  specifier?: string;
}
interface Dependency {
  specifier: string;
  code?: Resolved;
  type?: Resolved;
}
interface Graph {
  modules: { specifier: string; dependencies?: Dependency[] }[];
}

const root = fileURLToPath(new URL("..", import.meta.url));
const rules = JSON.parse(
  await Deno.readTextFile(join(root, "tools", "layers.json")),
) as Rules;
const denoJson = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
const rootUrl = pathToFileURL(root).href.replace(/\/?$/, "/");

/** The layer of a repository path: the one with the longest matching prefix. */
function layerOf(path: string): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const [name, layer] of Object.entries(rules.layers)) {
    for (const prefix of layer.paths) {
      const matches = prefix.endsWith("/")
        ? path.startsWith(prefix)
        : path === prefix;
      if (matches && prefix.length > bestLength) {
        best = name;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/** Why `from` may not import `to` (a repository path), or `undefined`. */
function fileProblem(from: string, to: string): string | undefined {
  const own = layerOf(from);
  const target = layerOf(to);
  if (own === undefined) return undefined;
  if (target === undefined) return `${to} belongs to no layer`;
  if (own === target) return undefined;
  const layer = rules.layers[own]!;
  if (layer.entrypoints !== undefined) {
    return layer.entrypoints.includes(to)
      ? undefined
      : `${own} may import only ${layer.entrypoints.join(", ")}`;
  }
  return (layer.imports ?? []).includes(target)
    ? undefined
    : `${own} may not import ${target}`;
}

/** Why `from` may not use the external module `specifier`, or `undefined`. */
function externalProblem(from: string, specifier: string): string | undefined {
  const own = layerOf(from);
  if (own === undefined) return undefined;
  const allowed = rules.layers[own]!.external ?? [];
  const ok = allowed.some((name) =>
    name.endsWith(":")
      ? specifier.startsWith(name)
      : specifier === name || specifier.startsWith(`${name}/`)
  );
  return ok ? undefined : `${own} may not import external ${specifier}`;
}

function excepted(from: string, to: string): boolean {
  return (rules.exceptions ?? []).some((e) => e.from === from && e.to === to);
}

async function graphOf(file: string): Promise<Graph> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", file],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) Deno.exit(1);
  return JSON.parse(new TextDecoder().decode(output.stdout)) as Graph;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

function repoPath(url: string): string | undefined {
  if (!url.startsWith(rootUrl)) return undefined;
  const path = relative(root, fileURLToPath(url));
  return path.startsWith("node_modules/") ? undefined : path;
}

const problems = new Set<string>();
const seen = new Set<string>();
const roots: string[] = Object.values(
  denoJson.exports as Record<string, string>,
)
  .map((path) => path.replace(/^\.\//, ""));
const all = [...await sourceFiles("src"), ...await sourceFiles("adapters")];

for (const file of [...roots, ...all]) {
  if (seen.has(file)) continue;
  const graph = await graphOf(file);
  for (const mod of graph.modules) {
    const from = repoPath(mod.specifier);
    if (from === undefined || seen.has(from)) continue;
    seen.add(from);
    for (const dep of mod.dependencies ?? []) {
      for (const resolved of [dep.code?.specifier, dep.type?.specifier]) {
        if (resolved === undefined) continue;
        const to = repoPath(resolved);
        const problem = to === undefined
          ? externalProblem(from, dep.specifier)
          : excepted(from, to)
          ? undefined
          : fileProblem(from, to);
        if (problem !== undefined) {
          problems.add(`${from} → ${to ?? dep.specifier}: ${problem}`);
        }
      }
    }
  }
}

for (const problem of problems) console.error(problem);
console.log(
  `check:layers: ${seen.size} files, ${problems.size} broken rules` +
    ` (tools/layers.json)`,
);
if (problems.size > 0) Deno.exit(1);
