import { test } from "node:test";
import assert from "node:assert/strict";
import {
  attempts,
  commandFromOps,
  loopWorker,
  OperationalFailure,
  OpsCommandError,
  Runtime,
  WorkerkitError,
} from "../mod.ts";
import type { Command, RuntimeOptions, WorkerRegistration } from "../mod.ts";
import { opsRouter } from "../src/hono/mod.ts";
import { call, post, type Reply, withServer } from "./_support/serve.ts";
import { startPrices } from "./_support/prices.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { type Deferred, deferred, until } from "./_support/workers.ts";

const DISPATCH = "/admin/commands/dispatch";

function assertError(
  reply: Reply,
  status: number,
  code: string,
  message?: string,
): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.body?.error?.code, code, reply.text);
  if (message !== undefined) assert.equal(reply.body.error.message, message);
  assert.deepEqual(Object.keys(reply.body), ["error"]);
  assert.deepEqual(Object.keys(reply.body.error), ["code", "message"]);
}

/**
 * Runs `check` while a dispatch of "prices"/"slow" holds its slot, then opens
 * `gate` and waits for that dispatch to finish.
 */
async function whileSlowHolds(
  runtime: Runtime,
  gate: Deferred,
  check: () => Promise<void>,
): Promise<void> {
  const first = runtime.dispatch({ worker: "prices", name: "slow" });
  try {
    await check();
  } finally {
    gate.resolve();
    await first;
  }
}

/**
 * Runs `check`, then opens `gate` (even if `check` failed) and waits until
 * nothing is in flight.
 */
async function thenRelease(
  runtime: Runtime,
  gate: Deferred,
  check: () => Promise<void>,
): Promise<void> {
  try {
    await check();
  } finally {
    gate.resolve();
  }
  await until(() => runtime.status().inFlight === 0, "idle");
}

/**
 * A started runtime "svc" with a worker "prices" holding `commands`, served
 * by an opsRouter with commands and lifecycle (auth always allows).
 */
async function withPrices(
  commands: Command[],
  fn: (url: URL, runtime: Runtime) => Promise<void>,
  options: {
    runtime?: Partial<RuntimeOptions>;
    worker?: Partial<WorkerRegistration>;
    bodyLimit?: number;
    timeout?: number;
  } = {},
): Promise<void> {
  const runtime = await startPrices(commands, options);
  const app = opsRouter({
    runtime,
    auth: () => true,
    commands: true,
    lifecycle: true,
    ...(options.bodyLimit === undefined
      ? {}
      : { bodyLimit: options.bodyLimit }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
  try {
    await withServer(app.fetch, (url) => fn(url, runtime));
  } finally {
    await runtime.shutdown({ signal: AbortSignal.timeout(5_000) }).catch(
      () => {},
    );
  }
}

test("a 1 MiB body answers 413 payload_too_large", async () => {
  await withPrices([], async (url) => {
    const huge = JSON.stringify({
      worker: "prices",
      name: "noop",
      payload: "x".repeat(1024 * 1024),
    });
    for (let i = 0; i < 3; i++) {
      const tooLarge = await post(url, DISPATCH, huge);
      assertError(tooLarge, 413, "payload_too_large", "payload too large");
      assert.equal(tooLarge.headers.get("connection"), "close");
      assertError(
        await post(url, "/admin/workers/stop", huge),
        413,
        "payload_too_large",
      );
      const fine = await post(url, DISPATCH, {
        worker: "prices",
        name: "noop",
      });
      assert.equal(fine.status, 200, fine.text);
    }
  });
});

test("bodyLimit caps bodies, with or without a Content-Length", async () => {
  const runtime = await startPrices();
  const app = opsRouter({
    runtime,
    commands: true,
    auth: () => true,
    bodyLimit: 100,
  });
  const body = (size: number): string => {
    const base = JSON.stringify({
      worker: "prices",
      name: "noop",
      payload: "",
    });
    return base.replace('""', JSON.stringify("y".repeat(size - base.length)));
  };
  const send = (text: string, chunked: boolean): Promise<Response> => {
    const bytes = new TextEncoder().encode(text);
    const init: RequestInit & { duplex?: "half" } = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunked
        ? new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 16) {
              controller.enqueue(bytes.slice(i, i + 16));
            }
            controller.close();
          },
        })
        : bytes,
    };
    if (chunked) init.duplex = "half";
    return Promise.resolve(app.request(DISPATCH, init));
  };
  for (const chunked of [false, true]) {
    assert.equal((await send(body(100), chunked)).status, 200);
    const over = await send(body(101), chunked);
    assert.equal(over.status, 413);
    assert.deepEqual(await over.json(), {
      error: { code: "payload_too_large", message: "payload too large" },
    });
  }
  await runtime.shutdown();
});

test("bodies that are not strict JSON answer 415 or 400 invalid_json", async () => {
  await withPrices([], async (url) => {
    const good = JSON.stringify({ worker: "prices", name: "noop" });
    const sendAs = (body: BodyInit, headers: Record<string, string>) =>
      call(url, DISPATCH, { method: "POST", body, headers });

    const bytes = new TextEncoder().encode(good);
    assertError(await sendAs(bytes, {}), 415, "unsupported_media_type");
    assertError(
      await sendAs(good, { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    assertError(
      await sendAs(good, {
        "content-type": "application/json; charset=utf-16",
      }),
      415,
      "unsupported_media_type",
    );
    assertError(
      await sendAs(good, {
        "content-type": "application/x-www-form-urlencoded",
      }),
      415,
      "unsupported_media_type",
    );
    const typed = await sendAs(good, {
      "content-type": 'Application/JSON; Charset="UTF-8"',
    });
    assert.equal(typed.status, 200, typed.text);

    for (
      const malformed of [
        "{bad",
        "",
        '{"worker":"prices","name":"noop",}',
        '{"worker":"prices"} trailing',
        "NaN",
        "[".repeat(50_000),
      ]
    ) {
      const reply = await post(url, DISPATCH, malformed);
      assertError(reply, 400, "invalid_json", "request body is not valid JSON");
    }
    const invalidUtf8 = new Uint8Array([
      0x7b,
      0x22,
      0xff,
      0x22,
      0x3a,
      0x31,
      0x7d,
    ]);
    assertError(
      await sendAs(invalidUtf8, { "content-type": "application/json" }),
      400,
      "invalid_json",
    );
  });
});

test("unknown fields and wrong types answer 400 invalid_argument", async () => {
  await withPrices([], async (url) => {
    const dispatches: unknown[] = [
      "[]",
      "null",
      "42",
      '"prices"',
      { worker: "prices", name: "noop", extra: true },
      '{"worker":"prices","name":"noop","__proto__":{"x":1}}',
      { worker: 1, name: "noop" },
      { worker: "prices", name: ["noop"] },
      { worker: null, name: "noop" },
      { name: "noop" },
      { worker: "prices" },
      {},
    ];
    for (const body of dispatches) {
      assertError(await post(url, DISPATCH, body), 400, "invalid_argument");
    }
    for (
      const body of [
        { worker: "prices", force: true },
        { worker: 7 },
        {},
        [],
      ]
    ) {
      assertError(
        await post(url, "/admin/workers/stop", body),
        400,
        "invalid_argument",
      );
    }
    for (const body of [{ now: true }, [], "null"]) {
      assertError(
        await post(url, "/admin/runtime/stop", body),
        400,
        "invalid_argument",
      );
    }
  });
});

test("invalid names answer 400 invalid_name without echoing the input", async () => {
  await withPrices([], async (url, runtime) => {
    const script = "<script>alert(1)</script>";
    const replies = [
      await post(url, DISPATCH, { worker: script, name: "noop" }),
      await post(url, DISPATCH, { worker: "prices", name: script }),
      await post(url, DISPATCH, { worker: "", name: "noop" }),
      await post(url, DISPATCH, { worker: "a/b/c", name: "noop" }),
      await post(url, DISPATCH, { worker: "prices", name: "cache/" }),
      await post(url, DISPATCH, { worker: "Prices", name: "noop" }),
      await post(url, "/admin/workers/start", { worker: script }),
      await post(url, "/admin/workers/drain", { worker: "x".repeat(200) }),
    ];
    for (const reply of replies) {
      assertError(reply, 400, "invalid_name");
      assert.equal(reply.text.includes("script"), false, reply.text);
      assert.equal(reply.text.includes("alert"), false, reply.text);
      assert.equal(reply.text.includes("xxxx"), false, reply.text);
    }
    assert.equal(runtime.worker("prices")!.status.state, "running");
  });
});

test("an unknown worker or command answers 404", async () => {
  await withPrices([], async (url) => {
    assertError(
      await post(url, DISPATCH, { worker: "missing", name: "noop" }),
      404,
      "worker_not_found",
      "worker not found",
    );
    assertError(
      await post(url, DISPATCH, { worker: "other/prices", name: "noop" }),
      404,
      "worker_not_found",
    );
    const command = await post(url, DISPATCH, {
      worker: "prices",
      name: "nope/never",
    });
    assertError(command, 404, "command_not_found", "command not found");
    assert.equal(command.text.includes("nope"), false);
  });
});

test("a failing command answers 500 command_failed without its private text", async () => {
  const secret = "sk_live_SECRET";
  await withPrices(
    [
      {
        name: "boom",
        handler: () => {
          throw new Error(`POST https://api.example/charge?key=${secret}: 503`);
        },
      },
      {
        name: "wrapped",
        handler: () =>
          Promise.reject(new TypeError("bad", { cause: new Error(secret) })),
      },
      {
        name: "raw",
        handler: () => {
          throw secret;
        },
      },
    ],
    async (url, runtime) => {
      for (const name of ["boom", "wrapped"]) {
        const reply = await post(url, DISPATCH, { worker: "prices", name });
        assertError(reply, 500, "command_failed", "command failed");
        assert.equal(reply.text.includes(secret), false);
      }
      const raw = await post(url, DISPATCH, { worker: "prices", name: "raw" });
      assertError(raw, 500, "panic", "worker threw a non-error value");
      assert.equal(raw.text.includes(secret), false);

      const status = await call(url, "/admin/components/svc");
      assert.equal(status.status, 200);
      assert.equal(status.text.includes(secret), false);
      assert.equal(
        runtime.worker("prices")!.status.lastCommandFailure?.code,
        "panic",
      );
    },
  );
});

test("an OperationalFailure or ops failed result answers 500 with its public code and message", async () => {
  const secret = "sk_live_SECRET";
  await withPrices(
    [
      {
        name: "charge",
        handler: () => {
          throw new OperationalFailure(
            {
              code: "upstream_unavailable",
              message: "payment provider unavailable",
            },
            { cause: new Error(secret) },
          );
        },
      },
      commandFromOps({ name: "index/rebuild" }, () => ({
        outcome: "failed",
        failure: { code: "index_corrupt", message: "the index is corrupt" },
      })),
      commandFromOps({ name: "index/unsafe" }, () => ({
        outcome: "failed",
        failure: { code: "Not A Code", message: secret },
      })),
    ],
    async (url) => {
      const charge = await post(url, DISPATCH, {
        worker: "prices",
        name: "charge",
      });
      assertError(
        charge,
        500,
        "upstream_unavailable",
        "payment provider unavailable",
      );
      assert.equal(charge.text.includes(secret), false);
      assertError(
        await post(url, DISPATCH, { worker: "prices", name: "index/rebuild" }),
        500,
        "index_corrupt",
        "the index is corrupt",
      );
      const unsafe = await post(url, DISPATCH, {
        worker: "prices",
        name: "index/unsafe",
      });
      assertError(unsafe, 500, "command_failed", "command failed");
      assert.equal(unsafe.text.includes(secret), false);
    },
  );
});

test("an ops rejected result answers 409 with its public text", async () => {
  await withPrices(
    [
      commandFromOps({ name: "index/rebuild" }, () => ({
        outcome: "rejected",
        failure: { code: "busy", message: "a rebuild is running" },
      })),
      commandFromOps({ name: "index/drop" }, () => ({ outcome: "rejected" })),
      {
        name: "index/wrapped",
        handler: () => {
          throw new Error("sk_live_SECRET", {
            cause: new OpsCommandError("rejected", {
              code: "locked",
              message: "the index is locked",
            }),
          });
        },
      },
    ],
    async (url) => {
      assertError(
        await post(url, DISPATCH, { worker: "prices", name: "index/rebuild" }),
        409,
        "busy",
        "a rebuild is running",
      );
      assertError(
        await post(url, DISPATCH, { worker: "prices", name: "index/drop" }),
        409,
        "command_rejected",
        "command rejected",
      );
      const wrapped = await post(url, DISPATCH, {
        worker: "prices",
        name: "index/wrapped",
      });
      assertError(wrapped, 409, "locked", "the index is locked");
      assert.equal(wrapped.text.includes("sk_live"), false);
    },
  );
});

test("409 for a worker not accepting work, an invalid state and an active loop worker", async () => {
  await withPrices([], async (url, runtime) => {
    let handle: { setAcceptingWork(accepting: boolean): void } | undefined;
    runtime.register({
      name: "picky",
      worker: {
        start(ctx) {
          handle = ctx.worker;
        },
        stop() {},
      },
      commands: [{ name: "noop", handler: () => ({}) }],
    });
    await runtime.start("picky");
    handle!.setAcceptingWork(false);
    assertError(
      await post(url, DISPATCH, { worker: "picky", name: "noop" }),
      409,
      "worker_not_accepting_work",
      "worker is not accepting work",
    );

    await runtime.drain("prices");
    assertError(
      await post(url, DISPATCH, { worker: "prices", name: "noop" }),
      409,
      "invalid_worker_state",
      "invalid worker state",
    );
    assertError(
      await post(url, "/admin/workers/drain", { worker: "prices" }),
      409,
      "invalid_worker_state",
    );

    // A loop that ignores its signal: stop gives up at its deadline (504)
    // and start then refuses while the old loop still runs (409).
    runtime.register({
      name: "pump",
      stopTimeout: 10,
      worker: loopWorker(() => new Promise<void>(() => {})),
    });
    await runtime.start("pump");
    assertError(
      await post(url, "/admin/workers/stop", { worker: "pump" }),
      504,
      "deadline_exceeded",
      "deadline exceeded",
    );
    assertError(
      await post(url, "/admin/workers/start", { worker: "pump" }),
      409,
      "loop_worker_active",
      "loop worker is still active",
    );
  });
});

test("429 when the runtime or the worker is saturated", async () => {
  const held = deferred();
  await withPrices(
    [{ name: "slow", handler: () => held.promise }],
    async (url, runtime) => {
      await whileSlowHolds(runtime, held, async () => {
        assertError(
          await post(url, DISPATCH, { worker: "prices", name: "noop" }),
          429,
          "worker_saturated",
          "worker is saturated",
        );
      });
      assert.equal(
        (await post(url, DISPATCH, { worker: "prices", name: "noop" })).status,
        200,
      );
    },
    { worker: { commandConcurrency: 1 } },
  );

  const busy = deferred();
  await withPrices(
    [{ name: "slow", handler: () => busy.promise }],
    async (url, runtime) => {
      await whileSlowHolds(runtime, busy, async () => {
        assertError(
          await post(url, DISPATCH, { worker: "prices", name: "noop" }),
          429,
          "runtime_saturated",
          "runtime is saturated",
        );
      });
    },
    { runtime: { commandConcurrency: 1 } },
  );
});

test("503 when the runtime is not accepting work, shut down, canceled or out of retry budget", async () => {
  await withPrices(
    [{
      name: "aborted",
      handler: () => {
        throw new DOMException("sk_live_SECRET", "AbortError");
      },
    }],
    async (url, runtime) => {
      const canceled = await post(url, DISPATCH, {
        worker: "prices",
        name: "aborted",
      });
      assertError(canceled, 503, "canceled", "canceled");
      assert.equal(canceled.text.includes("sk_live"), false);

      assert.equal((await post(url, "/admin/runtime/stop", {})).status, 200);
      assertError(
        await post(url, DISPATCH, { worker: "prices", name: "noop" }),
        503,
        "runtime_not_accepting_work",
        "runtime is not accepting work",
      );

      await runtime.shutdown();
      assertError(
        await post(url, "/admin/runtime/start", {}),
        503,
        "runtime_shut_down",
        "runtime is shut down",
      );
      assertError(
        await post(url, "/admin/workers/start", { worker: "prices" }),
        503,
        "runtime_shut_down",
      );
    },
  );

  await withPrices(
    [{
      name: "flaky",
      handler: () => Promise.reject(new Error("sk_live_SECRET")),
    }],
    async (url) => {
      const exhausted = await post(url, DISPATCH, {
        worker: "prices",
        name: "flaky",
      });
      assertError(
        exhausted,
        503,
        "retry_budget_exhausted",
        "retry budget exhausted",
      );
      assert.equal(exhausted.text.includes("sk_live"), false);
    },
    {
      runtime: { retryBudget: { ratio: 0, minPerSecond: 0 } },
      worker: { commandRetry: attempts(3) },
    },
  );
});

test("504 when a command ignores its signal past its commandTimeout", async () => {
  const release = deferred();
  let started = 0;
  await withPrices(
    [{
      name: "stuck",
      handler: () => {
        started++;
        return release.promise;
      },
    }],
    async (url, runtime) => {
      await thenRelease(runtime, release, async () => {
        assertError(
          await post(url, DISPATCH, { worker: "prices", name: "stuck" }),
          504,
          "deadline_exceeded",
          "deadline exceeded",
        );
        assert.equal(started, 1);
        assert.equal(
          runtime.status().inFlight,
          1,
          "the slot is held until it settles",
        );
      });
    },
    { worker: { commandTimeout: 10 } },
  );
});

test("504 when the router's timeout passes first: the command's signal aborts too", async () => {
  const release = deferred();
  const aborted = deferred<unknown>();
  await withPrices(
    [{
      name: "slow",
      handler: (_request, ctx) => {
        ctx.signal.addEventListener(
          "abort",
          () => aborted.resolve(ctx.signal.reason),
          { once: true },
        );
        return release.promise.then(() => ({ message: "done" }));
      },
    }],
    async (url, runtime) => {
      await thenRelease(runtime, release, async () => {
        assertError(
          await post(url, DISPATCH, { worker: "prices", name: "slow" }),
          504,
          "deadline_exceeded",
          "deadline exceeded",
        );
        const reason = await aborted.promise;
        assert.equal((reason as DOMException).name, "TimeoutError");
        assert.equal(
          runtime.status().inFlight,
          1,
          "a handler that ignores its signal keeps its slot until it settles",
        );
      });
      assert.equal((await call(url, "/livez")).status, 200);
    },
    // Long enough for the handler to begin even on a loaded machine.
    { timeout: 500 },
  );
});

test("an unexpected exception inside the router answers a generic 500", async () => {
  class BrokenRuntime extends Runtime {
    override status(): never {
      throw new WorkerkitError("invalid_argument", "sk_live_SECRET in status");
    }
  }
  const runtime = new BrokenRuntime({ name: "svc" });
  const app = opsRouter({ runtime, lifecycle: true, auth: () => true });
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, "/admin/runtime/drain", {});
    assertError(reply, 500, "internal_error", "internal error");
    assert.equal(reply.text.includes("sk_live"), false);
  });
});

test("no unhandled rejections", assertNoUnhandled);
