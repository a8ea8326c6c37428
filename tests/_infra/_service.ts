// Runs an example service as a child process on the runtime the test runs on
// (Deno, Node or Bun), watches its JSON-lines log for the ops URL, waits on
// /readyz, and ends it with a real SIGTERM (timed) or SIGKILL.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The part of the `Deno` global this file uses. */
interface DenoGlobal {
  execPath(): string;
}

/** The same runtime as this test process, with the arguments to run a file. */
function sameRuntime(): { exe: string; args: string[] } {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (deno) return { exe: deno.execPath(), args: ["run", "-A"] };
  return { exe: process.execPath, args: [] };
}

/** The runtime's name, for messages and measurements. */
export function runtimeName(): string {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno) return "deno";
  if (g.Bun) return "bun";
  return `node${process.versions.node.split(".")[0]}`;
}

/** How a service process ended. */
export interface Exit {
  code: number | null;
  signal: string | null;
}

/** One running example service. */
export class Service {
  readonly name: string;
  readonly #child: ChildProcess;
  #stdout = "";
  #stderr = "";
  #url: URL | undefined;
  #urlWaiters: Array<(url: URL) => void> = [];
  readonly exited: Promise<Exit>;

  constructor(example: string, name: string, env: Record<string, string>) {
    this.name = name;
    const { exe, args } = sameRuntime();
    const childEnv: Record<string, string | undefined> = { ...process.env };
    for (const key of Object.keys(childEnv)) {
      if (key.startsWith("OTEL_")) delete childEnv[key];
    }
    this.#child = spawn(
      exe,
      [...args, join("examples", example, "main.ts")],
      {
        cwd: root,
        env: { ...childEnv, NO_COLOR: "1", PORT: "0", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.#child.stdout!.setEncoding("utf8");
    this.#child.stderr!.setEncoding("utf8");
    this.#child.stdout!.on("data", (chunk: string) => this.#onStdout(chunk));
    this.#child.stderr!.on("data", (chunk: string) => (this.#stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.#child.on("error", (error) => {
        this.#stderr += `\nspawn failed: ${String(error)}`;
      });
      this.#child.on("close", (code, signal) => resolve({ code, signal }));
    });
  }

  #onStdout(chunk: string): void {
    const before = this.#stdout.length;
    this.#stdout += chunk;
    if (this.#url) return;
    // Lines are JSON; the shell logs { properties: { url } } once it serves.
    const lines = this.#stdout.slice(Math.max(0, before - 4096)).split("\n");
    for (const line of lines) {
      const url = /"url":"(http:[^"]+)"/.exec(line)?.[1];
      if (!url) continue;
      this.#url = new URL(url);
      for (const waiter of this.#urlWaiters.splice(0)) waiter(this.#url);
      return;
    }
  }

  /** Everything the process printed so far. */
  get output(): string {
    return `--- ${this.name} stdout\n${this.#stdout}\n--- ${this.name} stderr\n${this.#stderr}`;
  }

  /** Resolves once /readyz answers 200; rejects if the process ends first. */
  async ready(timeoutMs = 60_000): Promise<URL> {
    const deadline = performance.now() + timeoutMs;
    const url = await this.#race(
      new Promise<URL>((resolve) => {
        if (this.#url) resolve(this.#url);
        else this.#urlWaiters.push(resolve);
      }),
      deadline,
    );
    while (performance.now() < deadline) {
      const status = await this.#race(
        fetch(new URL("/readyz", url)).then(async (response) => {
          await response.body?.cancel();
          return response.status;
        }, () => 0),
        deadline,
      );
      if (status === 200) return url;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `${this.name} was not ready in ${timeoutMs} ms\n${this.output}`,
    );
  }

  /** `promise`, unless the process exits (or the deadline passes) first. */
  async #race<T>(promise: Promise<T>, deadline: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exitedFirst = this.exited.then((exit) => {
      throw new Error(
        `${this.name} exited (code ${exit.code}, signal ${exit.signal}) before it was ready\n${this.output}`,
      );
    });
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} timed out\n${this.output}`)),
        Math.max(0, deadline - performance.now()),
      );
    });
    try {
      return await Promise.race([promise, exitedFirst, late]);
    } finally {
      clearTimeout(timer);
      exitedFirst.catch(() => {});
    }
  }

  /**
   * Sends a real signal. Through `process.kill`, not `child.kill`: Deno's
   * `child.kill` reports the signal it sent as the exit cause even when the
   * child handled it (denoland/deno#36643).
   */
  #send(signal: "SIGTERM" | "SIGKILL"): void {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      return;
    }
    try {
      process.kill(this.#child.pid!, signal);
    } catch { /* already gone */ }
  }

  /** Sends SIGTERM and waits for the exit; returns it with the time taken. */
  async terminate(): Promise<Exit & { ms: number }> {
    const sent = performance.now();
    this.#send("SIGTERM");
    const exit = await this.exited;
    return { ...exit, ms: performance.now() - sent };
  }

  /** Sends SIGKILL and waits for the process to be gone. */
  async kill(): Promise<Exit> {
    this.#send("SIGKILL");
    return await this.exited;
  }

  /** Kills the process if it still runs (test cleanup). */
  async dispose(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      await this.kill();
    }
  }

  /** The HTTP status of GET `path` on the ops server (0 when unreachable). */
  async probe(path: "/readyz" | "/livez"): Promise<number> {
    try {
      const response = await fetch(new URL(path, this.#url));
      await response.body?.cancel();
      return response.status;
    } catch {
      return 0;
    }
  }

  /** POSTs a command through the ops router. */
  async dispatch(
    token: string,
    worker: string,
    name: string,
    payload?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(
      new URL("/admin/commands/dispatch", this.#url),
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify(
          payload === undefined ? { worker, name } : { worker, name, payload },
        ),
      },
    );
    return { status: response.status, body: await response.json() };
  }
}
