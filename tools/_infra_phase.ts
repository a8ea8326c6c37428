/**
 * The infrastructure phases of `tools/test.ts`: the deploy-under-load tests
 * in `tests/_infra/` (real `redis-server` and PostgreSQL, started and
 * stopped by the tests themselves on loopback) on Deno, Node 24 and Bun, as
 * `infra-deno`, `infra-node24` and `infra-bun` (`deno task test infra` runs
 * the three). The normal runtime phases never see these files: folders
 * starting with `_` hold no test files for them.
 *
 * Before the first of these phases, Debian's `redis-server` and
 * `postgresql` packages are installed when missing and this runs as root
 * with apt-get. Whatever is still missing then is the tests' to report:
 * each skips with a clear message, and fails under CI=true.
 *
 * @module
 */
import { join, relative } from "node:path";
import { postgresBin, redisServerPath } from "../tests/_infra/_servers.ts";

/** The runtimes the infra tests run on, by their names in tools/test.ts. */
const INFRA_RUNTIMES = ["deno", "node24", "bun"];

/** What tools/test.ts knows about a phase (only what is used here). */
interface Phase {
  name: string;
}

/**
 * The infra phases, one per runtime in {@linkcode INFRA_RUNTIMES}: copies
 * of those runtimes named `infra-<name>` and marked `infra: true`.
 */
export function infraPhases<T extends Phase>(
  runtimes: T[],
): Array<T & { infra: true }> {
  return INFRA_RUNTIMES.flatMap((name) => {
    const runtime = runtimes.find((r) => r.name === name);
    return runtime
      ? [{ ...runtime, name: `infra-${name}`, infra: true as const }]
      : [];
  });
}

/** `infra` on the command line means all infra phases. */
export const INFRA_ALIAS: [string, string[]] = [
  "infra",
  INFRA_RUNTIMES.map((name) => `infra-${name}`),
];

/** `tests/_infra/*.test.ts`, sorted, kept by the same filters as the rest. */
export async function infraTestFiles(
  root: string,
  filters: string[],
): Promise<string[]> {
  const dir = join(root, "tests", "_infra");
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".test.ts")) {
        files.push(relative(root, join(dir, entry.name)));
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
}

let prepared: Promise<void> | undefined;

/**
 * Installs `redis-server` and `postgresql` from Debian when missing (once
 * per run; root with apt-get only). Never throws: a server that is still
 * missing makes the tests skip (or fail under CI) with their own message.
 */
export function prepareInfra(): Promise<void> {
  prepared ??= install();
  return prepared;
}

function missingPackages(): string[] {
  const missing: string[] = [];
  if (!redisServerPath()) missing.push("redis-server");
  if (!postgresBin()) missing.push("postgresql");
  return missing;
}

async function install(): Promise<void> {
  const missing = missingPackages();
  if (!missing.length) return;
  let canInstall = Deno.uid() === 0;
  try {
    canInstall &&= (await Deno.stat("/usr/bin/apt-get")).isFile;
  } catch {
    canInstall = false;
  }
  if (!canInstall) {
    console.error(
      `infra: ${missing.join(" and ")} missing and not root with apt-get: ` +
        `install ${missing.join(" ")} to run these tests`,
    );
    return;
  }
  console.log(`\n━━━ infra: installing ${missing.join(" ")} (apt-get) ━━━`);
  const result = await new Deno.Command("bash", {
    args: [
      "-c",
      `apt-get update -qq && apt-get install -y -qq ${missing.join(" ")}`,
    ],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const still = missingPackages();
  if (still.length) {
    console.error(
      `infra: ${
        still.join(" and ")
      } still missing (apt-get exit code ${result.code})`,
    );
  }
}
