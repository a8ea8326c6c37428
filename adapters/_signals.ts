// Shared by the adapters: the first SIGINT/SIGTERM aborts one signal; a
// second one exits at once with 130, the conventional "interrupted" code, for
// an operator who does not want to wait for a graceful shutdown.

/** A second SIGINT this soon after the first is a duplicate delivery, ms. */
const REPEAT_WINDOW_MS = 250;

/** How an adapter watches and exits on process signals. */
export interface SignalHost {
  listen(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code: number): never;
}

/** Builds the adapter's memoised `shutdownSignal()`. */
export function signalOnce(host: SignalHost): () => AbortSignal {
  let controller: AbortController | undefined;
  return () => {
    if (controller) return controller.signal;
    const made = new AbortController();
    controller = made;
    let firstAt = 0;
    const onSignal = (name: string) => () => {
      if (made.signal.aborted) {
        // One Ctrl-C delivered twice — by the terminal to the whole process
        // group and again by a task runner that forwards it (deno task
        // does) — is not an operator insisting.
        if (name === "SIGINT" && Date.now() - firstAt < REPEAT_WINDOW_MS) {
          return;
        }
        host.exit(130);
      }
      firstAt = Date.now();
      made.abort(new DOMException(`received ${name}`, "AbortError"));
    };
    host.listen("SIGINT", onSignal("SIGINT"));
    host.listen("SIGTERM", onSignal("SIGTERM"));
    return made.signal;
  };
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
