import {
  type Attributes,
  type BatchObservableCallback,
  type BatchObservableResult,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableUpDownCounter,
} from "@opentelemetry/api";
import type {
  CheckEndEvent,
  CommandEndEvent,
  FailureEvent,
  Runtime,
} from "../../mod.ts";
import { type CommandOutcome, commandOutcome } from "./_outcome.ts";
import {
  ATTR,
  DURATION_BUCKETS,
  METRIC,
  SCOPE,
  STATES,
  VERSION,
} from "./_names.ts";

interface InstrumentSet {
  provider: MeterProvider;
  /** The API's no-op meter: nothing is recorded, so nothing is built. */
  noop: boolean;
  meter: Meter;
  dispatches: Counter;
  commandDuration: Histogram;
  checkExecutions: Counter;
  checkDuration: Histogram;
  failures: Counter;
  workerCount: ObservableUpDownCounter;
  workersDeprecated: ObservableUpDownCounter;
  observeWorkers: BatchObservableCallback;
}

/**
 * The observer's metric instruments. Every data point carries bounded
 * attributes only: runtime, worker, command, check, outcome, code, kind,
 * state and `error.type` (a public code) — never a dispatch id, a payload
 * or error text.
 *
 * Without a fixed provider, the global one is looked up at each record (an
 * identity check), so an observer made before the SDK is registered starts
 * recording once it is. The worker count is asynchronous: it reads the
 * attached runtimes' `workers()` when the SDK collects, so it always equals
 * their per-state counts (registered-but-never-started workers included,
 * unregistered ones gone).
 */
export class Instruments {
  readonly #fixed: MeterProvider | undefined;
  readonly #statics: Attributes;
  #set: InstrumentSet | undefined;
  /** Runtimes this observer was attached to; a dropped runtime is dropped. */
  readonly #runtimes = new Set<WeakRef<Runtime>>();

  /** Follows a dispatch that has no span worth ending: metrics only. */
  readonly commandsOnly: { end(e: CommandEndEvent): void } = {
    end: (e) => this.command(e, commandOutcome(e)),
  };
  /** Follows a check run that has no span worth ending: metrics only. */
  readonly checksOnly: { end(e: CheckEndEvent): void } = {
    end: (e) => this.check(e),
  };

  constructor(provider: MeterProvider | undefined, statics: Attributes) {
    this.#fixed = provider;
    this.#statics = statics;
  }

  /** Counts `runtime`'s workers from now on. */
  attach(runtime: Runtime): void {
    this.#runtimes.add(new WeakRef(runtime));
    this.#current();
  }

  /**
   * Registers the worker count with the current provider if it changed (a
   * global SDK set after the observer was made): transitions call it, so
   * the count appears even before any dispatch is recorded.
   */
  follow(): void {
    this.#current();
  }

  command(e: CommandEndEvent, outcome: CommandOutcome): void {
    const set = this.#current();
    if (set.noop) return;
    const attributes: Attributes = {
      ...this.#statics,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.command]: e.command,
      [ATTR.outcome]: outcome,
    };
    // Refusals take no time; their 0 s would only skew the latency histogram.
    // The SDK may keep an attributes object it was given: never mutate one.
    if (outcome !== "rejected" || e.attempts > 0) {
      set.commandDuration.record(
        seconds(e.durationMs),
        e.code === undefined
          ? attributes
          : { ...attributes, [ATTR.errorType]: e.code },
      );
    }
    set.dispatches.add(
      1,
      e.code === undefined
        ? attributes
        : { ...attributes, [ATTR.code]: e.code },
    );
  }

  check(e: CheckEndEvent): void {
    const set = this.#current();
    if (set.noop) return;
    const attributes: Attributes = {
      ...this.#statics,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.check]: e.check,
      [ATTR.outcome]: e.outcome,
    };
    set.checkDuration.record(
      seconds(e.durationMs),
      e.code === undefined
        ? attributes
        : { ...attributes, [ATTR.errorType]: e.code },
    );
    set.checkExecutions.add(
      1,
      e.code === undefined
        ? attributes
        : { ...attributes, [ATTR.code]: e.code },
    );
  }

  failure(e: FailureEvent): void {
    const set = this.#current();
    if (set.noop) return;
    const attributes: Attributes = {
      ...this.#statics,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.kind]: e.kind,
      [ATTR.code]: e.code,
      [ATTR.errorType]: e.code,
    };
    if (e.command !== undefined) attributes[ATTR.command] = e.command;
    set.failures.add(1, attributes);
  }

  /** The per-state counts of every attached runtime, zeros included. */
  #observe(result: BatchObservableResult, set: InstrumentSet): void {
    for (const ref of this.#runtimes) {
      const runtime = ref.deref();
      if (runtime === undefined) {
        this.#runtimes.delete(ref);
        continue;
      }
      const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
      for (const worker of runtime.workers()) {
        const state = worker.status.state;
        counts.set(state, (counts.get(state) ?? 0) + 1);
      }
      for (const [state, count] of counts) {
        const attributes: Attributes = {
          ...this.#statics,
          [ATTR.runtime]: runtime.name,
          [ATTR.state]: state,
        };
        result.observe(set.workerCount, count, attributes);
        result.observe(set.workersDeprecated, count, attributes);
      }
    }
  }

  #current(): InstrumentSet {
    const provider = this.#fixed ?? metrics.getMeterProvider();
    const set = this.#set;
    if (set !== undefined && set.provider === provider) return set;
    // The old provider must stop asking this observer for worker counts.
    if (set !== undefined) release(set);
    const fresh = create(provider, (result) => this.#observe(result, fresh));
    this.#set = fresh;
    return fresh;
  }
}

function create(
  provider: MeterProvider,
  observeWorkers: (result: BatchObservableResult) => void,
): InstrumentSet {
  const meter: Meter = provider.getMeter(SCOPE, VERSION);
  const workerCount = meter.createObservableUpDownCounter(METRIC.workerCount, {
    description: "Workers in each lifecycle state, as status() counts them.",
    unit: "{worker}",
  });
  const workersDeprecated = meter.createObservableUpDownCounter(
    METRIC.workersDeprecated,
    {
      description: "Deprecated: use workerkit.worker.instances (same values).",
      unit: "{worker}",
    },
  );
  const batch: BatchObservableCallback = (result) => observeWorkers(result);
  const observables = [workerCount, workersDeprecated];
  meter.addBatchObservableCallback(batch, observables);
  return {
    provider,
    noop: meter === createNoopMeter(),
    meter,
    dispatches: meter.createCounter(METRIC.dispatches, {
      description: "Command dispatches of registered commands, by outcome.",
      unit: "{dispatch}",
    }),
    commandDuration: meter.createHistogram(METRIC.commandDuration, {
      description: "Time from admission to the caller's answer.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    checkExecutions: meter.createCounter(METRIC.checkExecutions, {
      description: "Check runs, by outcome.",
      unit: "{execution}",
    }),
    checkDuration: meter.createHistogram(METRIC.checkDuration, {
      description: "Duration of check runs.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    failures: meter.createCounter(METRIC.failures, {
      description: "Failures, by kind and public code.",
      unit: "{failure}",
    }),
    workerCount,
    workersDeprecated,
    observeWorkers: batch,
  };
}

function release(set: InstrumentSet): void {
  try {
    set.meter.removeBatchObservableCallback(set.observeWorkers, [
      set.workerCount,
      set.workersDeprecated,
    ]);
  } catch {
    // A provider that cannot remove it only reads stale counts.
  }
}

function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1_000 : 0;
}
