// The edge claim (SPEC section 2): the core, bundled into one ES module, loads
// and works inside Cloudflare's workerd with no compatibility flags. The test
// bundles mod.ts with Bun, serves tests/_fixtures/workerd/worker.js with the
// real workerd binary and reads the story it runs inside a request.
//
// It spawns processes, so it runs on one runtime only (Node 24); elsewhere it
// passes with a log line (not `{ skip }`, which Bun ignores).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixtures = join(root, "tests", "_fixtures", "workerd");
const bun = join(root, "node_modules", ".bin", "bun");
const workerd = join(root, "node_modules", ".bin", "workerd");
/** The bound on every wait; generous for a loaded 2-core machine. */
const WAIT_MS = 20_000;
/** Per test: above Bun's 5 s default when run as plain `bun test`. */
const TIMEOUT = { timeout: 120_000 };

const onNode24 = !("Deno" in globalThis) && !("Bun" in globalThis) &&
  process.versions.node.startsWith("24.");

/** Runs a command to the end; rejects with its output unless it exits 0. */
function run(exe: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => output += chunk);
    child.stderr.on("data", (chunk) => output += chunk);
    const timer = setTimeout(() => child.kill("SIGKILL"), WAIT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else {
        reject(
          new Error(`${exe} ${args.join(" ")}: ${code ?? signal}\n${output}`),
        );
      }
    });
  });
}

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

test(
  "the bundled core starts, dispatches, reports status and shuts down inside workerd",
  TIMEOUT,
  async () => {
    if (!onNode24) {
      const here = "Deno" in globalThis
        ? "Deno"
        : "Bun" in globalThis
        ? "Bun"
        : `Node ${process.versions.node}`;
      console.log(`workerd test: runs on Node 24 only; skipped on ${here}`);
      return;
    }
    console.log(`workerd test: ${(await run(workerd, ["--version"])).trim()}`);

    const dir = await mkdtemp(join(tmpdir(), "workerkit-workerd-"));
    let child: ReturnType<typeof spawn> | undefined;
    let log = "";
    try {
      const bundle = join(dir, "workerkit.js");
      await run(bun, [
        "build",
        "mod.ts",
        "--target=browser",
        "--format=esm",
        `--outfile=${bundle}`,
      ]);
      for (const file of ["config.capnp", "worker.js"]) {
        await copyFile(join(fixtures, file), join(dir, file));
      }

      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const spawned = spawn(workerd, [
        "serve",
        join(dir, "config.capnp"),
        `--socket-addr=http=127.0.0.1:${port}`,
      ], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      child = spawned;
      spawned.stdout.on("data", (chunk) => log += chunk);
      spawned.stderr.on("data", (chunk) => log += chunk);
      const exited = new Promise<string>((resolve) => {
        spawned.on("close", (code, signal) => resolve(`${code ?? signal}`));
        spawned.on("error", (error) => resolve(String(error)));
      });

      // Poll until it answers, bounded; stop early if workerd exits.
      const deadline = Date.now() + WAIT_MS;
      let exitedWith: string | undefined;
      void exited.then((how) => exitedWith = how);
      for (;;) {
        const pong = await fetch(`${base}/ping`, {
          signal: AbortSignal.timeout(2_000),
        }).then((r) => r.text(), () => undefined);
        if (pong === "pong") break;
        assert.equal(
          exitedWith,
          undefined,
          `workerd exited (${exitedWith})\n${log}`,
        );
        assert.ok(Date.now() < deadline, `workerd never answered\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const response = await fetch(`${base}/story`, {
        signal: AbortSignal.timeout(WAIT_MS),
      });
      const story = await response.json();
      assert.equal(response.status, 200, JSON.stringify(story, null, 2));

      for (const [name, type] of Object.entries(story.globals)) {
        const expected = name === "performanceTimeOrigin"
          ? "number"
          : "function";
        assert.equal(type, expected, `workerd global ${name}`);
      }
      assert.ok(story.clock.skewMs < 60_000, "systemClock.now() is wall time");
      const idle = { inFlight: 0, workers: 1 };
      assert.deepEqual(story.before, {
        state: "registered",
        ready: false,
        ...idle,
      });
      assert.deepEqual(story.started, {
        state: "running",
        ready: true,
        ...idle,
      });
      assert.equal(story.readinessStarted, true);
      assert.deepEqual(story.dispatch, {
        message: "refreshed",
        payload: { echo: { n: 1 }, attempt: 1, signalAborted: false },
      });
      assert.equal(story.dispatchIds.length, 2);
      for (const id of story.dispatchIds) {
        assert.match(
          id,
          /^[0-9a-f]{8}-\d+$/,
          "dispatch ids use crypto.randomUUID",
        );
      }
      assert.equal(story.deadline, "deadline_exceeded");
      assert.deepEqual(story.afterDispatch, {
        state: "running",
        ready: true,
        ...idle,
      });
      assert.deepEqual(story.stopped, {
        state: "stopped",
        ready: false,
        ...idle,
      });
      assert.equal(story.readinessStopped, false);
      assert.ok(
        Math.abs(Date.parse(story.lastTransitionAt) - Date.now()) < 3_600_000,
        `transition timestamps are wall time: ${story.lastTransitionAt}`,
      );
      assert.deepEqual(story.transitions, [
        "registered->starting",
        "starting->running",
        "running->draining",
        "draining->stopping",
        "stopping->stopped",
      ]);
      assert.deepEqual(story.lifecycle, ["start", "stop"]);
      assert.deepEqual(story.service, {
        ready: true,
        exitCode: 0,
        state: "stopped",
        log: ["start", "stop"],
      });
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((resolve) => child!.once("close", resolve));
        child.kill("SIGKILL");
        await closed;
      }
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test("no unhandled rejections", assertNoUnhandled);
