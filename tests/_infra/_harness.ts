// What both deploy-under-load test files share: one server per file, started
// before the tests are registered; the skip-or-fail rule when it cannot
// start; polling for a condition with a deadline; the secret-canary check on
// child output.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  freePort,
  type Started,
  type TestServer,
  underCI,
} from "./_servers.ts";
import { Service } from "./_service.ts";

/** The shutdown budget the deploy tests give each pod, ms. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
/** A SIGTERM exit must come within the budget plus process teardown, ms. */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 5_000;

/**
 * One server, shared by a file's tests, started before they are
 * registered: a test that needs a server that could not start is
 * registered as skipped (node:test's `skip` option, so every runtime counts
 * it as skipped, never as passed), with a `SKIPPED` line saying why. Under
 * CI (CI=true) it is registered as a test that fails with that message
 * instead: a missing server must never pass silently.
 */
export class ServerSlot {
  readonly #what: string;
  readonly #started: Started;
  #stopped = false;

  /**
   * Starts the server (`what` names it in messages); await it at the top
   * of the test file, before the tests are registered.
   */
  static async start(
    what: string,
    start: () => Promise<Started>,
  ): Promise<ServerSlot> {
    return new ServerSlot(what, await start());
  }

  private constructor(what: string, started: Started) {
    this.#what = what;
    this.#started = started;
    // Node and Bun run this even when a filter skips stopTest(); under
    // `deno test` (which skips `after`) the exit hook of _servers.ts does.
    after(() => this.stop());
  }

  /** Why the tests cannot run, or undefined when the server runs. */
  get #problem(): string | undefined {
    if ("server" in this.#started) return undefined;
    return `${this.#what} could not be started: ${this.#started.problem}`;
  }

  /**
   * Registers a test that needs the server: skipped without it (failed
   * under CI). Deploy tests are long: the timeout is generous.
   */
  test(name: string, body: (server: TestServer) => Promise<void>): void {
    const started = this.#started;
    if ("server" in started) {
      test(name, { timeout: 150_000 }, () => body(started.server));
      return;
    }
    this.#missing(name);
  }

  /** Ends the file's tests: stops the server if one was started. */
  stopTest(): void {
    const name = `${this.#what} stops`;
    if (this.#problem === undefined) test(name, () => this.stop());
    else this.#missing(name);
  }

  /** Registers `name` as skipped (or, under CI, failing) for the problem. */
  #missing(name: string): void {
    const message = this.#problem!;
    if (underCI) {
      test(name, () => {
        assert.fail(`${message} (CI=true: this counts as a failure)`);
      });
      return;
    }
    // Deno's report does not show a skip's message: this line does.
    console.log(`SKIPPED (${name}): ${message}`);
    test(name, { skip: message }, () => {});
  }

  /** Stops the server if one was started. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if ("server" in this.#started) await this.#started.server.stop();
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

/**
 * Asserts that whatever ran more than once was in flight at the SIGKILL:
 * the only repeats at-least-once delivery allows here.
 */
export function assertRepeatsOnlyInFlight(
  repeated: string[],
  run: DeployRun,
): void {
  const unexplained = repeated.filter((id) => !run.inFlightAtKill.has(id));
  assert.deepEqual(
    unexplained,
    [],
    `ran twice but not in flight at the SIGKILL (${run.inFlightAtKill.size} were)`,
  );
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
      exit.ms < EXIT_BOUND_MS,
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
  urls: (canary: string, closedPort: number) => Array<[string, string]>,
  publicCode: RegExp,
): Promise<void> {
  const canary = `canary${crypto.randomUUID().replaceAll("-", "")}`;
  const closedPort = await freePort();
  const runs = await Promise.all(
    urls(canary, closedPort).map(async ([what, url]) => {
      const service = new Service(example, what, {
        [variable]: url,
        START_TIMEOUT_MS: "3000",
      });
      return { service, exit: await service.exited };
    }),
  );
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

/** The pods of one test: started by name, all disposed of at the end. */
export class Pods {
  readonly #example: string;
  readonly #env: (name: string) => Record<string, string>;
  readonly all: Service[] = [];

  constructor(example: string, env: (name: string) => Record<string, string>) {
    this.#example = example;
    this.#env = env;
  }

  /** Starts pod `name` (its environment from the constructor's `env`). */
  start = (name: string, extra: Record<string, string> = {}): Service => {
    const pod = new Service(this.#example, name, {
      ...this.#env(name),
      ...extra,
    });
    this.all.push(pod);
    return pod;
  };

  /** Every pod's output, for failure messages. */
  detail = (): string => this.all.map((pod) => pod.output).join("\n");

  /** Kills whatever still runs. */
  async dispose(): Promise<void> {
    await Promise.all(this.all.map((pod) => pod.dispose()));
  }
}

/** What {@linkcode measureThroughput} runs. */
export interface ThroughputPlan {
  pods: Pods;
  /** Environment that turns the simulated work off and batches widely. */
  env: Record<string, string>;
  count: number;
  enqueue(): Promise<void>;
  finished(): Promise<boolean>;
}

/**
 * One pod, ready before anything is enqueued; then `count` messages and the
 * time until all are acknowledged. Returns messages/s and the SIGTERM time.
 */
export async function measureThroughput(
  plan: ThroughputPlan,
): Promise<{ perSecond: number; shutdownMs: number }> {
  const pod = plan.pods.start("bench-1", plan.env);
  await pod.ready();
  const began = performance.now();
  await plan.enqueue();
  await waitFor(
    `${plan.count} acknowledged`,
    async () => (await plan.finished()) || undefined,
    { everyMs: 10, detail: plan.pods.detail },
  );
  const seconds = (performance.now() - began) / 1_000;
  const exit = await pod.terminate();
  assert.equal(exit.code, 0, pod.output);
  return {
    perSecond: Math.round(plan.count / seconds),
    shutdownMs: Math.round(exit.ms),
  };
}

/**
 * Readiness follows the connection: with the server down, the pod's /readyz
 * answers 503 while /livez stays 200 (an outage is not a wedged worker);
 * with the server back, /readyz is 200 again and `works()` (enqueue and
 * wait for it to be handled) succeeds; then SIGTERM exits 0.
 */
export async function assertReadinessFollowsServer(
  pods: Pods,
  server: TestServer,
  works: () => Promise<void>,
): Promise<void> {
  const pod = pods.start("outage-1");
  await pod.ready();
  const status = (path: "/readyz" | "/livez", want: number) =>
    waitFor(
      `${path} ${want}`,
      async () => (await pod.probe(path)) === want || undefined,
      {
        detail: pods.detail,
        timeoutMs: 30_000,
      },
    );
  await server.down();
  try {
    await status("/readyz", 503);
    assert.equal(await pod.probe("/livez"), 200);
  } finally {
    await server.up();
  }
  await status("/readyz", 200);
  await works();
  const exit = await pod.terminate();
  assert.equal(exit.code, 0, pod.output);
}
