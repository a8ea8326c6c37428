/**
 * Runs one example program with Deno: `deno task example <name> [args...]`
 * runs `examples/<name>/main.ts` with `-A`, passing the remaining arguments.
 * Without a name it lists the examples found.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));
const examplesDir = join(root, "examples");

async function listExamples(): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(examplesDir)) {
      if (!entry.isDirectory) continue;
      try {
        await Deno.stat(join(examplesDir, entry.name, "main.ts"));
        names.push(entry.name);
      } catch { /* a folder without main.ts is not an example */ }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

const args = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
const [name, ...rest] = args;
const examples = await listExamples();
const list = examples.length
  ? examples.map((e) => `  ${e}`).join("\n")
  : "  (none yet)";

if (!name || name === "-h" || name === "--help") {
  console.log(
    `usage: deno task example <name> [args...]\n\nexamples:\n${list}`,
  );
  Deno.exit(0);
}
if (!examples.includes(name)) {
  console.error(
    `error: unknown example "${name}" (no examples/${name}/main.ts)\n\nexamples:\n${list}`,
  );
  Deno.exit(2);
}

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", join(examplesDir, name, "main.ts"), ...rest],
  cwd: root,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
// Ctrl-C already reaches the example (same process group): only keep it from
// killing this wrapper first. A SIGTERM sent to the wrapper alone is passed on.
Deno.addSignalListener("SIGINT", () => {});
Deno.addSignalListener("SIGTERM", () => child.kill("SIGTERM"));
const status = await child.status;
Deno.exit(status.code);
