/**
 * Idempotency keys for `POST {prefix}/commands/dispatch` (the IETF httpapi
 * `Idempotency-Key` draft): the first request with a key runs; a retry with
 * the same key and the same body within the window gets the first answer
 * again. Process-local and bounded: a restart or another replica forgets.
 *
 * @module
 */

/** The most keys kept at once; past it the oldest is forgotten first. */
export const MAX_IDEMPOTENCY_KEYS = 10_000;

/** The most bytes of stored answers kept at once; past it the oldest go first. */
export const MAX_IDEMPOTENCY_BYTES = 32 * 1024 * 1024;

/** The longest `Idempotency-Key` accepted. */
const MAX_KEY_LENGTH = 255;

/** A stored answer: what the first request got. */
export interface StoredAnswer {
  /** The HTTP status. */
  readonly status: number;
  /** The JSON body text. */
  readonly body: string;
}

interface Entry {
  readonly fingerprint: string;
  readonly expiresAt: number;
  answer: StoredAnswer | undefined;
}

/** What a request with a key finds. */
export type Claim =
  | { kind: "run"; finish(answer: StoredAnswer | undefined): void }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "running" }
  | { kind: "mismatch" };

/**
 * The keys seen within the window, each with its request's fingerprint and,
 * once done, its answer. Entries are kept in arrival order, which is also
 * expiry order, so expiry costs O(1) per key.
 */
export class IdempotencyStore {
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(windowMs: number, now: () => number, max = MAX_IDEMPOTENCY_KEYS) {
    this.#windowMs = windowMs;
    this.#now = now;
    this.#max = max;
  }

  /** How many keys are remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Claims `key` for a request with `fingerprint`: run it (then call
   * `finish` with the answer to keep, or `undefined` to forget the key),
   * replay the stored answer, or refuse.
   */
  claim(key: string, fingerprint: string): Claim {
    const now = this.#now();
    this.#expire(now);
    const found = this.#entries.get(key);
    if (found) {
      if (found.fingerprint !== fingerprint) return { kind: "mismatch" };
      if (found.answer === undefined) return { kind: "running" };
      return { kind: "replay", answer: found.answer };
    }
    while (this.#entries.size >= this.#max) this.#forgetOldest();
    const entry: Entry = {
      fingerprint,
      expiresAt: now + this.#windowMs,
      answer: undefined,
    };
    this.#entries.set(key, entry);
    return {
      kind: "run",
      finish: (answer) => {
        if (this.#entries.get(key) !== entry) return;
        if (answer === undefined) {
          this.#entries.delete(key);
          return;
        }
        entry.answer = answer;
        this.#bytes += answer.body.length;
        while (this.#bytes > MAX_IDEMPOTENCY_BYTES) this.#forgetOldest();
      },
    };
  }

  #expire(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) return;
      this.#delete(key, entry);
    }
  }

  #forgetOldest(): void {
    const [key, entry] = this.#entries.entries().next().value as [
      string,
      Entry,
    ];
    this.#delete(key, entry);
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    if (entry.answer) this.#bytes -= entry.answer.body.length;
  }
}

/**
 * The key from an `Idempotency-Key` header: a structured-field string
 * (`"abc"`) or, as many clients send it, the bare text; 1 to 255 visible
 * ASCII characters. `undefined` when absent, `null` when malformed.
 */
export function idempotencyKey(
  header: string | undefined,
): string | undefined | null {
  if (header === undefined) return undefined;
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    key = key.slice(1, -1);
  }
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return null;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return null;
  }
  return key;
}

/**
 * JSON with every object's keys sorted, so the same request written in
 * another key order has the same fingerprint. The value is parsed JSON.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value === null || typeof value !== "object") {
    return JSON.stringify(value) ?? "null";
  }
  const keys = Object.keys(value).sort();
  const record = value as Record<string, unknown>;
  return `{${
    keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(
      ",",
    )
  }}`;
}

/** A SHA-256 of the request, so a reused key with another body is found without keeping the body. */
export async function fingerprintOf(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  let hex = "";
  for (const byte of new Uint8Array(digest)) {
    hex += byte.toString(16).padStart(2, "0");
  }
  return hex;
}
