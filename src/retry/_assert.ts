// Private argument checks shared by the retry toolkit. Wrong types throw
// TypeError, values out of range throw RangeError (see STYLE.md).
import type { Clock } from "../base/clock.ts";

/** Throws unless `value` is a finite number `>= 0`. */
export function assertDelayArg(name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${name} must be a number of milliseconds, got ${describe(value)}`,
    );
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${name} must be a finite number >= 0, got ${String(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a finite number in `[min, max]`. */
export function assertNumberInRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity
      ? `a finite number >= ${min}`
      : `a number in [${min}, ${max}]`;
    throw new RangeError(`${name} must be ${range}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is a function. */
export function assertFunction<F>(name: string, value: F): F {
  if (typeof value !== "function") {
    throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is `undefined` or a non-null object. */
export function assertOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TypeError(
      `${name} must be an object or undefined, got ${describe(value)}`,
    );
  }
}

/** Throws unless `value` is `undefined` or looks like an `AbortSignal`. */
export function assertSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<AbortSignal> | null;
  if (
    typeof candidate !== "object" || candidate === null ||
    typeof candidate.aborted !== "boolean" ||
    typeof candidate.addEventListener !== "function" ||
    typeof candidate.removeEventListener !== "function"
  ) {
    throw new TypeError(
      `options.signal must be an AbortSignal, got ${describe(value)}`,
    );
  }
  return value as AbortSignal;
}

/** Throws unless `value` is `undefined` or implements {@linkcode Clock}. */
export function assertClock(value: unknown): Clock | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<Clock> | null;
  if (
    typeof candidate !== "object" || candidate === null ||
    typeof candidate.now !== "function" ||
    typeof candidate.setTimeout !== "function" ||
    typeof candidate.clearTimeout !== "function"
  ) {
    throw new TypeError(
      `options.clock must implement now(), setTimeout() and clearTimeout(), got ${
        describe(value)
      }`,
    );
  }
  return value as Clock;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
