import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { EventHub, HubSubscriber } from "./_event_hub.ts";

/**
 * Messages a stream may have waiting for a client that does not read; past
 * this the stream ends (the client reconnects, resumes from its
 * `Last-Event-ID` and gets a fresh snapshot) instead of buffering without
 * bound. Queued messages are written together, one write per turn.
 */
const MAX_QUEUED = 512;
/** How long a stream that ends from the server side may take to flush. */
const FLUSH_MS = 1_000;

/** What one event stream needs besides the hub. */
export interface EventStreamSettings {
  /** Heartbeat comment interval, ms. */
  heartbeatMs: number;
  /**
   * A write the client has not taken after this long (ms) ends the
   * stream: a client that stopped reading frees its slot.
   */
  writeTimeoutMs: number;
  /** Ends the stream when it aborts (service stopping, router closed). */
  end: AbortSignal;
}

/** Why a stream ended. */
type EndReason = "client" | "stopping" | "overflow" | "stalled";

/**
 * Answers an event-stream request with Hono's `streamSSE`. The hub sends
 * `event: history` (does this stream resume its `Last-Event-ID`?), the
 * kept events after it (each with an `id`), a `snapshot` of the public
 * state and the chart `metrics`; then the live events, snapshots at most
 * four times a second and `metrics` once a second. A `: ping` comment
 * every `heartbeatMs` keeps proxies from closing it.
 *
 * It ends, leaving the hub and clearing its timers, when the client goes
 * away, when `settings.end` aborts (then with a last `event: end`, data
 * `{"reason":"stopping"}`), when the client stops reading and too much is
 * waiting, or when one write has not been taken for `writeTimeoutMs`.
 * `onClose` is called once, at that moment.
 */
export function openEventStream(
  c: Context,
  hub: EventHub,
  settings: EventStreamSettings,
  onClose: () => void,
): Response {
  const lastEventId = c.req.header("last-event-id");
  const response = streamSSE(c, async (stream) => {
    const session = new EventSession(stream, hub, settings, onClose);
    if (!session.done) hub.open(session, lastEventId);
    const loop = session.run();
    const reason = await session.ended;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flushed = reason !== "stalled" && await Promise.race([
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
  for (const [name, value] of Object.entries(STREAM_HEADERS)) {
    response.headers.set(name, value);
  }
  return response;
}

/**
 * The stream's own headers besides `content-type`, shared with `HEAD`:
 * live state is never cached; reverse proxies (nginx) must not buffer; the
 * connection is never reused — when the stream ends at shutdown, an idle
 * keep-alive socket left behind would hold a graceful close open until the
 * client drops it (browsers keep them for minutes).
 */
export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-accel-buffering": "no",
  connection: "close",
};

class EventSession implements HubSubscriber {
  readonly #stream: SSEStreamingApi;
  readonly #hub: EventHub;
  readonly #settings: EventStreamSettings;
  readonly #onClose: () => void;
  readonly #queue: string[] = [];
  readonly #onStop = (): void => this.#end("stopping");
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #writeTimer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  #done = false;
  #resolveEnded!: (reason: EndReason) => void;
  /** Resolves, with the reason, when the stream has ended. */
  readonly ended: Promise<EndReason> = new Promise((resolve) => {
    this.#resolveEnded = resolve;
  });

  constructor(
    stream: SSEStreamingApi,
    hub: EventHub,
    settings: EventStreamSettings,
    onClose: () => void,
  ) {
    this.#stream = stream;
    this.#hub = hub;
    this.#settings = settings;
    this.#onClose = onClose;
    settings.end.addEventListener("abort", this.#onStop);
    stream.onAbort(() => this.#end("client"));
    this.#heartbeat = setInterval(
      () => this.send(": ping\n\n"),
      settings.heartbeatMs,
    );
    if (settings.end.aborted) this.#end("stopping");
  }

  /** Whether the stream has ended. */
  get done(): boolean {
    return this.#done;
  }

  send(text: string): void {
    if (this.#done) return;
    if (this.#queue.length >= MAX_QUEUED) {
      this.#end("overflow");
      return;
    }
    this.#queue.push(text);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Writes what is queued, all at once, until the stream has ended. */
  async run(): Promise<void> {
    for (;;) {
      if (this.#queue.length > 0) {
        const text = this.#queue.join("");
        this.#queue.length = 0;
        await this.#write(text);
        continue;
      }
      if (this.#done) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async #write(text: string): Promise<void> {
    this.#writeTimer = setTimeout(
      () => this.#end("stalled"),
      this.#settings.writeTimeoutMs,
    );
    try {
      // Swallows write errors (a client that left); `onAbort` ends us.
      await this.#stream.write(text);
    } finally {
      clearTimeout(this.#writeTimer);
      this.#writeTimer = undefined;
    }
  }

  #end(reason: EndReason): void {
    if (this.#done) return;
    this.#done = true;
    this.#hub.leave(this);
    this.#settings.end.removeEventListener("abort", this.#onStop);
    clearInterval(this.#heartbeat);
    this.#queue.length = 0;
    if (reason === "stopping") {
      this.#queue.push(`event: end\ndata: {"reason":"stopping"}\n\n`);
    }
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    this.#onClose();
    this.#resolveEnded(reason);
  }
}
