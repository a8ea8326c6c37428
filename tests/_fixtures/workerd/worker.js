// The workerd side of tests/workerd.test.ts: a module worker that imports
// the bundled core and, on GET /story, runs a runtime through start →
// dispatch → status → shutdown (and runService() on an AbortController, as an
// edge host without signals would) inside the request, then answers with
// what it saw as JSON. GET /ping answers "pong" so the test knows it is up.
import {
  runService,
  Runtime,
  systemClock,
  WorkerkitError,
} from "./workerkit.js";

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/ping") return new Response("pong");
    if (pathname !== "/story") {
      return new Response("not found", { status: 404 });
    }
    try {
      return Response.json(await story());
    } catch (error) {
      return Response.json({
        error: String(error),
        code: error?.code,
        stack: error?.stack,
      }, { status: 500 });
    }
  },
};

/** The web-standard globals the core relies on (SPEC section 2). */
function globals() {
  return {
    AbortController: typeof AbortController,
    AbortSignalAny: typeof AbortSignal.any,
    AbortSignalTimeout: typeof AbortSignal.timeout,
    DOMException: typeof DOMException,
    Event: typeof Event,
    EventTarget: typeof EventTarget,
    cryptoRandomUUID: typeof crypto?.randomUUID,
    performanceNow: typeof performance?.now,
    performanceTimeOrigin: typeof performance?.timeOrigin,
    setTimeout: typeof setTimeout,
    structuredClone: typeof structuredClone,
  };
}

const pick = ({ state, ready, inFlight, workers }) => ({
  state,
  ready,
  inFlight,
  workers,
});

async function story() {
  const lifecycle = [];
  const runtime = new Runtime({ name: "edge" });
  const transitions = [];
  runtime.addEventListener("transition", (event) => {
    if (event.detail.worker === undefined) {
      transitions.push(`${event.detail.from}->${event.detail.to}`);
    }
  });
  const dispatchIds = [];
  runtime.addEventListener("commandstart", (event) => {
    dispatchIds.push(event.detail.dispatchId);
  });
  runtime.register({
    name: "cache",
    worker: {
      async start() {
        // A real timer inside the request: workerd's clock moves across it.
        await new Promise((resolve) => setTimeout(resolve, 5));
        lifecycle.push("start");
      },
      stop: () => void lifecycle.push("stop"),
    },
    commandTimeout: 50,
    commands: [
      {
        name: "cache/refresh",
        handler: (request, ctx) => ({
          message: "refreshed",
          payload: {
            echo: structuredClone(request.payload),
            attempt: ctx.attempt,
            signalAborted: ctx.signal.aborted,
          },
        }),
      },
      // Runs until its deadline (commandTimeout) aborts it.
      {
        name: "hang",
        handler: (_request, ctx) =>
          new Promise((_resolve, reject) => {
            ctx.signal.addEventListener(
              "abort",
              () => reject(ctx.signal.reason),
              { once: true },
            );
          }),
      },
    ],
  });

  const before = pick(runtime.status());
  await runtime.startAll({ signal: AbortSignal.timeout(5_000) });
  const started = pick(runtime.status());
  const readinessStarted = runtime.readiness().ready;

  const result = await runtime.dispatch({
    worker: "cache",
    name: "cache/refresh",
    payload: { n: 1 },
  }, { signal: AbortSignal.timeout(5_000) });

  let deadline;
  try {
    await runtime.dispatch({ worker: "cache", name: "hang" });
    deadline = "resolved";
  } catch (error) {
    deadline = error instanceof WorkerkitError ? error.code : String(error);
  }
  const afterDispatch = pick(runtime.status());

  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
  const stopped = pick(runtime.status());
  const readinessStopped = runtime.readiness().ready;

  // runService() on an edge host: no process signals, an AbortController.
  const service = new Runtime({ name: "edge-service" });
  const serviceLog = [];
  service.register({
    name: "ingest",
    worker: {
      start: () => void serviceLog.push("start"),
      stop: () => void serviceLog.push("stop"),
    },
  });
  const stop = new AbortController();
  const running = runService({ runtime: service, signal: stop.signal });
  await new Promise((resolve) => setTimeout(resolve, 5));
  const serviceReady = service.status().ready;
  stop.abort();
  const { exitCode } = await running;

  const now = systemClock.now();
  return {
    globals: globals(),
    clock: { skewMs: Math.abs(now - Date.now()) },
    before,
    started,
    readinessStarted,
    dispatch: { message: result.message, payload: result.payload },
    dispatchIds,
    deadline,
    afterDispatch,
    stopped,
    readinessStopped,
    lastTransitionAt: runtime.status().lastTransition?.at,
    transitions,
    lifecycle,
    service: {
      ready: serviceReady,
      exitCode,
      state: service.status().state,
      log: serviceLog,
    },
  };
}
