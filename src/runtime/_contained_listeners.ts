import { ignoreRejection } from "../base/_promise.ts";
/** How {@linkcode ContainedListeners} reaches the real `EventTarget` methods. */
export interface ListenerSlots {
  add(
    type: string,
    listener: EventListener,
    options?: boolean | AddEventListenerOptions,
  ): void;
  remove(
    type: string,
    listener: EventListener,
    options?: boolean | EventListenerOptions,
  ): void;
}

/**
 * Keeps an `EventTarget`'s listeners from hurting the dispatcher: each
 * listener is registered wrapped, so one that throws, or returns a rejected
 * promise, is contained instead of reaching the caller or the host's
 * uncaught-exception path (Node and Deno both turn a throwing `EventTarget`
 * listener into a process-level error). It also knows whether a type has
 * listeners, so events nobody hears are never built. The owner overrides
 * `addEventListener` / `removeEventListener` to call it.
 */
export class ContainedListeners {
  readonly #target: EventTarget;
  readonly #slots: ListenerSlots;
  readonly #wrappers = new Map<
    string,
    Map<EventListenerOrEventListenerObject, Wrappers>
  >();

  constructor(target: EventTarget, slots: ListenerSlots) {
    this.#target = target;
    this.#slots = slots;
  }

  add(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (listener === null) return;
    const capture = captureOf(options);
    const byListener = this.#byListener(type);
    const existing = byListener.get(listener);
    if (existing?.[capture ? 1 : 0]) return;
    const once = typeof options === "object" && options.once === true;
    const wrapper = (event: Event): void => {
      if (once) this.#forget(type, listener, capture);
      invokeContained(this.#target, listener, event);
    };
    const slots: Wrappers = existing ?? [undefined, undefined];
    slots[capture ? 1 : 0] = wrapper;
    byListener.set(listener, slots);
    this.#slots.add(type, wrapper, options);
    const signal = typeof options === "object" ? options.signal : undefined;
    signal?.addEventListener(
      "abort",
      () => this.#forget(type, listener, capture),
      { once: true },
    );
  }

  remove(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    if (listener === null) return;
    const wrapper = this.#forget(type, listener, captureOf(options));
    if (wrapper) this.#slots.remove(type, wrapper, options);
  }

  /** Whether anything listens for `type`. */
  has(type: string): boolean {
    const byListener = this.#wrappers.get(type);
    return byListener !== undefined && byListener.size > 0;
  }

  #byListener(
    type: string,
  ): Map<EventListenerOrEventListenerObject, Wrappers> {
    let byListener = this.#wrappers.get(type);
    if (!byListener) {
      byListener = new Map();
      this.#wrappers.set(type, byListener);
    }
    return byListener;
  }

  #forget(
    type: string,
    listener: EventListenerOrEventListenerObject,
    capture: boolean,
  ): EventListener | undefined {
    const byListener = this.#wrappers.get(type);
    const slots = byListener?.get(listener);
    if (!byListener || !slots) return undefined;
    const index = capture ? 1 : 0;
    const wrapper = slots[index];
    slots[index] = undefined;
    if (!slots[0] && !slots[1]) byListener.delete(listener);
    return wrapper;
  }
}

/** The bubbling-phase and capture-phase wrappers of one listener. */
type Wrappers = [EventListener | undefined, EventListener | undefined];

function captureOf(options?: boolean | EventListenerOptions): boolean {
  return typeof options === "boolean" ? options : options?.capture === true;
}

function invokeContained(
  target: EventTarget,
  listener: EventListenerOrEventListenerObject,
  event: Event,
): void {
  try {
    const result: unknown = typeof listener === "function"
      ? listener.call(target, event)
      : listener.handleEvent(event);
    ignoreRejection(result);
  } catch {
    // A listener's failure is its own; the runtime carries on.
  }
}
