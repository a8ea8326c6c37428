/** One event kept for replay: its id, SSE event type and public data. */
export interface RingEntry {
  /** The SSE `id`: increases by one per event, starting at 1. */
  readonly id: number;
  /** The SSE `event` field. */
  readonly type: string;
  /** The public payload (already picked, see `publicEvent`). */
  readonly data: unknown;
}

/** What a new stream replays: the entries after its `Last-Event-ID`. */
export interface Replay {
  /** The entries to send, oldest first. */
  entries: readonly RingEntry[];
  /**
   * True when the client's `Last-Event-ID` was still in the ring (or the
   * newest id): the entries continue its list with no gap and no
   * duplicate. False for a fresh client or one that missed evicted events.
   */
  resumed: boolean;
  /** Events the client missed for good (evicted before it came back). */
  missed: number;
}

/**
 * A bounded ring of the most recent public events, so a new stream can
 * first show what happened before it opened and a reconnecting client can
 * resume from its `Last-Event-ID`. Ids are per ring, never reused.
 */
export class EventRing {
  readonly #capacity: number;
  readonly #entries: (RingEntry | undefined)[];
  /** Tells this ring's ids from another process's (a restarted pod). */
  readonly #epoch = Math.floor(Math.random() * 2 ** 32).toString(36);
  #next = 1;

  /** A capacity of 0 keeps nothing. */
  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#entries = new Array(capacity);
  }

  /** The id the next event gets. */
  get nextId(): number {
    return this.#next;
  }

  /**
   * The SSE `id` of an entry: `{epoch}-{id}`, so a client that comes back
   * to a restarted process is not mistaken for one that can resume.
   */
  sseId(entry: RingEntry): string {
    return `${this.#epoch}-${entry.id}`;
  }

  /** Keeps an event, evicting the oldest when full. */
  push(type: string, data: unknown): RingEntry {
    const entry: RingEntry = { id: this.#next++, type, data };
    if (this.#capacity > 0) {
      this.#entries[entry.id % this.#capacity] = entry;
    }
    return entry;
  }

  /**
   * The entries a stream should replay: those after `lastEventId`, or all
   * kept ones when it is absent, malformed or older than the ring's memory.
   */
  since(lastEventId: string | undefined): Replay {
    const newest = this.#next - 1;
    const oldest = Math.max(1, this.#next - this.#capacity);
    const last = this.#parseId(lastEventId, newest);
    if (last === undefined) {
      return {
        entries: this.#range(oldest, newest),
        resumed: false,
        missed: 0,
      };
    }
    if (last + 1 >= oldest) {
      return {
        entries: this.#range(last + 1, newest),
        resumed: true,
        missed: 0,
      };
    }
    return {
      entries: this.#range(oldest, newest),
      resumed: false,
      missed: oldest - last - 1,
    };
  }

  /** A `Last-Event-ID` this ring sent: its epoch and an id <= newest. */
  #parseId(value: string | undefined, newest: number): number | undefined {
    if (value === undefined) return undefined;
    const match = /^([0-9a-z]{1,7})-(\d{1,15})$/.exec(value);
    if (match === null || match[1] !== this.#epoch) return undefined;
    const id = Number(match[2]);
    return id <= newest ? id : undefined;
  }

  #range(from: number, to: number): RingEntry[] {
    const out: RingEntry[] = [];
    if (this.#capacity === 0) return out;
    for (let id = from; id <= to; id++) {
      const entry = this.#entries[id % this.#capacity];
      if (entry?.id === id) out.push(entry);
    }
    return out;
  }
}
