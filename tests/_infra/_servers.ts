// Starts throwaway Redis and PostgreSQL servers from Debian's packages for
// the infrastructure tests: loopback only, a free port, a temporary
// directory, a random password, stopped (and the directory removed) by
// `stop()`. PostgreSQL refuses to run as root, so as root its tools run as
// the `postgres` user through `runuser`.
//
// A server that cannot be started is not an error here: the caller gets
// `{ problem }` and decides (skip locally, fail under CI=true).
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** A running server: where to connect and how to stop it. */
export interface TestServer {
  /** Connection URL, password included: never print it. */
  url: string;
  /** The password inside `url`, so tests can assert it never leaks. */
  password: string;
  /** The port on 127.0.0.1. */
  port: number;
  /** Stops the server process, keeping its directory and port (an outage). */
  down(): Promise<void>;
  /** Starts it again on the same port after `down()`. */
  up(): Promise<void>;
  /** Stops it for good and removes its directory. */
  stop(): Promise<void>;
}

/** A started server, or why there is none. */
export type Started = { server: TestServer } | { problem: string };

/** Whether the suite runs under CI, where a missing server fails. */
export const underCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");

/** A port nothing listens on right now (the kernel's pick, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function randomSecret(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

interface Ran {
  code: number | null;
  output: string;
}

/** Runs a command to its end, collecting stdout and stderr. */
function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => (output += `\n${String(error)}`));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Servers still running, each with a synchronous last-resort stop. */
const leftovers = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Stops `server` synchronously when the test process exits with it still
 * running — a run whose filter skipped the stop test, or a test that threw
 * before it. Node and Bun emit `exit`; `deno test` only `unload`. Returns
 * the deregistration, for a normal stop.
 */
function stopAtExit(stopNow: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    const stopAll = (): void => {
      for (const stop of [...leftovers]) {
        leftovers.delete(stop);
        try {
          stop();
        } catch { /* exiting anyway */ }
      }
    };
    process.on("exit", stopAll);
    globalThis.addEventListener?.("unload", stopAll);
  }
  leftovers.add(stopNow);
  return () => leftovers.delete(stopNow);
}

// ── Redis ─────────────────────────────────────────────────────────────────

/** Where `redis-server` is: the PATH, else /usr/bin; undefined if nowhere. */
export function redisServerPath(): string | undefined {
  return onPath("redis-server") ??
    (existsSync("/usr/bin/redis-server") ? "/usr/bin/redis-server" : undefined);
}

/** Starts `redis-server` with a password on 127.0.0.1, no persistence. */
export async function startRedis(): Promise<Started> {
  const exe = redisServerPath();
  if (!exe) {
    return {
      problem: "redis-server not found (apt-get install redis-server)",
    };
  }
  let last = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = await startRedisOnce(exe);
    if ("server" in started) return started;
    last = started.problem;
  }
  return { problem: last };
}

/** One redis-server process on a config file; resolves once it listens. */
async function spawnRedis(
  exe: string,
  config: string,
): Promise<{ stop(): Promise<void>; kill(): void } | { problem: string }> {
  const child = spawn(exe, [config], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 15_000);
    const onData = (chunk: unknown): void => {
      output += String(chunk);
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on("error", (error) => {
      output += String(error);
      clearTimeout(timer);
      resolve(false);
    });
  });
  const exited = new Promise<void>((resolve) => child.on("exit", resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.ref(); // keep the process alive until the server is gone
      child.kill("SIGTERM");
      await exited;
    }
  };
  if (await ready) {
    // A server the tests forgot must not keep the test process alive: the
    // exit hook stops it then.
    child.unref();
    for (const pipe of [child.stdout, child.stderr]) {
      (pipe as { unref?: () => void } | null)?.unref?.();
    }
    return { stop, kill: () => child.kill("SIGKILL") };
  }
  await stop();
  return { problem: lastLines(output) };
}

async function startRedisOnce(exe: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), "workerkit-redis-"));
  const port = await freePort();
  const password = randomSecret();
  // The password goes in a config file, not argv: `ps` shows argv.
  const config = join(dir, "redis.conf");
  writeFileSync(
    config,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      'save ""',
      "appendonly no",
      `requirepass ${password}`,
      "protected-mode yes",
    ].join("\n"),
    { mode: 0o600 },
  );
  let running = await spawnRedis(exe, config);
  if ("problem" in running) {
    rmSync(dir, { recursive: true, force: true });
    return {
      problem: `redis-server did not start on port ${port}: ${running.problem}`,
    };
  }
  const forget = stopAtExit(() => {
    if (!("problem" in running)) running.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    server: {
      url: `redis://:${password}@127.0.0.1:${port}/0`,
      password,
      port,
      async down() {
        if (!("problem" in running)) await running.stop();
      },
      async up() {
        running = await spawnRedis(exe, config);
        if ("problem" in running) {
          throw new Error(`redis-server did not restart: ${running.problem}`);
        }
      },
      async stop() {
        if (!("problem" in running)) await running.stop();
        rmSync(dir, { recursive: true, force: true });
        forget();
      },
    },
  };
}

// ── PostgreSQL ────────────────────────────────────────────────────────────

/** The directory of `initdb` / `pg_ctl`: Debian's newest, else the PATH. */
export function postgresBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, "bin", "pg_ctl")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], "bin");
  }
  const pgCtl = onPath("pg_ctl");
  return pgCtl ? pgCtl.slice(0, -"/pg_ctl".length) : undefined;
}

/** Runs a PostgreSQL tool, as the `postgres` user when this is root. */
function asPostgres(exe: string, args: string[]): Promise<Ran> {
  return isRoot
    ? run("runuser", ["-u", "postgres", "--", exe, ...args])
    : run(exe, args);
}

/**
 * Initialises a cluster in a temporary directory and starts it on
 * 127.0.0.1 with durability off (a test server: speed over crash safety).
 */
export async function startPostgres(): Promise<Started> {
  const bin = postgresBin();
  if (!bin) {
    return {
      problem: "PostgreSQL not found (apt-get install postgresql)",
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "workerkit-pg-"));
  const data = join(dir, "data");
  const password = randomSecret();
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (isRoot) {
    const pg = await userIds("postgres");
    if (!pg) {
      rmSync(dir, { recursive: true, force: true });
      return { problem: "no postgres user to run PostgreSQL as (not root)" };
    }
    chownSync(dir, pg.uid, pg.gid);
    chownSync(pwfile, pg.uid, pg.gid);
    chmodSync(dir, 0o700);
  }
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const init = await asPostgres(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "workerkit",
    "-A",
    "scram-sha-256",
    `--pwfile=${pwfile}`,
    "-E",
    "UTF8",
    "--no-sync",
    "--no-instructions",
  ]);
  rmSync(pwfile, { force: true });
  if (init.code !== 0) {
    removeDir();
    return { problem: `initdb failed: ${lastLines(init.output)}` };
  }
  let last = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      "-h 127.0.0.1",
      `-k ${dir}`,
      "-F", // fsync off
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
      "-c max_connections=60",
    ].join(" ");
    const log = join(dir, `log-${attempt}`);
    const start = await asPostgres(join(bin, "pg_ctl"), [
      "-D",
      data,
      "-l",
      log,
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
    if (start.code === 0) {
      const pgCtl = (...args: string[]) =>
        asPostgres(join(bin, "pg_ctl"), ["-D", data, ...args]);
      const down = async (): Promise<void> => {
        await pgCtl("-m", "fast", "-w", "stop");
      };
      const forget = stopAtExit(() => {
        const stopArgs = ["-D", data, "-m", "immediate", "stop"];
        const pgCtlPath = join(bin, "pg_ctl");
        if (isRoot) {
          spawnSync("runuser", [
            "-u",
            "postgres",
            "--",
            pgCtlPath,
            ...stopArgs,
          ]);
        } else {
          spawnSync(pgCtlPath, stopArgs);
        }
        removeDir();
      });
      return {
        server: {
          url: `postgres://workerkit:${password}@127.0.0.1:${port}/postgres`,
          password,
          port,
          down,
          async up() {
            const again = await pgCtl("-l", log, "-o", options, "-w", "start");
            if (again.code !== 0) {
              throw new Error(
                `PostgreSQL did not restart: ${lastLines(again.output)}`,
              );
            }
          },
          async stop() {
            await down();
            removeDir();
            forget();
          },
        },
      };
    }
    last = lastLines(start.output);
  }
  removeDir();
  return { problem: `PostgreSQL did not start: ${last}` };
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-3).join(" | ");
}

/** The uid and gid of a local user, read with `id`. */
async function userIds(
  user: string,
): Promise<{ uid: number; gid: number } | undefined> {
  const [uid, gid] = await Promise.all([
    run("id", ["-u", user]),
    run("id", ["-g", user]),
  ]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) };
}
