// Shows the three failure policies. Three broker consumers, one per policy
// (isolate, mark-runtime-unready, fail-runtime), lose their broker one after
// the other and report it through ctx.worker.reportFailure(...) with an
// OperationalFailure. After each failure the runtime's state, readiness and
// command admission are printed, next to an `api` worker that stays healthy.
// Finally it checks that the secret inside the private cause appears nowhere
// in the status JSON, although observers still receive the cause.
//
// The consumers set contributesToReadiness: false so that readiness shows the
// policy alone: a failed worker that contributes makes the runtime unready
// under the default "contributing" readiness policy whatever its policy.
//
//   deno run -A examples/failure-policy/main.ts
//   node examples/failure-policy/main.ts          (Node 22.18+ or 24)
//   bun examples/failure-policy/main.ts
import {
  type FailureEvent,
  type FailurePolicy,
  OperationalFailure,
  Runtime,
  type RuntimeEvent,
  type Worker,
  WorkerkitError,
} from "../../mod.ts";

const SECRET = "s3cr3t-pa55word";

/** A stand-in for a broker connection that can be dropped from outside. */
class Connection {
  onLost: ((error: Error) => void) | undefined;
  lose(): void {
    this.onLost?.(
      new Error(`amqp://ingest:${SECRET}@broker.internal:5672 ECONNRESET`),
    );
  }
}

/** A consumer that turns a lost connection into a reported failure. */
function consumer(connection: Connection): Worker {
  return {
    start(ctx) {
      connection.onLost = (err) =>
        ctx.worker.reportFailure(
          new OperationalFailure(
            { code: "broker_lost", message: "broker connection lost" },
            { cause: err },
          ),
        );
    },
    stop() {
      connection.onLost = undefined;
    },
  };
}

const runtime = new Runtime({ name: "orders" });
runtime.register({
  name: "api",
  worker: { start() {}, stop() {} },
  commands: [{ name: "orders/count", handler: () => ({ payload: 3 }) }],
});

const connections = new Map<string, Connection>();
const consumers: Array<[string, FailurePolicy]> = [
  ["isolated", "isolate"],
  ["reporting", "mark-runtime-unready"],
  ["ledger", "fail-runtime"],
];
for (const [name, failurePolicy] of consumers) {
  const connection = new Connection();
  connections.set(name, connection);
  runtime.register({
    name,
    failurePolicy,
    contributesToReadiness: false,
    worker: consumer(connection),
  });
}

// Observers get the original error as the private `cause`; public surfaces
// (status, the event's code and message) only ever get the public projection.
let privateCauses = 0;
runtime.addEventListener("failure", (event) => {
  const e = (event as RuntimeEvent<FailureEvent>).detail;
  const original = (e.cause as OperationalFailure).cause as Error;
  if (original.message.includes(SECRET)) privateCauses++;
});

async function admission(): Promise<string> {
  try {
    await runtime.dispatch({ worker: "api", name: "orders/count" });
    return "open";
  } catch (error) {
    return error instanceof WorkerkitError ? error.code : String(error);
  }
}

async function report(what: string): Promise<void> {
  const s = runtime.status();
  console.log(
    `${what.padEnd(40)} state=${s.state.padEnd(8)} ready=${
      String(s.ready).padEnd(5)
    } dispatch=${await admission()}`,
  );
}

await runtime.startAll();
await report("all running");

for (const [name, policy] of consumers) {
  connections.get(name)!.lose();
  const failure = runtime.worker(name)!.status.lastFailure;
  await report(`${name} (${policy}) failed`);
  console.log(`  ${name}.lastFailure: ${failure?.code} "${failure?.message}"`);
}

await runtime.stop("ledger");
await report("ledger stopped");

const json = JSON.stringify({
  status: runtime.status(),
  workers: runtime.workers(),
});
console.log(`secret in status JSON: ${json.includes(SECRET)}`);
console.log(`failure events whose private cause holds it: ${privateCauses}`);

await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
