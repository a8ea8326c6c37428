// Real process signals on every runtime: the test spawns a fixture service
// on the runtime it runs on — tests/_fixtures/service.ts (HTTP, through the
// serve entry) or tests/_fixtures/worker_service.ts (workers only) — and
// signals it. Together they pin the exit codes of docs/production.md: 0
// clean, 1 budget exceeded or fail-runtime, 130/143 forced by a second
// SIGINT/SIGTERM. No timing assertions: every wait is only bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { ShutdownEvent } from "../mod.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const httpFixture = fileURLToPath(
  new URL("./_fixtures/service.ts", import.meta.url),
);
const workerFixture = fileURLToPath(
  new URL("./_fixtures/worker_service.ts", import.meta.url),
);
const importFixture = fileURLToPath(
  new URL("./_fixtures/import_all.ts", import.meta.url),
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

  constructor(args: string[] = [], fixture = httpFixture) {
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

  /** The shutdown event the service printed. */
  async report(): Promise<ShutdownEvent> {
    const line = await this.line("SHUTDOWN {");
    return JSON.parse(line.slice("SHUTDOWN ".length)) as ShutdownEvent;
  }

  /** Asserts that the process ends with exit code `code`, not by a signal. */
  async assertExit(code: number): Promise<void> {
    assert.deepEqual(
      await this.exit(),
      { code, signal: null },
      this.transcript,
    );
  }

  /** The `stop:x` and `EXIT` lines so far, in order. */
  get stopsAndExit(): string[] {
    return this.lines.filter((line) => /^(stop:|EXIT)/.test(line));
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
      await service.assertExit(0);

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

for (
  const [name, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const
) {
  test(
    `a second ${name} while shutdown waits exits at once with code ${code}`,
    TIMEOUT,
    async () => {
      const service = new Service(["--shutdown-delay=10000"]);
      try {
        await service.line("LISTENING ");
        service.signal(name);
        // The first signal was handled: the service now sits in its shutdownDelay.
        await service.line("SHUTDOWN_BEGIN");
        // A second SIGINT within 250 ms counts as the same Ctrl-C delivered
        // twice (terminal and task runner), so the operator's comes later.
        if (name === "SIGINT") await pause(400);
        service.signal(name);
        await service.assertExit(code);
        assert.deepEqual(
          service.stopsAndExit,
          [],
          `no worker stopped and runService() never returned\n${service.transcript}`,
        );
      } finally {
        await service.dispose();
      }
    },
  );
}

test("SIGINT begins the same graceful shutdown", TIMEOUT, async () => {
  const service = new Service();
  try {
    await service.line("LISTENING ");
    service.signal("SIGINT");
    await service.assertExit(0);
    assert.deepEqual(
      service.stopsAndExit,
      ["stop:c", "stop:b", "stop:a", "EXIT 0"],
      service.transcript,
    );
  } finally {
    await service.dispose();
  }
});

test(
  "a client with a half-sent body does not hold shutdown: its connection gets the server's share, the workers theirs, exit 0",
  TIMEOUT,
  async () => {
    // A 4 s budget: the server's share is 1 s, then it is forced.
    const service = new Service(["--shutdown-timeout=4000"]);
    const socket = connect(
      Number(new URL((await service.line("LISTENING ")).split(" ")[1]!).port),
      "127.0.0.1",
    );
    socket.on("error", () => {});
    try {
      socket.write(
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n" +
          "Content-Length: 100000\r\n\r\nonly the start",
      );
      await service.line("UPLOAD_BEGIN");
      service.signal("SIGTERM");
      await service.assertExit(0);
      const report = await service.report();
      assert.equal(report.forcedClose, true, service.transcript);
      assert.deepEqual(report.unstopped, [], service.transcript);
      assert.ok(report.phases.server < 4_000, service.transcript);
      assert.deepEqual(
        service.stopsAndExit,
        ["stop:c", "stop:b", "stop:a", "EXIT 0"],
        service.transcript,
      );
    } finally {
      socket.destroy();
      await service.dispose();
    }
  },
);

test(
  "an idle worker-only service stays up until SIGTERM, then exits 0 on its own",
  TIMEOUT,
  async () => {
    const service = new Service([], workerFixture);
    try {
      // IDLE comes from the service's last timer; an early exit (Node's
      // "unsettled top-level await", code 13) would follow it at once.
      await service.line("IDLE");
      service.signal("SIGTERM");
      // The fixture never calls exit: nothing of runService may keep it up.
      await service.assertExit(0);
      assert.deepEqual(
        service.stopsAndExit,
        ["stop:critical", "stop:ingest", "EXIT 0"],
        service.transcript,
      );
      assert.equal((await service.report()).exitCode, 0);
    } finally {
      await service.dispose();
    }
  },
);

test(
  "a worker that does not stop within the budget exits 1, and the report names it",
  TIMEOUT,
  async () => {
    const service = new Service(
      ["--hang-stop", "--shutdown-timeout=1000"],
      workerFixture,
    );
    try {
      await service.line("IDLE");
      service.signal("SIGTERM");
      // Its stop never settles, yet the process ends on its own.
      await service.assertExit(1);
      const report = await service.report();
      assert.deepEqual(report.unstopped, ["idle/stuck"], service.transcript);
      assert.equal(report.problem, "deadline_exceeded");
      assert.ok(service.lines.includes("stop:ingest"), service.transcript);
    } finally {
      await service.dispose();
    }
  },
);

test(
  "a fail-runtime worker that fails ends the service with exit 1, no signal needed",
  TIMEOUT,
  async () => {
    const service = new Service(["--fail"], workerFixture);
    try {
      await service.assertExit(1);
      const report = await service.report();
      assert.equal(report.trigger, "fail-runtime", service.transcript);
      assert.deepEqual(report.unstopped, []);
    } finally {
      await service.dispose();
    }
  },
);

test(
  "importing every entrypoint installs no signal handler and leaves no timer",
  TIMEOUT,
  async () => {
    const idle = new Service([], importFixture);
    try {
      await idle.line("IMPORTED");
      // Nothing keeps it: it ends by itself.
      await idle.assertExit(0);
    } finally {
      await idle.dispose();
    }
    const held = new Service(["--wait"], importFixture);
    try {
      await held.line("IMPORTED");
      held.signal("SIGTERM");
      // No handler: SIGTERM's default action ends it.
      assert.deepEqual(
        await held.exit(),
        { code: null, signal: "SIGTERM" },
        held.transcript,
      );
    } finally {
      await held.dispose();
    }
  },
);

/** Waits `ms` of real time (a precondition, never a measurement). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test("no unhandled rejections", assertNoUnhandled);
