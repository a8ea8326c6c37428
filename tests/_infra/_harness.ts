// What both deploy-under-load test files share: one server per file, started
// on first use; the skip-or-fail rule when it cannot start; polling for a
// condition with a deadline; the secret-canary check on child output.
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { type Started, type TestServer, underCI } from "./_servers.ts";

/** One lazily started server, shared by a file's tests. */
export class ServerSlot {
  readonly #what: string;
  readonly #start: () => Promise<Started>;
  #started: Promise<Started> | undefined;

  constructor(what: string, start: () => Promise<Started>) {
    this.#what = what;
    this.#start = start;
  }

  /**
   * The server, or undefined after skipping the test with a clear message
   * (outside CI). Under CI (CI=true) a server that cannot start fails the
   * test: a missing server must never pass silently.
   */
  async get(t: TestContext): Promise<TestServer | undefined> {
    this.#started ??= this.#start();
    const started = await this.#started;
    if ("server" in started) return started.server;
    const message = `${this.#what} could not be started: ${started.problem}`;
    if (underCI) assert.fail(`${message} (CI=true: this counts as a failure)`);
    console.log(`SKIPPED (${t.name}): ${message}`);
    // Bun's TestContext may lack skip(); the SKIPPED line is the message then.
    (t as { skip?: (message: string) => void }).skip?.(message);
    return undefined;
  }

  /** Stops the server if one was started. */
  async stop(): Promise<void> {
    const started = await this.#started;
    if (started && "server" in started) await started.server.stop();
  }
}

/** Options of {@linkcode waitFor}. */
export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
  /** What to print on timeout, e.g. the services' output. */
  detail?: () => string;
}

/**
 * Polls `check` until it returns a value other than undefined, every
 * `everyMs`, failing with `what` (and `detail()`) after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 60_000, everyMs = 50, detail = () => "" } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Asserts that no output contains `secret`. */
export function assertNoSecret(
  secret: string,
  outputs: Array<{ name: string; output: string }>,
): void {
  for (const { name, output } of outputs) {
    assert.ok(
      !output.includes(secret),
      `${name} printed the connection password:\n${output}`,
    );
  }
}

/** Prints a measurement line the docs quote (grep "measured:"). */
export function report(what: string, fields: Record<string, unknown>): void {
  console.log(`measured: ${what} ${JSON.stringify(fields)}`);
}
