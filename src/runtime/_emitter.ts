import { WorkerkitError } from "../base/errors.ts";
import type {
  CheckEndEvent,
  CheckObservation,
  CheckStartEvent,
  CommandEndEvent,
  CommandObservation,
  CommandStartEvent,
  FailureEvent,
  Observer,
  ReadinessEvent,
  RuntimeEventMap,
  TransitionEvent,
} from "../events.ts";
import { RuntimeEvent } from "../events.ts";
import { ignoreRejection } from "../base/_promise.ts";
import { safeWrap } from "./_safe_wrap.ts";
import { multiObserver } from "../multi_observer.ts";

/** Where the emitter delivers `EventTarget` events. */
export interface EventSink {
  listening(type: keyof RuntimeEventMap): boolean;
  dispatch(event: Event): void;
}

/**
 * Delivers each event to the observer and to `EventTarget` listeners, each
 * call isolated so that neither can disturb the runtime. Callers ask
 * `wants*` first so that events nobody hears are never built.
 */
export class Emitter {
  /** The observer given at construction. */
  readonly #base: Observer | undefined;
  /** Observers added later with `observe`, in order. */
  #added: readonly Observer[] = [];
  /** What events go to: the one observer, or a fan-out over all of them. */
  #observer: Observer | undefined;
  readonly #sink: EventSink;

  constructor(observer: Observer | undefined, sink: EventSink) {
    this.#base = this.#observer = observer;
    this.#sink = sink;
  }

  /**
   * Adds an observer after construction; the result removes it (once).
   * With a single observer events go to it directly; with several, to a
   * fan-out that has only the methods one of them has, so `wants*` stays
   * as cheap as before.
   */
  /** `Runtime.observe`: checks the observer, adds it and attaches it. */
  observeFrom(runtime: unknown, observer: unknown): () => void {
    if (observer === null || typeof observer !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "observe() takes an observer object",
      );
    }
    const remove = this.observe(observer as Observer);
    this.attach(runtime, observer as Observer);
    return remove;
  }

  observe(observer: Observer): () => void {
    this.#added = [...this.#added, observer];
    this.#rebuild();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const i = this.#added.indexOf(observer);
      if (i < 0) return;
      this.#added = [...this.#added.slice(0, i), ...this.#added.slice(i + 1)];
      this.#rebuild();
    };
  }

  #rebuild(): void {
    const list = this.#base ? [this.#base, ...this.#added] : [...this.#added];
    this.#observer = list.length <= 1 ? list[0] : fanOut(list);
  }

  /** Whether anything hears events of `type`; build them only then. */
  wants(type: "transition" | "readiness" | "failure"): boolean {
    return this.#observer?.[type] !== undefined || this.#sink.listening(type);
  }

  wantsCommands(): boolean {
    return this.#observer?.commandStart !== undefined ||
      this.#sink.listening("commandstart") ||
      this.#sink.listening("commandend");
  }

  wantsChecks(): boolean {
    return this.#observer?.checkStart !== undefined ||
      this.#sink.listening("checkstart") || this.#sink.listening("checkend");
  }

  transition(e: TransitionEvent): void {
    this.#call(this.#observer?.transition, e);
    this.#dispatch("transition", e);
  }

  readiness(e: ReadinessEvent): void {
    this.#call(this.#observer?.readiness, e);
    this.#dispatch("readiness", e);
  }

  failure(e: FailureEvent): void {
    this.#call(this.#observer?.failure, e);
    this.#dispatch("failure", e);
  }

  /** Hands the runtime to `observer`'s `attach` (the base one by default), isolated. */
  attach(runtime: unknown, observer: Observer | undefined = this.#base): void {
    const method = observer?.attach as ((r: unknown) => unknown) | undefined;
    if (typeof method !== "function") return;
    try {
      ignoreRejection(method.call(observer, runtime));
    } catch {
      // An observer's failure changes nothing.
    }
  }

  /** Starts following a dispatch; the result's `end` is always safe to call. */
  commandStart(e: CommandStartEvent): Following<CommandEndEvent> {
    const observation = this.#call(this.#observer?.commandStart, e) as
      | CommandObservation
      | undefined;
    this.#dispatch("commandstart", e);
    return new Following(this, "commandend", observation);
  }

  /** Starts following a check run. */
  checkStart(e: CheckStartEvent): Following<CheckEndEvent> {
    const observation = this.#call(this.#observer?.checkStart, e) as
      | CheckObservation
      | undefined;
    this.#dispatch("checkstart", e);
    return new Following(this, "checkend", observation);
  }

  /** @internal */
  dispatchEnd(type: "commandend" | "checkend", e: unknown): void {
    this.#dispatch(type, e);
  }

  #call<E>(method: ((e: E) => unknown) | undefined, e: E): unknown {
    if (!method) return undefined;
    try {
      const result = method.call(this.#observer, e);
      ignoreRejection(result);
      return result;
    } catch {
      return undefined;
    }
  }

  #dispatch(type: keyof RuntimeEventMap, detail: unknown): void {
    if (!this.#sink.listening(type)) return;
    try {
      this.#sink.dispatch(new RuntimeEvent(type, detail));
    } catch {
      // Listeners are contained by ContainedListeners; this guards the rest.
    }
  }
}

/** The event methods an observer may have, besides `attach`. */
const EVENT_METHODS = [
  "transition",
  "readiness",
  "failure",
  "commandStart",
  "checkStart",
] as const;

/**
 * One observer over several, with only the methods at least one of them
 * has now: a missing method is how the emitter knows nobody listens.
 */
function fanOut(list: Observer[]): Observer {
  const all = multiObserver(...list);
  const some: Observer = {};
  for (const key of EVENT_METHODS) {
    if (list.some((o) => hasMethod(o, key))) {
      (some as Record<string, unknown>)[key] = all[key];
    }
  }
  return some;
}

function hasMethod(observer: Observer, key: keyof Observer): boolean {
  try {
    return typeof observer[key] === "function";
  } catch {
    return false;
  }
}

/** One dispatch or check run being followed: wraps the work and ends once. */
export class Following<E> {
  readonly #emitter: Emitter;
  readonly #type: "commandend" | "checkend";
  readonly #observation:
    | { end(e: E): void; wrap?<T>(fn: () => T): T }
    | undefined;

  constructor(
    emitter: Emitter,
    type: "commandend" | "checkend",
    observation: { end(e: E): void; wrap?<T>(fn: () => T): T } | undefined,
  ) {
    this.#emitter = emitter;
    this.#type = type;
    this.#observation = observation;
  }

  /** Whether the observer wraps the work: without a wrap, call it directly. */
  get wraps(): boolean {
    return typeof this.#observation?.wrap === "function";
  }

  /**
   * Runs `fn` inside the observer's wrap, if any. A wrap that throws
   * without calling `fn` is bypassed; `fn`'s own throw propagates.
   */
  wrap<T>(fn: () => T): T {
    return safeWrap(this.#observation?.wrap, this.#observation, fn);
  }

  end(e: E): void {
    const observation = this.#observation;
    if (observation && typeof observation.end === "function") {
      try {
        ignoreRejection(observation.end(e));
      } catch {
        // An observer's failure changes nothing.
      }
    }
    this.#emitter.dispatchEnd(this.#type, e);
  }
}
