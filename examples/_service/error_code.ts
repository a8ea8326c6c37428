// What of a thrown value may be logged or stored: its code, never its text.

/**
 * A thrown value's own code fit for logs and tables — an
 * OperationalFailure's public code, a driver's SQLSTATE, an errno like
 * `ECONNREFUSED` — or `fallback`. Never the message: it may hold a
 * connection string or query data.
 */
export function errorCode(error: unknown, fallback = "error"): string {
  let code: unknown;
  try {
    code = (error as { code?: unknown } | null)?.code;
  } catch {
    return fallback; // a hostile getter
  }
  return typeof code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(code)
    ? code
    : fallback;
}
