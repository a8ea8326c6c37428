import { ContainedListeners } from "./_contained_listeners.ts";
import type { EventSink } from "./_emitter.ts";

let sinkOf: (target: RuntimeEvents) => EventSink;

/**
 * The `EventTarget` side of a `Runtime`: its listeners are contained, and
 * its emitter can ask whether a type has listeners before it builds an
 * event nobody would hear. Private: users see `Runtime` as an `EventTarget`
 * (hence `@ignore`, which keeps `deno doc` from asking to export it).
 *
 * @ignore
 */
export class RuntimeEvents extends EventTarget {
  readonly #listeners: ContainedListeners = new ContainedListeners(this, {
    add: (type, listener, options) =>
      super.addEventListener(type, listener, options),
    remove: (type, listener, options) =>
      super.removeEventListener(type, listener, options),
  });

  static {
    sinkOf = (target) => ({
      listening: (type) => target.#listeners.has(type),
      dispatch: (event) => target.dispatchEvent(event),
    });
  }

  /**
   * Adds a listener, as `EventTarget` does, but contained: one that throws
   * or rejects never reaches the runtime's callers or the host's
   * uncaught-exception path. Types are the keys of `RuntimeEventMap`.
   *
   * @param type An event type, e.g. `"transition"`.
   * @param listener The listener; `null` is ignored.
   * @param options The standard `EventTarget` options.
   *
   * @example Following transitions
   * ```ts
   * import { Runtime, type TransitionEvent } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * runtime.addEventListener("transition", (event) => {
   *   const { worker, from, to } = (event as CustomEvent<TransitionEvent>).detail;
   *   console.log(worker ?? "runtime", from, "→", to);
   * });
   * ```
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    this.#listeners.add(type, listener, options);
  }

  /**
   * Removes a listener added with `addEventListener`.
   *
   * @param type The event type it was added for.
   * @param listener The same listener.
   * @param options The same `capture` option.
   *
   * @example Listening once, by hand
   * ```ts
   * import { Runtime } from "@workerkit/core";
   * const runtime = new Runtime({ name: "svc" });
   * const listener = () => runtime.removeEventListener("readiness", listener);
   * runtime.addEventListener("readiness", listener);
   * ```
   */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    this.#listeners.remove(type, listener, options);
  }
}

/** Where a runtime's emitter sends events: its contained listeners. */
export function eventSink(target: RuntimeEvents): EventSink {
  return sinkOf(target);
}
