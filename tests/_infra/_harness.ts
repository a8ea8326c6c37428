// What both deploy-under-load test files share: one server per file, started
// on first use; the skip-or-fail rule when it cannot start; polling for a
// condition with a deadline; the secret-canary check on child output.
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { type Started, type TestServer, underCI } from "./_servers.ts";
import { Service } from "./_service.ts";

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
      assert.fail(
        `timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`,
      );
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

/** A deploy test's view of one example service and its backend. */
export interface DeployPlan {
  /** Messages or jobs enqueued. */
  total: number;
  /** Starts the service as pod `name`. */
  start(name: string): Service;
  /** How many have been handled so far. */
  handled(): Promise<number>;
  /** Whether every one is handled and acknowledged. */
  finished(): Promise<boolean>;
  /** What pod `name` holds unacknowledged (its in-flight work). */
  held(name: string): Promise<string[]>;
  /** The SIGTERM exit budget, ms. */
  exitBoundMs: number;
  /** The services' output, for failure messages. */
  detail(): string;
  /** Runs once pod-1 is ready, e.g. to call its commands. */
  firstReady?(service: Service): Promise<void>;
}

/** What a deploy run measured. */
export interface DeployRun {
  /** SIGTERM-to-exit time of each graceful stop, ms. */
  shutdownMs: number[];
  /** What the SIGKILLed pod held when it died. */
  inFlightAtKill: Set<string>;
  /** From the first start to everything acknowledged. */
  seconds: number;
}

/**
 * The deploy sequence both tests run: pod-1 starts; three times, once
 * another 15% is handled, the next pod starts and is ready, then the old
 * one gets SIGTERM (exit 0 within budget, holding nothing afterwards); at
 * 60% the pod gets SIGKILL and restarts under the same name (a container
 * restart keeps the pod name); then it runs until everything is
 * acknowledged and stops with SIGTERM.
 */
export async function rollingDeploy(plan: DeployPlan): Promise<DeployRun> {
  const { detail } = plan;
  const began = performance.now();
  const shutdownMs: number[] = [];
  const stop = async (service: Service): Promise<void> => {
    const exit = await service.terminate();
    assert.equal(exit.code, 0, `${service.name} exit\n${service.output}`);
    assert.ok(
      exit.ms < plan.exitBoundMs,
      `${service.name} took ${Math.round(exit.ms)} ms to exit`,
    );
    shutdownMs.push(Math.round(exit.ms));
    assert.deepEqual(
      await plan.held(service.name),
      [],
      `${service.name} left work unacknowledged`,
    );
  };
  const reach = (count: number) =>
    waitFor(
      `${count} handled`,
      async () => (await plan.handled()) >= count || undefined,
      { detail },
    );

  let current = plan.start("pod-1");
  await current.ready();
  await plan.firstReady?.(current);
  for (let deploy = 1; deploy <= 3; deploy++) {
    await reach(Math.round(plan.total * 0.15 * deploy));
    const next = plan.start(`pod-${deploy + 1}`);
    await next.ready();
    await stop(current);
    current = next;
  }
  await reach(Math.round(plan.total * 0.6));
  await current.kill();
  const handledAtKill = await plan.handled();
  const inFlightAtKill = new Set(await plan.held(current.name));
  assert.ok(
    handledAtKill < plan.total,
    `all work was done before the SIGKILL (${handledAtKill})`,
  );
  current = plan.start(current.name);
  await current.ready();
  await waitFor(
    "everything handled and acknowledged",
    async () => (await plan.finished()) || undefined,
    { detail, timeoutMs: 90_000 },
  );
  const seconds = (performance.now() - began) / 1_000;
  await stop(current);
  return { shutdownMs, inFlightAtKill, seconds };
}

/**
 * The secret-canary rule for connection errors: `example` started with each
 * URL (all carrying `canary` as the password) must fail to start with exit
 * code 1, name `publicCode`, and print the canary nowhere; started with
 * `variable` empty it must exit 2 naming the variable.
 */
export async function assertConnectionErrorsQuiet(
  example: string,
  variable: string,
  canary: string,
  urls: Array<[what: string, url: string]>,
  publicCode: RegExp,
): Promise<void> {
  const runs = await Promise.all(urls.map(async ([what, url]) => {
    const service = new Service(example, what, {
      [variable]: url,
      START_TIMEOUT_MS: "3000",
    });
    return { service, exit: await service.exited };
  }));
  for (const { service, exit } of runs) {
    assert.equal(exit.code, 1, `${service.name}: exit\n${service.output}`);
    assert.match(service.output, publicCode, service.output);
  }
  assertNoSecret(canary, runs.map((run) => run.service));
  const missing = new Service(example, "unset", { [variable]: "" });
  const exit = await missing.exited;
  assert.equal(exit.code, 2, missing.output);
  assert.match(missing.output, new RegExp(variable));
}
