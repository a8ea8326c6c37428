// A consumer loop built with loopWorker(): onStart opens a (simulated) broker
// connection, the loop takes messages until its signal aborts — finishing the
// message in hand, never starting a new one after drain — and onStop closes
// the connection once the loop has settled. The loop marks itself ready after
// a short warm-up (autoReady: false) and heartbeats as it makes progress.
//
//   deno run -A examples/loop-worker/main.ts
//   node examples/loop-worker/main.ts          (Node 22.18+ or 24)
//   bun examples/loop-worker/main.ts
import { loopWorker, Runtime } from "../../mod.ts";

const started = performance.now();
function log(message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(4)} ms  ${message}`);
}

/** A stand-in for a broker client: messages arrive every 20 ms. */
class Broker {
  #next = 1;
  connected = false;

  connect(): Promise<void> {
    this.connected = true;
    return Promise.resolve();
  }

  /** Waits for the next message, or rejects with the signal's reason. */
  receive(signal: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve(`order-${this.#next++}`);
      }, 20);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  close(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }
}

const broker = new Broker();
let processed = 0;

const runtime = new Runtime({ name: "shop" });
runtime.register({
  name: "orders",
  description: "consumes orders from the broker",
  stallTimeout: 1_000,
  worker: loopWorker(async ({ signal, drainSignal, worker }) => {
    // The loop's own signal aborts at stop; drainSignal aborts earlier, at drain.
    const stopTaking = AbortSignal.any([signal, drainSignal]);
    await new Promise((resolve) => setTimeout(resolve, 50)); // warm a cache
    worker.setReady(true);
    log("loop: warmed up, ready");
    while (!stopTaking.aborted) {
      let order: string;
      try {
        order = await broker.receive(stopTaking);
      } catch {
        break; // stop or drain while waiting: nothing in hand
      }
      processed++;
      worker.heartbeat();
      log(`loop: processed ${order}`);
    }
    log("loop: leaving");
  }, {
    onStart: async () => {
      await broker.connect();
      log("onStart: broker connected");
    },
    onStop: async () => {
      await broker.close();
      log("onStop: broker closed");
    },
    autoReady: false,
  }),
});

await runtime.startAll();
log(`started: ready=${runtime.status().ready} (the loop is still warming up)`);
await new Promise((resolve) => setTimeout(resolve, 110));
log(`running: ready=${runtime.status().ready}, processed=${processed}`);
await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
const status = runtime.worker("orders")!.status;
log(
  `shut down: state=${status.state}, broker connected=${broker.connected}, processed=${processed}`,
);
