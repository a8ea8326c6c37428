// Real process signals on every runtime: the test spawns
// tests/_fixtures/service.ts on the runtime it runs on, with that runtime's
// adapter, and signals it. No timing assertions: every wait is only bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixture = fileURLToPath(
  new URL("./_fixtures/service.ts", import.meta.url),
);
/** The bound on every wait; generous for a loaded 2-core machine. */
const WAIT_MS = 20_000;
/** Per test: above Bun's 5 s default when run as plain `bun test`. */
const TIMEOUT = { timeout: 120_000 };

/** The part of the `Deno` global this file uses. */
interface DenoGlobal {
  execPath(): string;
}

/** The same runtime as this test process, with the arguments to run a file. */
function sameRuntime(): { exe: string; args: string[] } {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (deno) return { exe: deno.execPath(), args: ["run", "-A"] };
  // Bun and Node (22 and 24 strip types natively) run .ts files as they are.
  return { exe: process.execPath, args: [] };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running fixture service and what it printed so far. */
class Service {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  #partial = "";
  #waiters = new Set<() => void>();

  constructor(args: string[] = []) {
    const { exe, args: runArgs } = sameRuntime();
    this.child = spawn(exe, [...runArgs, fixture, ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => {
      const parts = (this.#partial + chunk).split("\n");
      this.#partial = parts.pop()!;
      this.lines.push(...parts.map((line) => line.trimEnd()));
      this.#wake();
    });
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        if (this.#partial) this.lines.push(this.#partial.trimEnd());
        this.#partial = "";
        this.#exit = { code, signal };
        this.#wake();
        resolve(this.#exit);
      });
    });
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** What the service printed, for assertion messages. */
  get transcript(): string {
    return `stdout:\n${this.lines.join("\n")}\nstderr:\n${this.stderr}`;
  }

  /** Resolves with the first line that starts with `prefix`. */
  line(prefix: string): Promise<string> {
    return this.#until(`a line "${prefix}..."`, () => {
      return this.lines.find((line) => line.startsWith(prefix));
    });
  }

  /** Resolves with how the process ended. */
  exit(): Promise<Exit> {
    return this.#until("the process to exit", () => this.#exit);
  }

  /**
   * Sends `signal` to the service. Through `process.kill`, not
   * `child.kill`: Deno's `child.kill` sends only one signal per child
   * (denoland/deno#36643) and then reports that signal as the exit cause.
   */
  signal(signal: NodeJS.Signals): void {
    assert.ok(this.alive, `the service ended early\n${this.transcript}`);
    process.kill(this.child.pid!, signal);
  }

  /** Kills the service if it still runs and waits for it to end. */
  async dispose(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.exited;
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Waits until `found` returns a value, the process ends, or WAIT_MS. */
  #until<T>(what: string, found: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (why: string): void => {
        done();
        reject(new Error(`${why} waiting for ${what}\n${this.transcript}`));
      };
      const check = (): void => {
        const value = found();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (!this.alive) {
          fail("the service exited");
        }
      };
      const timer = setTimeout(() => fail("timed out"), WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/** Fetches `path` and reads the whole body. */
async function get(
  base: URL,
  path: string,
): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL(path, base), {
    signal: AbortSignal.timeout(WAIT_MS),
  });
  return { status: response.status, body: await response.text() };
}

test(
  "SIGTERM drains in-flight HTTP and commands, stops workers in reverse order and exits 0",
  TIMEOUT,
  async () => {
    const service = new Service();
    try {
      const url = new URL((await service.line("LISTENING ")).split(" ")[1]!);
      assert.deepEqual(await get(url, "/ok"), { status: 200, body: "ok" });

      const slow = get(url, "/slow");
      const dispatched = get(url, "/dispatch");
      // Both have reached the service before it is signalled.
      await service.line("SLOW_BEGIN");
      await service.line("DISPATCH_BEGIN");
      service.signal("SIGTERM");

      assert.deepEqual(await slow, { status: 200, body: "slow done" });
      assert.deepEqual(await dispatched, {
        status: 200,
        body: "slow command done",
      });
      assert.deepEqual(
        await service.exit(),
        { code: 0, signal: null },
        service.transcript,
      );

      const events = service.lines.filter((line) =>
        /^(start:|stop:|SLOW_END|DISPATCH_END|SHUTDOWN_BEGIN|EXIT)/.test(line)
      );
      const at = (line: string): number => events.indexOf(line);
      assert.deepEqual(
        events.filter((line) => /^(start|stop):/.test(line)),
        ["start:a", "start:b", "start:c", "stop:c", "stop:b", "stop:a"],
        service.transcript,
      );
      // The in-flight work outlived the signal and finished before any worker stopped.
      assert.ok(at("SHUTDOWN_BEGIN") < at("SLOW_END"), service.transcript);
      assert.ok(at("SHUTDOWN_BEGIN") < at("DISPATCH_END"), service.transcript);
      assert.ok(at("SLOW_END") < at("stop:c"), service.transcript);
      assert.ok(at("DISPATCH_END") < at("stop:c"), service.transcript);
      assert.equal(events.at(-1), "EXIT 0", service.transcript);
    } finally {
      await service.dispose();
    }
  },
);

test(
  "a second SIGTERM while shutdown waits exits at once with code 130",
  TIMEOUT,
  async () => {
    const service = new Service(["--shutdown-delay=10000"]);
    try {
      await service.line("LISTENING ");
      service.signal("SIGTERM");
      // The first signal was handled: the service now sits in its shutdownDelay.
      await service.line("SHUTDOWN_BEGIN");
      service.signal("SIGTERM");
      assert.deepEqual(
        await service.exit(),
        { code: 130, signal: null },
        service.transcript,
      );
      assert.deepEqual(
        service.lines.filter((line) => /^(stop:|EXIT)/.test(line)),
        [],
        `no worker stopped and runService() never returned\n${service.transcript}`,
      );
    } finally {
      await service.dispose();
    }
  },
);

test("SIGINT begins the same graceful shutdown", TIMEOUT, async () => {
  const service = new Service();
  try {
    await service.line("LISTENING ");
    service.signal("SIGINT");
    assert.deepEqual(
      await service.exit(),
      { code: 0, signal: null },
      service.transcript,
    );
    assert.deepEqual(
      service.lines.filter((line) => /^(stop:|EXIT)/.test(line)),
      ["stop:c", "stop:b", "stop:a", "EXIT 0"],
      service.transcript,
    );
  } finally {
    await service.dispose();
  }
});

test("no unhandled rejections", assertNoUnhandled);
