// Shared by the adapters and the serve entry: the first SIGINT/SIGTERM
// aborts one signal for the whole process; a second one exits at once with
// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), the shell's
// convention, for an operator who does not want to wait.

/** A second SIGINT this soon after the first is a duplicate delivery, ms. */
const REPEAT_WINDOW_MS = 250;

/** The exit code for a shutdown forced by a second signal. */
const FORCED_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** How an adapter watches and exits on process signals. */
export interface SignalHost {
  listen(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code: number): never;
}

let shared: AbortSignal | undefined;

/**
 * The process's shutdown signal: made, and the listeners installed, on the
 * first call from any adapter; the same signal on every later call.
 */
export function processShutdownSignal(host: SignalHost): AbortSignal {
  if (shared) return shared;
  const controller = new AbortController();
  shared = controller.signal;
  let firstAt = 0;
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    if (controller.signal.aborted) {
      // One Ctrl-C delivered twice — by the terminal to the whole process
      // group and again by a task runner that forwards it (deno task
      // does) — is not an operator insisting.
      if (name === "SIGINT" && Date.now() - firstAt < REPEAT_WINDOW_MS) {
        return;
      }
      host.exit(FORCED_EXIT[name]);
    }
    firstAt = Date.now();
    controller.abort(new DOMException(`received ${name}`, "AbortError"));
  };
  host.listen("SIGINT", onSignal("SIGINT"));
  host.listen("SIGTERM", onSignal("SIGTERM"));
  return shared;
}

/** Resolves when `promise` settles or `signal` aborts, whichever comes first. */
export function until(
  promise: Promise<unknown>,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): Promise<void> {
  const settled = promise.then(() => {}, () => {});
  if (!signal) return settled;
  if (signal.aborted) {
    onAbort();
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const abort = (): void => {
      onAbort();
      resolve();
    };
    signal.addEventListener("abort", abort, { once: true });
    settled.then(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    });
  });
}
