import { test } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import { z } from "zod";
import { command, CommandRejection, Runtime } from "../mod.ts";
import { opsRouter } from "../src/hono/mod.ts";
import { post, withServer } from "./_support/serve.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { deferred } from "./_support/workers.ts";

const SECRET = "canary-SECRET-7781-token";
const KEY = { "x-ops-key": "let-me-in" };
const auth = (c: { req: { header(name: string): string | undefined } }) =>
  c.req.header("x-ops-key") === "let-me-in";
const DISPATCH = "/admin/commands/dispatch";

function service(extra: Parameters<typeof opsRouter>[0] = {}) {
  const runtime = new Runtime({ name: "svc" });
  let runs = 0;
  let gate: ReturnType<typeof deferred<void>> | undefined;
  runtime.register({
    name: "billing",
    worker: { start() {}, stop() {} },
    commands: [
      command({
        name: "invoice/void",
        payloadSchema: z.object({
          id: z.string().min(3),
          amount: z.number().optional(),
        }),
        handler: ({ payload }) => {
          if (payload.id === "leaky") {
            throw new CommandRejection(
              { code: "invoice_locked", message: "the invoice is locked" },
              { cause: new Error(`lock held by ${SECRET}`) },
            );
          }
          if (payload.id === "paid") {
            throw new CommandRejection({
              code: "invoice_paid",
              message: "a paid invoice cannot be voided",
            });
          }
          return { message: `voided ${payload.id}` };
        },
      }),
      command({
        name: "invoice/refund",
        payloadSchema: v.object({ cents: v.number() }),
        handler: async ({ payload }) => {
          runs++;
          await gate?.promise;
          return { message: `refunded ${payload.cents}` };
        },
      }),
    ],
  });
  const app = opsRouter({ runtime, commands: true, auth, ...extra });
  return {
    runtime,
    app,
    runs: () => runs,
    hold: () => {
      gate = deferred<void>();
      return gate;
    },
  };
}

test("an invalid payload answers 422 invalid_payload with issues and never the payload", async () => {
  const { runtime, app } = service();
  await runtime.startAll();
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: SECRET },
    }, KEY);
    assert.equal(reply.status, 422, reply.text);
    assert.equal(reply.body.error.code, "invalid_payload");
    assert.equal(reply.body.error.message, "invalid payload");
    assert.deepEqual(reply.body.error.issues[0].path, ["cents"]);
    assert.ok(!reply.text.includes(SECRET), reply.text);
    assert.ok(!reply.text.includes("at "), "no stack");
    assert.equal(reply.headers.get("cache-control"), "no-store");
  });
  await runtime.shutdown();
});

test("a CommandRejection answers 409 with its public code and message", async () => {
  const { runtime, app } = service();
  await runtime.startAll();
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/void",
      payload: { id: "paid" },
    }, KEY);
    assert.equal(reply.status, 409, reply.text);
    assert.deepEqual(reply.body, {
      error: {
        code: "invoice_paid",
        message: "a paid invoice cannot be voided",
      },
    });
    const ok = await post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/void",
      payload: { id: "inv-1" },
    }, KEY);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.result.message, "voided inv-1");
  });
  await runtime.shutdown();
});

test("a CommandRejection's cause never reaches the answer or the status", async () => {
  const { runtime, app } = service();
  await runtime.startAll();
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/void",
      payload: { id: "leaky" },
    }, KEY);
    assert.equal(reply.status, 409, reply.text);
    assert.equal(reply.body.error.code, "invoice_locked");
    assert.ok(!reply.text.includes(SECRET));
  });
  assert.ok(!JSON.stringify(runtime.inspect()).includes(SECRET));
  await runtime.shutdown();
});

test("a retried request with the same Idempotency-Key gets the first answer, replayed", async () => {
  const { runtime, app, runs } = service();
  await runtime.startAll();
  await withServer(app.fetch, async (url) => {
    const body = {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: 500 },
    };
    const first = await post(url, DISPATCH, body, {
      ...KEY,
      "idempotency-key": '"refund-1"',
    });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    const again = await post(url, DISPATCH, body, {
      ...KEY,
      "idempotency-key": '"refund-1"',
    });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(again.body, first.body);
    assert.equal(runs(), 1);
    // Local and qualified worker names are one worker, the key's quotes are
    // optional, and the body's key order does not matter: all the same request.
    const qualified = await post(url, DISPATCH, {
      payload: { cents: 500 },
      name: "invoice/refund",
      worker: "svc/billing",
    }, { ...KEY, "idempotency-key": "refund-1" });
    assert.equal(qualified.status, 200, qualified.text);
    assert.equal(qualified.headers.get("idempotent-replayed"), "true");
    assert.equal(runs(), 1);
    // Another key runs again.
    const other = await post(url, DISPATCH, body, {
      ...KEY,
      "idempotency-key": "refund-2",
    });
    assert.equal(other.status, 200);
    assert.equal(runs(), 2);
  });
  await runtime.shutdown();
});

test("the same Idempotency-Key with a different body is 422, and while the first runs it is 409", async () => {
  const { runtime, app, runs, hold } = service();
  await runtime.startAll();
  await withServer(app.fetch, async (url) => {
    const headers = { ...KEY, "idempotency-key": "k-77" };
    const gate = hold();
    const first = post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: 1 },
    }, headers);
    while (runs() === 0) await new Promise((r) => setTimeout(r, 5));
    const busy = await post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: 1 },
    }, headers);
    assert.equal(busy.status, 409, busy.text);
    assert.equal(busy.body.error.code, "idempotency_key_in_use");
    const reused = await post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: 2 },
    }, headers);
    assert.equal(reused.status, 422, reused.text);
    assert.equal(reused.body.error.code, "idempotency_key_reused");
    gate.resolve();
    assert.equal((await first).status, 200);
    assert.equal(runs(), 1);
  });
  await runtime.shutdown();
});

test("a refusal before the command ran is not kept: a retry with the same key runs", async () => {
  const { runtime, app, runs } = service();
  await withServer(app.fetch, async (url) => {
    const body = {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: 3 },
    };
    const headers = { ...KEY, "idempotency-key": "k-1" };
    const refused = await post(url, DISPATCH, body, headers);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.error.code, "invalid_worker_state");
    await runtime.startAll();
    const ran = await post(url, DISPATCH, body, headers);
    assert.equal(ran.status, 200, ran.text);
    assert.equal(ran.headers.get("idempotent-replayed"), null);
    assert.equal(runs(), 1);
  });
  await runtime.shutdown();
});

test("a malformed Idempotency-Key is 400; idempotencyWindow: 0 ignores the header", async () => {
  const { runtime, app } = service();
  await runtime.startAll();
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, DISPATCH, {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: 1 },
    }, {
      ...KEY,
      "idempotency-key": "x".repeat(300),
    });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, "invalid_argument");
  });
  const off = service({ idempotencyWindow: 0 });
  await off.runtime.startAll();
  await withServer(off.app.fetch, async (url) => {
    const body = {
      worker: "billing",
      name: "invoice/refund",
      payload: { cents: 1 },
    };
    const headers = { ...KEY, "idempotency-key": "k" };
    await post(url, DISPATCH, body, headers);
    const again = await post(url, DISPATCH, body, headers);
    assert.equal(again.headers.get("idempotent-replayed"), null);
    assert.equal(off.runs(), 2);
  });
  await runtime.shutdown();
  await off.runtime.shutdown();
});

test("opsRouter() refuses a bad idempotencyWindow", () => {
  const runtime = new Runtime({ name: "svc" });
  for (const bad of [-1, "10", Number.NaN, 1e12]) {
    assert.throws(
      () => opsRouter({ runtime, idempotencyWindow: bad as never }),
      /idempotencyWindow/,
    );
  }
});

test("the components route lists a command's payload JSON Schema", async () => {
  const { runtime, app } = service();
  await runtime.startAll();
  const response = await app.request("/admin/components/svc", { headers: KEY });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.match(text, /"payloadJsonSchema":\{/);
  await runtime.shutdown();
});

test("no unhandled rejections", assertNoUnhandled);
