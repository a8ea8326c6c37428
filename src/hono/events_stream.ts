import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { RuntimeEventMap } from "../../mod.ts";
import type { Runtime } from "../../mod.ts";
import { publicEvent } from "../../mod.ts";
import { STREAMED_EVENT_TYPES } from "./streamed_events.ts";

/** At most one `snapshot` per this many ms per stream (4 per second). */
const SNAPSHOT_INTERVAL_MS = 250;
/**
 * Messages a stream may have waiting for a client that does not read; past
 * this the stream ends (the client reconnects and gets a fresh snapshot)
 * instead of buffering without bound.
 */
const MAX_QUEUED = 512;
/** How long a stream that ends from the server side may take to flush. */
const FLUSH_MS = 1_000;

/** What one event stream needs besides the runtime. */
export interface EventStreamSettings {
  /** Heartbeat comment interval, ms. */
  heartbeatMs: number;
  /** Which mutating routes the router serves, for the page's controls. */
  controls: { commands: boolean; lifecycle: boolean };
  /** Ends the stream when it aborts (service stopping, router closed). */
  end: AbortSignal;
}

/** Why a stream ended. */
type EndReason = "client" | "stopping" | "overflow";

interface Message {
  event?: string;
  data?: string;
  comment?: string;
}

/**
 * Answers an event-stream request with Hono's `streamSSE`: first an
 * `event: snapshot` with the runtime's public state (`status`, `readiness`,
 * `workers`, `commands`, which `controls` are enabled and the
 * `heartbeatMs`), then one event per runtime event with its public fields
 * only, each followed — at most four times a second — by a fresh
 * `snapshot` (in-flight counts and the like only come with snapshots). A
 * `: ping` comment every `heartbeatMs` keeps proxies from closing it.
 *
 * It ends, removing every listener it added to the runtime and clearing
 * its timers, when the client goes away, when `settings.end` aborts (then
 * with a last `event: end`, data `{"reason":"stopping"}`) or when the
 * client stops reading and too much is waiting. `onClose` is called once,
 * at that moment.
 *
 * @internal
 * @param c The request context.
 * @param runtime The runtime to follow.
 * @param settings Heartbeat, controls and the end signal.
 * @param onClose Called once when the stream ends.
 * @returns The streaming response.
 * @throws Never.
 */
export function openEventStream(
  c: Context,
  runtime: Runtime,
  settings: EventStreamSettings,
  onClose: () => void,
): Response {
  const response = streamSSE(c, async (stream) => {
    const session = new EventSession(stream, runtime, settings, onClose);
    const loop = session.run();
    await session.ended;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flushed = await Promise.race([
      loop.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), FLUSH_MS);
      }),
    ]);
    clearTimeout(timer);
    // A client that stopped reading holds a write open: cancel the body so
    // the response ends (and the server's graceful shutdown is not held).
    if (!flushed) stream.abort();
  });
  // Live state: never cached; ask reverse proxies (nginx) not to buffer.
  response.headers.set("cache-control", "no-store");
  response.headers.set("x-accel-buffering", "no");
  // Never reuse the connection: when the stream ends at shutdown, an idle
  // keep-alive socket left behind would hold a graceful close open until
  // the client drops it (browsers keep them for minutes).
  response.headers.set("connection", "close");
  return response;
}

class EventSession {
  readonly #stream: SSEStreamingApi;
  readonly #runtime: Runtime;
  readonly #settings: EventStreamSettings;
  readonly #onClose: () => void;
  readonly #queue: Message[] = [];
  readonly #listener = (event: Event): void => this.#onEvent(event);
  readonly #onStop = (): void => this.#end("stopping");
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  #lastSnapshot = 0;
  #wake: (() => void) | undefined;
  #done = false;
  #resolveEnded!: () => void;
  /** Resolves when the stream has ended (listeners already removed). */
  readonly ended: Promise<void> = new Promise((resolve) => {
    this.#resolveEnded = resolve;
  });

  constructor(
    stream: SSEStreamingApi,
    runtime: Runtime,
    settings: EventStreamSettings,
    onClose: () => void,
  ) {
    this.#stream = stream;
    this.#runtime = runtime;
    this.#settings = settings;
    this.#onClose = onClose;
    // Listeners and the first snapshot in the same turn: no event can fall
    // between the snapshot and the events that follow it.
    for (const type of STREAMED_EVENT_TYPES) {
      runtime.addEventListener(type, this.#listener);
    }
    settings.end.addEventListener("abort", this.#onStop);
    stream.onAbort(() => this.#end("client"));
    this.#heartbeat = setInterval(
      () => this.#push({ comment: "ping" }),
      settings.heartbeatMs,
    );
    this.#snapshot();
    if (settings.end.aborted) this.#end("stopping");
  }

  /** Writes queued messages until the stream has ended and the queue is empty. */
  async run(): Promise<void> {
    for (;;) {
      const message = this.#queue.shift();
      if (message !== undefined) {
        await this.#write(message);
        continue;
      }
      if (this.#done) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async #write(message: Message): Promise<void> {
    // Both swallow write errors (a client that left); `onAbort` ends us.
    if (message.comment !== undefined) {
      await this.#stream.write(`: ${message.comment}\n\n`);
    } else {
      await this.#stream.writeSSE({
        event: message.event!,
        data: message.data!,
      });
    }
  }

  #push(message: Message): void {
    if (this.#done) return;
    if (this.#queue.length >= MAX_QUEUED) {
      this.#end("overflow");
      return;
    }
    this.#queue.push(message);
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #onEvent(event: Event): void {
    if (this.#done) return;
    const type = event.type as keyof RuntimeEventMap;
    if (!STREAMED_EVENT_TYPES.includes(type)) return;
    const detail = (event as Event & { detail?: unknown }).detail;
    this.#push({
      event: type,
      data: JSON.stringify(publicEvent(type, detail)),
    });
    this.#scheduleSnapshot();
  }

  #scheduleSnapshot(): void {
    if (this.#snapshotTimer !== undefined) return;
    const wait = Math.max(
      0,
      this.#lastSnapshot + SNAPSHOT_INTERVAL_MS - Date.now(),
    );
    // Even with no wait, a timer: a burst of events in one turn (a
    // transition and its readiness change) gets one snapshot after it.
    this.#snapshotTimer = setTimeout(() => {
      this.#snapshotTimer = undefined;
      this.#snapshot();
    }, wait);
  }

  #snapshot(): void {
    if (this.#done) return;
    this.#lastSnapshot = Date.now();
    let data: string;
    try {
      data = JSON.stringify(snapshotOf(this.#runtime, this.#settings));
    } catch {
      return; // not expected: status objects are plain data
    }
    this.#push({ event: "snapshot", data });
  }

  #end(reason: EndReason): void {
    if (this.#done) return;
    this.#done = true;
    for (const type of STREAMED_EVENT_TYPES) {
      this.#runtime.removeEventListener(type, this.#listener);
    }
    this.#settings.end.removeEventListener("abort", this.#onStop);
    clearInterval(this.#heartbeat);
    clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    this.#queue.length = 0;
    if (reason === "stopping") {
      this.#queue.push({ event: "end", data: JSON.stringify({ reason }) });
    }
    this.#signal();
    this.#onClose();
    this.#resolveEnded();
  }
}

/** The `snapshot` event's data: public status objects only. */
function snapshotOf(runtime: Runtime, settings: EventStreamSettings): unknown {
  const { status, workers, commands } = runtime.inspect();
  const readiness = runtime.readiness();
  return {
    status,
    readiness: readiness.reason === undefined
      ? { ready: readiness.ready, state: readiness.state }
      : {
        ready: readiness.ready,
        state: readiness.state,
        reason: readiness.reason,
      },
    workers,
    commands,
    controls: { ...settings.controls },
    heartbeatMs: settings.heartbeatMs,
  };
}
