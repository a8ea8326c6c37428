/**
 * Finds Prometheus' `promtool`, which `tests/prometheus_metrics.test.ts`
 * runs to validate a scrape of the ops router's `/metrics`
 * (`promtool check metrics`). `PROMTOOL_PATH`, else `promtool` on the PATH,
 * else the copy this script unpacked before. When none is there and this
 * runs as root with `apt-get`, it takes the binary out of Debian's
 * `prometheus` package without installing it (`apt-get download` +
 * `dpkg -x` into a cache folder), so no Prometheus server is set up or
 * started.
 *
 *   deno run -A tools/promtool.ts     prints the path, installing if needed
 *
 * @module
 */
import { delimiter, join } from "node:path";

/** Where the unpacked package lives (kept across `npm ci`). */
export const PROMTOOL_CACHE: string = join(
  Deno.env.get("XDG_CACHE_HOME") ??
    join(Deno.env.get("HOME") ?? "/tmp", ".cache"),
  "workerkit-promtool",
);
const CACHED = join(PROMTOOL_CACHE, "root", "usr", "bin", "promtool");

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function findPromtool(): Promise<string | undefined> {
  const given = Deno.env.get("PROMTOOL_PATH");
  if (given) return (await isFile(given)) ? given : undefined;
  const dirs = (Deno.env.get("PATH") ?? "").split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    if (await isFile(join(dir, "promtool"))) return join(dir, "promtool");
  }
  return (await isFile(CACHED)) ? CACHED : undefined;
}

/** Finds promtool, unpacking Debian's package when root with apt-get. */
export async function promtool(): Promise<{ path?: string; problem?: string }> {
  const found = await findPromtool();
  if (found) return { path: found };
  if (Deno.env.get("PROMTOOL_PATH")) {
    return {
      problem: `PROMTOOL_PATH=${Deno.env.get("PROMTOOL_PATH")} is not a file`,
    };
  }
  if (Deno.uid() !== 0 || !(await isFile("/usr/bin/apt-get"))) {
    return {
      problem: "promtool not found (set PROMTOOL_PATH, or put Prometheus' " +
        "promtool on the PATH)",
    };
  }
  console.log(
    `\n━━━ promtool: unpacking Debian's prometheus package into ${PROMTOOL_CACHE} ━━━`,
  );
  await Deno.mkdir(PROMTOOL_CACHE, { recursive: true });
  const script = "set -e; rm -f prometheus_*.deb; " +
    "apt-get download -qq prometheus 2>/dev/null || " +
    "{ apt-get update -qq && apt-get download -qq prometheus; }; " +
    "dpkg -x prometheus_*.deb root; rm -f prometheus_*.deb";
  const unpack = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: PROMTOOL_CACHE,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (await isFile(CACHED)) return { path: CACHED };
  return {
    problem: `promtool could not be unpacked (exit code ${unpack.code})`,
  };
}

if (import.meta.main) {
  const found = await promtool();
  if (!found.path) {
    console.error(found.problem);
    Deno.exit(1);
  }
  console.log(found.path);
}
