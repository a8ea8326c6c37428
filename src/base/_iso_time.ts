let lastMs = Number.NaN;
let lastIso = "";

/**
 * `new Date(ms).toISOString()`, remembering the last answer: formatting a
 * date costs more than the rest of an observed dispatch, and events that
 * follow each other within one millisecond share the same string.
 */
export function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  if (whole !== lastMs) {
    lastMs = whole;
    lastIso = new Date(whole).toISOString();
  }
  return lastIso;
}
