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
import { externalProblem, fileProblem, type Rules } from "./_layer_rules.ts";

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
          ? externalProblem(rules, from, dep.specifier)
          : excepted(from, to)
          ? undefined
          : fileProblem(rules, from, to);
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
