import { type Clock, systemClock } from "../base/clock.ts";
import type { RuntimeOptions } from "../options.ts";
import { Dispatcher } from "./_dispatcher.ts";
import { Emitter, type EventSink } from "./_emitter.ts";
import { Lifecycle } from "./_lifecycle.ts";
import { RetryBudget } from "./_retry_budget.ts";
import {
  cap,
  readinessPolicy,
  resolveSettings,
  WORKER_DEFAULT_KEYS,
} from "./_settings.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";
import { WorkerkitError } from "../base/errors.ts";
import { validateRuntimeName } from "../base/names.ts";
import { Shutdown } from "./_shutdown.ts";
import { StateReporter } from "./_state_reporter.ts";
import { Supervisor } from "./_supervisor.ts";
import { HandleBackend } from "./_worker_host.ts";
import { WorkerTable } from "./_worker_table.ts";

/** The keys `new Runtime()` accepts. */
const RUNTIME_OPTION_KEYS: ReadonlySet<string> = new Set([
  "name",
  "readinessPolicy",
  "commandConcurrency",
  "observer",
  "retryBudget",
  "clock",
  "defaults",
]);

/** The parts a `Runtime` delegates to, wired to each other. */
export interface Parts {
  readonly name: string;
  readonly clock: Clock;
  readonly reporter: StateReporter;
  readonly table: WorkerTable;
  readonly dispatcher: Dispatcher;
  readonly lifecycle: Lifecycle;
  readonly supervisor: Supervisor;
  readonly shutdown: Shutdown;
}

/**
 * Checks the runtime's options and builds its parts. The arrows of
 * docs/architecture.md are exactly the arguments passed here.
 *
 * @param options The runtime's options, as given to `new Runtime()`.
 * @param sink Where events go besides the observer (the `EventTarget`).
 * @throws {WorkerkitError} `invalid_name`, or `invalid_argument` for a bad option.
 */
export function wireParts(given: RuntimeOptions, sink: EventSink): Parts {
  if (given === null || typeof given !== "object") {
    throw new WorkerkitError(
      "invalid_argument",
      "new Runtime() takes an options object with a name",
    );
  }
  refuseUnknownKeys("new Runtime()", given, RUNTIME_OPTION_KEYS);
  const options = readOptions(given);
  const { name } = options;
  validateRuntimeName(name);
  const clock = options.clock ?? systemClock;
  const policy = readinessPolicy(options.readinessPolicy);
  const commandCap = cap("commandConcurrency", options.commandConcurrency ?? 0);
  const givenDefaults: unknown = options.defaults;
  if (givenDefaults !== undefined) {
    if (givenDefaults === null || typeof givenDefaults !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "defaults must be an object of worker settings",
      );
    }
    refuseUnknownKeys("defaults", givenDefaults, WORKER_DEFAULT_KEYS);
  }
  const defaults = { ...options.defaults };
  resolveSettings({}, defaults);
  const emitter = new Emitter(options.observer, sink);
  const budget = options.retryBudget === undefined
    ? undefined
    : new RetryBudget(options.retryBudget, clock);
  const reporter = new StateReporter(name, clock, policy, emitter);
  const supervisor = new Supervisor(clock, reporter);
  const table = new WorkerTable(
    name,
    defaults,
    clock,
    (w) => supervisor.stalled(w),
  );
  const dispatcher = new Dispatcher(
    name,
    clock,
    table,
    reporter,
    budget,
    commandCap,
  );
  const lifecycle = new Lifecycle({
    clock,
    table,
    reporter,
    dispatcher,
    budget,
    host: new HandleBackend(name, reporter, supervisor),
    outcome: supervisor,
  });
  supervisor.attach(lifecycle);
  const shutdown = new Shutdown(name, clock, {
    reporter,
    lifecycle,
    dispatcher,
  });
  return {
    name,
    clock,
    reporter,
    table,
    dispatcher,
    lifecycle,
    supervisor,
    shutdown,
  };
}

/**
 * The options read once into a plain object, so a hostile one (a throwing
 * getter, a revoked proxy) is refused with `invalid_argument` here instead
 * of throwing its own error from deep inside the construction.
 */
function readOptions(options: RuntimeOptions): RuntimeOptions {
  const copy: Record<string, unknown> = {};
  try {
    for (const key of RUNTIME_OPTION_KEYS) {
      const value = (options as unknown as Record<string, unknown>)[key];
      if (value !== undefined) copy[key] = value;
    }
  } catch {
    throw new WorkerkitError(
      "invalid_argument",
      "new Runtime(): the options object cannot be read",
    );
  }
  return copy as unknown as RuntimeOptions;
}
