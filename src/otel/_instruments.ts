import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type UpDownCounter,
} from "@opentelemetry/api";
import type {
  CheckEndEvent,
  CommandEndEvent,
  FailureEvent,
  TransitionEvent,
} from "../../mod.ts";
import { ATTR, DURATION_BUCKETS, METRIC, SCOPE } from "./_names.ts";

interface InstrumentSet {
  provider: MeterProvider;
  dispatches: Counter;
  commandDuration: Histogram;
  checkExecutions: Counter;
  checkDuration: Histogram;
  failures: Counter;
  workers: UpDownCounter;
}

/** `"rejected"` for an admission refusal (no attempt made). */
export function commandOutcome(
  e: CommandEndEvent,
): "ok" | "error" | "rejected" {
  if (e.ok) return "ok";
  return e.attempts === 0 ? "rejected" : "error";
}

/**
 * The observer's metric instruments. Every data point carries bounded
 * attributes only: runtime, worker, command, check, outcome, code, kind,
 * state — never a dispatch id, a payload or error text.
 *
 * Without a fixed provider, the global one is looked up at each record (an
 * identity check), so an observer made before the SDK is registered starts
 * recording once it is; the worker counts are replayed into the new
 * provider's instruments.
 */
export class Instruments {
  readonly #fixed: MeterProvider | undefined;
  readonly #statics: Attributes;
  #set: InstrumentSet | undefined;
  /** The last state of each worker seen in a transition, by qualified name. */
  readonly #states = new Map<string, { runtime: string; state: string }>();

  constructor(provider: MeterProvider | undefined, statics: Attributes) {
    this.#fixed = provider;
    this.#statics = statics;
  }

  command(e: CommandEndEvent): void {
    const set = this.#current();
    const outcome = commandOutcome(e);
    const attributes: Attributes = {
      ...this.#statics,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.command]: e.command,
      [ATTR.outcome]: outcome,
    };
    // Refusals take no time; their 0 s would only skew the latency histogram.
    // The SDK may keep an attributes object it was given: never mutate one.
    if (outcome !== "rejected") {
      set.commandDuration.record(seconds(e.durationMs), attributes);
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
    const attributes: Attributes = {
      ...this.#statics,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.check]: e.check,
      [ATTR.outcome]: e.outcome,
    };
    set.checkDuration.record(seconds(e.durationMs), attributes);
    set.checkExecutions.add(
      1,
      e.code === undefined
        ? attributes
        : { ...attributes, [ATTR.code]: e.code },
    );
  }

  failure(e: FailureEvent): void {
    const attributes: Attributes = {
      ...this.#statics,
      [ATTR.runtime]: e.runtime,
      [ATTR.worker]: e.worker,
      [ATTR.kind]: e.kind,
      [ATTR.code]: e.code,
    };
    if (e.command !== undefined) attributes[ATTR.command] = e.command;
    this.#current().failures.add(1, attributes);
  }

  /** Moves a worker between the per-state counts; runtime transitions are not counted. */
  transition(e: TransitionEvent): void {
    const worker = e.worker;
    if (worker === undefined) return;
    const set = this.#current();
    const previous = this.#states.get(worker);
    // A worker seen for the first time was never counted in its `from` state.
    if (previous !== undefined) {
      set.workers.add(-1, this.#stateAttributes(e.runtime, previous.state));
    }
    set.workers.add(1, this.#stateAttributes(e.runtime, e.to));
    this.#states.set(worker, { runtime: e.runtime, state: e.to });
  }

  #stateAttributes(runtime: string, state: string): Attributes {
    return { ...this.#statics, [ATTR.runtime]: runtime, [ATTR.state]: state };
  }

  #current(): InstrumentSet {
    const provider = this.#fixed ?? metrics.getMeterProvider();
    const set = this.#set;
    if (set !== undefined && set.provider === provider) return set;
    const fresh = create(provider);
    this.#set = fresh;
    for (const { runtime, state } of this.#states.values()) {
      fresh.workers.add(1, this.#stateAttributes(runtime, state));
    }
    return fresh;
  }
}

function create(provider: MeterProvider): InstrumentSet {
  const meter: Meter = provider.getMeter(SCOPE);
  return {
    provider,
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
    workers: meter.createUpDownCounter(METRIC.workers, {
      description: "Workers in each lifecycle state, as seen in transitions.",
      unit: "{worker}",
    }),
  };
}

function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1_000 : 0;
}
