/**
 * Latency histogram bins: bin `b` holds durations near `2^(b/8 - 10)` ms,
 * from about 1 µs to about 70 minutes in steps of ~9 %, so p50/p99 cost a
 * fixed 256 counters per open bucket whatever the dispatch rate.
 */
const BINS = 256;
const PER_OCTAVE = 8;
const OFFSET = 10;

function binOf(ms: number): number {
  if (!(ms > 0)) return 0;
  const bin = Math.floor((Math.log2(ms) + OFFSET) * PER_OCTAVE);
  return bin < 0 ? 0 : bin >= BINS ? BINS - 1 : bin;
}

function valueOf(bin: number): number {
  const ms = 2 ** ((bin + 0.5) / PER_OCTAVE - OFFSET);
  return Math.round(ms * 1000) / 1000;
}

function quantile(hist: Uint32Array, count: number, q: number): number {
  const rank = Math.max(1, Math.ceil(count * q));
  let seen = 0;
  for (let bin = 0; bin < BINS; bin++) {
    seen += hist[bin]!;
    if (seen >= rank) return valueOf(bin);
  }
  return valueOf(BINS - 1);
}

/** One command's series in the chart data, one value per bucket. */
export interface CommandSeries {
  /** The qualified worker name. */
  worker: string;
  /** The command. */
  command: string;
  /** Dispatches that ended in each bucket. */
  count: number[];
  /** Of those, the failed ones. */
  failed: number[];
  /** Median duration in ms (null for an empty bucket). */
  p50: (number | null)[];
  /** 99th percentile duration in ms (null for an empty bucket). */
  p99: (number | null)[];
}

class Series {
  readonly worker: string;
  readonly command: string;
  /** Per slot: the bucket number it holds, or -1. */
  readonly #stamp: number[];
  readonly #count: number[];
  readonly #failed: number[];
  readonly #p50: (number | null)[];
  readonly #p99: (number | null)[];
  readonly #hist = new Uint32Array(BINS);
  #open = -1;
  lastBucket = -1;

  constructor(worker: string, command: string, slots: number) {
    this.worker = worker;
    this.command = command;
    this.#stamp = new Array(slots).fill(-1);
    this.#count = new Array(slots).fill(0);
    this.#failed = new Array(slots).fill(0);
    this.#p50 = new Array(slots).fill(null);
    this.#p99 = new Array(slots).fill(null);
  }

  add(bucket: number, ok: boolean, ms: number): void {
    this.#roll(bucket);
    const slot = bucket % this.#stamp.length;
    this.#count[slot]!++;
    if (!ok) this.#failed[slot]!++;
    this.#hist[binOf(ms)]!++;
    this.lastBucket = bucket;
  }

  /** Closes the open bucket (its quantiles freeze) when `bucket` is newer. */
  #roll(bucket: number): void {
    if (bucket === this.#open) return;
    if (this.#open >= 0) this.#freeze();
    const slot = bucket % this.#stamp.length;
    this.#stamp[slot] = bucket;
    this.#count[slot] = 0;
    this.#failed[slot] = 0;
    this.#p50[slot] = null;
    this.#p99[slot] = null;
    this.#hist.fill(0);
    this.#open = bucket;
  }

  #freeze(): void {
    const slot = this.#open % this.#stamp.length;
    const n = this.#count[slot]!;
    if (n > 0) {
      this.#p50[slot] = quantile(this.#hist, n, 0.5);
      this.#p99[slot] = quantile(this.#hist, n, 0.99);
    }
  }

  read(first: number, slots: number): CommandSeries {
    const out: CommandSeries = {
      worker: this.worker,
      command: this.command,
      count: [],
      failed: [],
      p50: [],
      p99: [],
    };
    for (let bucket = first; bucket < first + slots; bucket++) {
      const slot = bucket % this.#stamp.length;
      if (this.#stamp[slot] !== bucket) {
        out.count.push(0);
        out.failed.push(0);
        out.p50.push(null);
        out.p99.push(null);
        continue;
      }
      const n = this.#count[slot]!;
      out.count.push(n);
      out.failed.push(this.#failed[slot]!);
      const open = bucket === this.#open && n > 0;
      out.p50.push(
        open ? quantile(this.#hist, n, 0.5) : this.#p50[slot] ?? null,
      );
      out.p99.push(
        open ? quantile(this.#hist, n, 0.99) : this.#p99[slot] ?? null,
      );
    }
    return out;
  }
}

/**
 * Per-command throughput, failures and p50/p99 latency in fixed time
 * buckets over a sliding window: a dispatch costs two counter increments
 * and a histogram bin, whatever the rate, so the charts never cost the
 * runtime one frame per dispatch.
 */
export class CommandBuckets {
  readonly #bucketMs: number;
  readonly #slots: number;
  readonly #series = new Map<string, Series>();
  /** The series counted last: a runtime at full rate mostly repeats one. */
  #last: Series | undefined;
  /** Most commands tracked; older idle ones make room for new ones. */
  static readonly MAX_SERIES = 64;

  constructor(bucketMs: number, slots: number) {
    this.#bucketMs = bucketMs;
    this.#slots = slots;
  }

  /** The bucket number of a time, ms. */
  bucketOf(nowMs: number): number {
    return Math.floor(nowMs / this.#bucketMs);
  }

  /** Counts one ended dispatch. */
  add(
    nowMs: number,
    worker: string,
    command: string,
    ok: boolean,
    durationMs: number,
  ): void {
    let series = this.#last;
    if (series?.worker !== worker || series.command !== command) {
      const key = `${worker}\u0000${command}`;
      series = this.#series.get(key);
      if (series === undefined) {
        this.#evictFor();
        series = new Series(worker, command, this.#slots);
        this.#series.set(key, series);
      }
      this.#last = series;
    }
    series.add(this.bucketOf(nowMs), ok, durationMs);
  }

  /** The window ending with `nowMs`'s bucket: its start and active series. */
  read(nowMs: number): { start: number; commands: CommandSeries[] } {
    const last = this.bucketOf(nowMs);
    const first = last - this.#slots + 1;
    const commands: CommandSeries[] = [];
    for (const series of this.#series.values()) {
      if (series.lastBucket < first) continue;
      commands.push(series.read(first, this.#slots));
    }
    commands.sort((a, b) =>
      a.worker === b.worker
        ? (a.command < b.command ? -1 : 1)
        : (a.worker < b.worker ? -1 : 1)
    );
    return { start: first * this.#bucketMs, commands };
  }

  #evictFor(): void {
    if (this.#series.size < CommandBuckets.MAX_SERIES) return;
    let oldest: [string, Series] | undefined;
    for (const entry of this.#series) {
      if (oldest === undefined || entry[1].lastBucket < oldest[1].lastBucket) {
        oldest = entry;
      }
    }
    if (oldest !== undefined) this.#series.delete(oldest[0]);
  }
}
