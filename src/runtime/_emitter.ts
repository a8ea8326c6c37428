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
  readonly #observer: Observer | undefined;
  readonly #sink: EventSink;

  constructor(observer: Observer | undefined, sink: EventSink) {
    this.#observer = observer;
    this.#sink = sink;
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

  /** Hands the runtime to the observer's `attach`, once, isolated. */
  attach(runtime: unknown): void {
    this.#call(
      this.#observer?.attach as ((r: unknown) => unknown) | undefined,
      runtime,
    );
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
