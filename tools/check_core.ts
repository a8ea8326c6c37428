/**
 * Proves the core is web-standard: type-checks the core entrypoints with
 * `tools/core.check.json` (lib `esnext` + `dom`, no Deno, Node or Bun types, no
 * import map), then walks their module graph and fails on any module that is
 * not a local file of this repository (`node:`, `npm:`, `jsr:`, `https:` ...).
 *
 * `deno task check:core` checks the exports ".", "./retry" and "./ops" (what exists of
 * them); `deno task check:core src/base/clock.ts ...` checks the given files.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));
const config = join(root, "tools", "core.check.json");
/** The exports that make up the core; the optional integrations are not in it. */
const CORE_EXPORTS = [".", "./retry", "./ops"];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(join(root, path));
    return true;
  } catch {
    return false;
  }
}

async function coreEntrypoints(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const exports: Record<string, string> = denoJson.exports ?? {};
  const entries = CORE_EXPORTS.flatMap((key) => exports[key] ?? []);
  const found: string[] = [];
  for (const entry of entries) if (await exists(entry)) found.push(entry);
  return found;
}

function deno(args: string[], stdout: "inherit" | "piped" = "inherit") {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdin: "null",
    stdout,
    stderr: "inherit",
  }).output();
}

const args = Deno.args.filter((a) => a !== "--");
const files = args.length ? args : await coreEntrypoints();
if (files.length === 0) {
  console.log(
    `check:core: skipped, none of the core exports (${
      CORE_EXPORTS.join(", ")
    }) exists yet`,
  );
  Deno.exit(0);
}

const checked = await deno(["check", "--config", config, ...files]);
if (!checked.success) Deno.exit(1);

const inRepo = pathToFileURL(root).href;
const problems: string[] = [];
for (const file of files) {
  const info = await deno(
    ["info", "--json", "--config", config, file],
    "piped",
  );
  if (!info.success) Deno.exit(1);
  type Resolved = { specifier?: string };
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { specifier: string; code?: Resolved; type?: Resolved }[];
    }[];
  };
  for (const mod of graph.modules) {
    for (const dep of mod.dependencies ?? []) {
      // Value imports resolve under "code", type-only imports under "type".
      const targets = [dep.code?.specifier, dep.type?.specifier].filter((t) =>
        t !== undefined
      );
      for (const target of targets.length ? targets : [dep.specifier]) {
        if (!target.startsWith(inRepo) || target.includes("/node_modules/")) {
          problems.push(
            `${mod.specifier.replace(inRepo, "")} imports "${dep.specifier}"`,
          );
        }
      }
    }
  }
}
if (problems.length) {
  console.error(
    "error: the core must import only its own files (web-standard, dependency-free):",
  );
  for (const p of new Set(problems)) console.error(`  ${p}`);
  Deno.exit(1);
}
console.log(
  `check:core: ok (${
    files.join(", ")
  }: web-standard types, local imports only)`,
);
