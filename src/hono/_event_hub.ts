import type { Clock, Observer, Runtime, RuntimeEventMap } from "../../mod.ts";
import { CommandBuckets, type CommandSeries } from "./_command_buckets.ts";
import { EventRing, type RingEntry } from "./_event_ring.ts";
import type { OpsView } from "./options.ts";
import { publicEvent } from "../../mod.ts";
import type { ServiceIdentity } from "./_service_identity.ts";
import { Marks, type Point, Timeline } from "./_state_timeline.ts";

/** At most one shared `snapshot` per this many ms (4 per second). */
const SNAPSHOT_INTERVAL_MS = 250;
/** How often open streams get fresh `metrics` (and a stall re-check). */
const TICK_MS = 1_000;
/**
 * Command and check events per second that go into the ring one by one;
 * past that, each second's rest is coalesced into one `summary` event per
 * worker and command (or check), so a runtime at full rate costs the
 * streams a few frames a second, not one per dispatch.
 */
const EVENTS_PER_SECOND = 50;

/** What the hub writes to: one open event stream. */
export interface HubSubscriber {
  /** Queues SSE text for the client (bounded by the subscriber). */
  send(text: string): void;
}

/** The hub's settings (from the router's). */
export interface HubSettings {
  /** Ring size: events kept for replay. */
  history: number;
  /** Chart bucket width, ms. */
  bucketMs: number;
  /** Chart window, ms (a whole number of buckets). */
  windowMs: number;
  /** Heartbeat interval, told to the page. */
  heartbeatMs: number;
  /** Which mutating routes the router serves, for the page's controls. */
  controls: { commands: boolean; lifecycle: boolean };
  /** Shown in the page's header. */
  identity: ServiceIdentity;
}

interface Pending {
  worker: string;
  command?: string;
  check?: string;
  count: number;
  failed: number;
  from: number;
  to: number;
}

type Detail = Record<string, unknown>;

/**
 * One runtime's events for every dashboard stream of a router: a single
 * runtime observer fills a bounded ring (replayed to new streams),
 * chart buckets and timelines; snapshots and chart data are built once and
 * the same text goes to every stream. Command and check events past
 * {@linkcode EVENTS_PER_SECOND} are coalesced. Timers run only while a
 * stream is open; `close()` removes the observer.
 *
 * @internal
 */
export class EventHub {
  readonly #runtime: Runtime;
  readonly #view: OpsView;
  readonly #clock: Clock;
  readonly #settings: HubSettings;
  readonly #ring: EventRing;
  readonly #buckets: CommandBuckets;
  readonly #states = new Map<string, Timeline<string>>();
  readonly #restarts = new Map<string, Marks>();
  readonly #stalledSince = new Map<string, number>();
  readonly #readiness = new Timeline<boolean>();
  readonly #live = new Timeline<boolean>();
  readonly #subscribers = new Set<HubSubscriber>();
  readonly #removeObserver: () => void;
  readonly #pending = new Map<string, Pending>();
  /** The entry counted last: a runtime at full rate mostly repeats one. */
  #lastPending: Pending | undefined;
  #windowStart = 0;
  #inWindow = 0;
  #tick: ReturnType<typeof setInterval> | undefined;
  #snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  #lastSnapshotAt = 0;
  #lastSnapshotBody = "";
  #metricsDirty = true;
  #metricsBucket = -1;
  #closed = false;

  constructor(
    runtime: Runtime,
    view: OpsView,
    clock: Clock,
    settings: HubSettings,
  ) {
    this.#runtime = runtime;
    this.#view = view;
    this.#clock = clock;
    this.#settings = settings;
    this.#ring = new EventRing(settings.history);
    this.#buckets = new CommandBuckets(
      settings.bucketMs,
      Math.round(settings.windowMs / settings.bucketMs),
    );
    // An observer, not `EventTarget` listeners: a listener on the command
    // events makes every dispatch build and dispatch two `Event` objects,
    // which cost a bare runtime most of its throughput.
    this.#removeObserver = runtime.observe(this.#observer());
    this.#sample(clock.now());
  }

  /** How many streams are open. */
  get size(): number {
    return this.#subscribers.size;
  }

  /**
   * Adds a stream. In this one turn it gets, in order: `history` (whether
   * it resumes), the ring's events after `lastEventId`, a fresh
   * `snapshot` and the chart `metrics` — so no event falls between the
   * replay, the snapshot and the live events that follow.
   *
   * @param subscriber The stream.
   * @param lastEventId Its `Last-Event-ID`, if any.
   */
  open(subscriber: HubSubscriber, lastEventId: string | undefined): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#flushPending(now, true);
    const replay = this.#ring.since(lastEventId);
    let text = frame("history", {
      resumed: replay.resumed,
      missed: replay.missed,
      events: replay.entries.length,
    });
    for (const entry of replay.entries) text += this.#frameOf(entry);
    const snapshot = this.#snapshotBody(now);
    text += snapshotFrame(snapshot, now);
    text += frame("metrics", this.#metrics(now));
    subscriber.send(text);
    this.#subscribers.add(subscriber);
    this.#tick ??= setInterval(() => this.#onTick(), TICK_MS);
  }

  /** Removes a stream; the last one out stops the timers. */
  leave(subscriber: HubSubscriber): void {
    this.#subscribers.delete(subscriber);
    if (this.#subscribers.size > 0) return;
    clearInterval(this.#tick);
    this.#tick = undefined;
    clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
  }

  /** Removes the runtime listeners and timers (the router is closing). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#removeObserver();
    for (const subscriber of [...this.#subscribers]) this.leave(subscriber);
  }

  /** The runtime observer feeding the hub: one method per streamed event type (docs/ops-and-http.md). */
  #observer(): Observer {
    const on = (type: keyof RuntimeEventMap) => (e: unknown): void =>
      this.#onEvent(type, e, this.#clock.now());
    const checkEnd = { end: on("checkend") };
    const checkStart = on("checkstart");
    return {
      transition: on("transition"),
      readiness: on("readiness"),
      failure: on("failure"),
      // One clock read per dispatch: the end is the start plus the
      // duration the runtime measured on the same clock.
      commandStart: (e) => {
        const started = this.#clock.now();
        this.#onEvent("commandstart", e, started);
        return {
          end: (end) => {
            const ms = end.durationMs;
            const at = typeof ms === "number" && ms >= 0
              ? started + ms
              : this.#clock.now();
            this.#onEvent("commandend", end, at);
          },
        };
      },
      checkStart: (e) => {
        checkStart(e);
        return checkEnd;
      },
    };
  }

  #onEvent(type: keyof RuntimeEventMap, detail: unknown, now: number): void {
    if (detail === null || typeof detail !== "object") return;
    const d = detail as Detail;
    this.#record(type, d, now);
    if (this.#coalesce(type, d, now)) {
      this.#scheduleSnapshot();
      return;
    }
    this.#publish(type, publicEvent(type, detail));
    this.#scheduleSnapshot();
  }

  /** Feeds the charts and timelines (cheap: counters and change points). */
  #record(type: keyof RuntimeEventMap, d: Detail, now: number): void {
    const worker = typeof d.worker === "string" ? d.worker : undefined;
    if (type === "commandend") {
      if (worker === undefined || typeof d.command !== "string") return;
      const ms = typeof d.durationMs === "number" ? d.durationMs : 0;
      this.#buckets.add(now, worker, d.command, d.ok === true, ms);
      this.#metricsDirty = true;
    } else if (type === "transition" && typeof d.to === "string") {
      const lane = worker ?? "runtime";
      this.#state(lane).set(now, d.to);
      if (d.reason === "restart") this.#mark(lane, now);
      if (d.to !== "running") this.#stalledSince.delete(lane);
      this.#metricsDirty = true;
    } else if (type === "readiness" && worker === undefined) {
      this.#readiness.set(now, d.ready === true);
      this.#metricsDirty = true;
    } else if (type === "failure" && d.kind === "stall" && worker) {
      if (!this.#stalledSince.has(worker)) this.#stalledSince.set(worker, now);
      this.#state(worker).set(now, "stalled");
      this.#metricsDirty = true;
    }
  }

  /** True when the event was folded into a `summary` (over the rate). */
  #coalesce(type: keyof RuntimeEventMap, d: Detail, now: number): boolean {
    const command = type === "commandstart" || type === "commandend" ||
      (type === "failure" && d.kind === "command");
    const check = type === "checkstart" || type === "checkend";
    if (!command && !check) return false;
    if (now - this.#windowStart >= 1_000) this.#flushPending(now, false);
    if (this.#inWindow < EVENTS_PER_SECOND) {
      this.#inWindow++;
      return false;
    }
    // Starts and command failures are counted by their `commandend`.
    if (type !== "commandend" && type !== "checkend") return true;
    const worker = typeof d.worker === "string" ? d.worker : "";
    const name = String(check ? d.check : d.command);
    let pending = this.#lastPending;
    if (
      pending?.worker !== worker ||
      (check ? pending.check : pending.command) !== name
    ) {
      const key = `${check ? "k" : "c"}\u0000${worker}\u0000${name}`;
      pending = this.#pending.get(key);
      if (pending === undefined) {
        pending = { worker, count: 0, failed: 0, from: now, to: now };
        if (check) pending.check = name;
        else pending.command = name;
        this.#pending.set(key, pending);
      }
      this.#lastPending = pending;
    }
    pending.count++;
    const failed = check ? d.outcome !== "ready" : d.ok !== true;
    if (failed) pending.failed++;
    pending.to = now;
    return true;
  }

  /** Publishes the coalesced counts; a new rate window begins. */
  #flushPending(now: number, force: boolean): void {
    if (!force || now - this.#windowStart >= 1_000) {
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    if (this.#pending.size === 0) return;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#lastPending = undefined;
    for (const p of pending) {
      this.#publish("summary", {
        ...p,
        from: new Date(p.from).toISOString(),
        to: new Date(p.to).toISOString(),
      });
    }
  }

  #publish(type: string, data: unknown): void {
    const entry = this.#ring.push(type, data);
    if (this.#subscribers.size === 0) return;
    const text = this.#frameOf(entry);
    for (const subscriber of this.#subscribers) subscriber.send(text);
  }

  #frameOf(entry: RingEntry): string {
    return frame(entry.type, entry.data, this.#ring.sseId(entry));
  }

  #state(worker: string): Timeline<string> {
    let timeline = this.#states.get(worker);
    if (timeline === undefined) {
      timeline = new Timeline();
      this.#states.set(worker, timeline);
    }
    return timeline;
  }

  #mark(worker: string, at: number): void {
    let marks = this.#restarts.get(worker);
    if (marks === undefined) {
      marks = new Marks();
      this.#restarts.set(worker, marks);
    }
    marks.add(at);
  }

  /** Syncs the timelines with the runtime's status (stall clears, new workers). */
  #sample(now: number): ReturnType<Runtime["inspect"]> {
    const inspection = this.#runtime.inspect();
    const seen = new Set<string>(["runtime"]);
    this.#state("runtime").set(now, inspection.status.state);
    for (const w of inspection.workers) {
      seen.add(w.qualifiedName);
      const stalled = w.status.stalled && w.status.state === "running";
      if (!stalled) this.#stalledSince.delete(w.qualifiedName);
      else if (!this.#stalledSince.has(w.qualifiedName)) {
        this.#stalledSince.set(w.qualifiedName, now);
      }
      this.#state(w.qualifiedName).set(
        now,
        stalled ? "stalled" : w.status.state,
      );
    }
    for (const name of this.#states.keys()) {
      if (!seen.has(name)) {
        this.#states.delete(name);
        this.#restarts.delete(name);
      }
    }
    this.#readiness.set(now, inspection.status.ready);
    this.#live.set(now, this.#runtime.live());
    return inspection;
  }

  #scheduleSnapshot(): void {
    if (this.#subscribers.size === 0 || this.#snapshotTimer !== undefined) {
      return;
    }
    const wait = Math.max(
      0,
      this.#lastSnapshotAt + SNAPSHOT_INTERVAL_MS - performance.now(),
    );
    // Even with no wait, a timer: a burst of events in one turn (a
    // transition and its readiness change) gets one snapshot after it.
    this.#snapshotTimer = setTimeout(() => {
      this.#snapshotTimer = undefined;
      this.#broadcastSnapshot(false);
    }, wait);
  }

  /** Sends a snapshot to every stream (on a tick: only when it changed). */
  #broadcastSnapshot(onlyChanged: boolean): void {
    if (this.#subscribers.size === 0) return;
    const now = this.#clock.now();
    const body = this.#snapshotBody(now);
    if (onlyChanged && body === this.#lastSnapshotBody) return;
    this.#lastSnapshotBody = body;
    this.#lastSnapshotAt = performance.now();
    const text = snapshotFrame(body, now);
    for (const subscriber of this.#subscribers) subscriber.send(text);
  }

  #onTick(): void {
    const now = this.#clock.now();
    if (now - this.#windowStart >= 1_000) this.#flushPending(now, false);
    const recent = this.#snapshotTimer !== undefined ||
      performance.now() - this.#lastSnapshotAt < SNAPSHOT_INTERVAL_MS;
    if (!recent) this.#broadcastSnapshot(true);
    const bucket = this.#buckets.bucketOf(now);
    if (!this.#metricsDirty && bucket === this.#metricsBucket) return;
    const text = frame("metrics", this.#metrics(now));
    for (const subscriber of this.#subscribers) subscriber.send(text);
  }

  /** The `snapshot` data as JSON, without `now` (so ticks can compare). */
  #snapshotBody(now: number): string {
    const { status, workers, commands } = this.#sample(now);
    const readiness = this.#runtime.readiness();
    const probe = this.#view.readiness();
    const stalls: Record<string, string> = {};
    for (const [worker, since] of this.#stalledSince) {
      stalls[worker] = new Date(since).toISOString();
    }
    return JSON.stringify({
      status,
      readiness: readiness.reason === undefined
        ? { ready: readiness.ready, state: readiness.state }
        : {
          ready: readiness.ready,
          state: readiness.state,
          reason: readiness.reason,
        },
      probes: {
        live: this.#runtime.live(),
        ready: probe.ready,
        ...(probe.reason === undefined ? {} : { reason: probe.reason }),
      },
      identity: this.#settings.identity,
      workers,
      commands,
      stalls,
      controls: { ...this.#settings.controls },
      heartbeatMs: this.#settings.heartbeatMs,
    });
  }

  /** The chart data: command buckets and the timelines over the window. */
  #metrics(now: number): unknown {
    this.#metricsDirty = false;
    this.#metricsBucket = this.#buckets.bucketOf(now);
    const { start, commands } = this.#buckets.read(now);
    const workers: {
      worker: string;
      states: Point<string>[];
      restarts: number[];
    }[] = [];
    for (const [worker, timeline] of this.#states) {
      workers.push({
        worker,
        states: timeline.read(start),
        restarts: this.#restarts.get(worker)?.read(start) ?? [],
      });
    }
    return {
      now,
      start,
      bucketMs: this.#settings.bucketMs,
      windowMs: this.#settings.windowMs,
      commands: commands satisfies CommandSeries[],
      workers,
      readiness: this.#readiness.read(start),
      live: this.#live.read(start),
    };
  }
}

/** One SSE message; `data` is JSON on one line. */
function frame(event: string, data: unknown, id?: string): string {
  const head = id === undefined ? "" : `id: ${id}\n`;
  return `${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function snapshotFrame(body: string, now: number): string {
  const data = body === "{}"
    ? `{"now":${now}}`
    : `{"now":${now},${body.slice(1)}`;
  return `event: snapshot\ndata: ${data}\n\n`;
}
