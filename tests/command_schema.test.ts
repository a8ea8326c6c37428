import { test } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import { toStandardJsonSchema } from "@valibot/to-json-schema";
import { z } from "zod";
import {
  attempts,
  type Command,
  command,
  type CommandEndEvent,
  CommandRejection,
  type FailureEvent,
  Runtime,
  type StandardSchemaV1,
  WorkerkitError,
} from "../mod.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const SECRET = "canary-SECRET-4242-value";

const Resize = z.object({
  limit: z.number().int().min(1),
  reason: z.string().optional(),
});
const ResizeV = v.object({
  limit: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

async function running(
  commands: readonly Command[],
  extra = {},
) {
  const runtime = new Runtime({ name: "svc" });
  runtime.register({
    name: "pool",
    worker: { start() {}, stop() {} },
    commands,
    ...extra,
  });
  await runtime.startAll();
  return runtime;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

test("command() types the payload from a Zod schema and the handler gets the schema's output", async () => {
  let seen: number | undefined;
  const resize = command({
    name: "pool/resize",
    payloadSchema: z.object({ limit: z.coerce.number() }),
    handler: ({ payload }) => {
      seen = payload.limit; // typed number: no cast
      return { message: `limit ${payload.limit}` };
    },
  });
  const runtime = await running([resize]);
  const result = await runtime.dispatch({
    worker: "pool",
    name: "pool/resize",
    payload: { limit: "8" },
  });
  assert.equal(seen, 8);
  assert.equal(result.message, "limit 8");
  await runtime.shutdown();
});

test("command() types the payload from a Valibot schema", async () => {
  let seen: number | undefined;
  const runtime = await running([
    command({
      name: "pool/resize",
      payloadSchema: ResizeV,
      handler: ({ payload }) => {
        seen = payload.limit;
      },
    }),
  ]);
  await runtime.dispatch({
    worker: "pool",
    name: "pool/resize",
    payload: { limit: 3 },
  });
  assert.equal(seen, 3);
  await runtime.shutdown();
});

for (
  const [vendor, schema] of [["zod", Resize], ["valibot", ResizeV]] as const
) {
  test(`an invalid payload (${vendor}) rejects with invalid_payload and safe issues; the handler never runs`, async () => {
    let calls = 0;
    const runtime = await running([
      {
        name: "pool/resize",
        payloadSchema: schema,
        handler: () => void calls++,
      },
    ]);
    const ends: CommandEndEvent[] = [];
    const failures: FailureEvent[] = [];
    runtime.addEventListener(
      "commandend",
      (e) => ends.push((e as CustomEvent).detail),
    );
    runtime.addEventListener(
      "failure",
      (e) => failures.push((e as CustomEvent).detail),
    );
    const error = await runtime.dispatch({
      worker: "pool",
      name: "pool/resize",
      payload: { limit: SECRET },
    }).catch((e) => e);
    assert.equal(codeOf(error), "invalid_payload");
    assert.ok(Array.isArray(error.issues) && error.issues.length >= 1);
    assert.deepEqual(error.issues[0].path, ["limit"]);
    assert.equal(typeof error.issues[0].message, "string");
    assert.ok(
      !JSON.stringify(error.issues).includes(SECRET),
      JSON.stringify(error.issues),
    );
    assert.ok(!error.message.includes(SECRET));
    assert.equal(calls, 0);
    assert.equal(failures.length, 0);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.code, "invalid_payload");
    assert.equal(ends[0]!.attempts, 0);
    assert.equal(ends[0]!.rejected, true);
    assert.equal(runtime.worker("pool")!.status.lastCommandFailure, undefined);
    await runtime.shutdown();
  });
}

test("invalid_payload carries at most 20 issues with capped messages", async () => {
  const many = z.object(
    Object.fromEntries(
      Array.from(
        { length: 30 },
        (_, i) => [`f${i}`, z.string().min(1, "x".repeat(500))],
      ),
    ),
  );
  const runtime = await running([{
    name: "pool/many",
    payloadSchema: many,
    handler: () => {},
  }]);
  const payload = Object.fromEntries(
    Array.from({ length: 30 }, (_, i) => [`f${i}`, ""]),
  );
  const error = await runtime.dispatch({
    worker: "pool",
    name: "pool/many",
    payload,
  }).catch((e) => e);
  assert.equal(codeOf(error), "invalid_payload");
  assert.equal(error.issues.length, 20);
  for (const issue of error.issues) assert.ok(issue.message.length <= 200);
  await runtime.shutdown();
});

test("a record key taken from the payload is not echoed in an issue path", async () => {
  const schema = z.record(z.string(), z.number());
  const runtime = await running([{
    name: "pool/rec",
    payloadSchema: schema,
    handler: () => {},
  }]);
  const error = await runtime.dispatch({
    worker: "pool",
    name: "pool/rec",
    payload: { ["k".repeat(80)]: SECRET },
  }).catch((e) => e);
  assert.equal(codeOf(error), "invalid_payload");
  assert.ok(!JSON.stringify(error.issues).includes(SECRET));
  assert.ok(!JSON.stringify(error.issues).includes("k".repeat(80)));
  await runtime.shutdown();
});

test("an async schema runs inside the command's deadline", async () => {
  let release: () => void = () => {};
  const slow: StandardSchemaV1<unknown, unknown> = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) =>
        new Promise((resolve) => {
          release = () => resolve({ value });
        }),
    },
  };
  let calls = 0;
  const runtime = await running(
    [{ name: "pool/slow", payloadSchema: slow, handler: () => void calls++ }],
    { commandTimeout: 30 },
  );
  const error = await runtime.dispatch({
    worker: "pool",
    name: "pool/slow",
    payload: 1,
  }).catch((e) => e);
  assert.equal(codeOf(error), "deadline_exceeded");
  assert.equal(calls, 0);
  // The slot is held until the check really settles.
  assert.equal(runtime.status().inFlight, 1);
  release();
  await runtime.waitAllIdle({ signal: AbortSignal.timeout(5_000) });
  assert.equal(calls, 0);
  await runtime.shutdown();
});

test("an async schema that accepts hands its output to the handler", async () => {
  const schema = z.object({ n: z.number() }).refine((x) =>
    Promise.resolve(x.n > 0)
  );
  let got: unknown;
  const runtime = await running([
    command({
      name: "pool/a",
      payloadSchema: schema,
      handler: ({ payload }) => void (got = payload.n),
    }),
  ]);
  await runtime.dispatch({ worker: "pool", name: "pool/a", payload: { n: 2 } });
  assert.equal(got, 2);
  const error = await runtime.dispatch({
    worker: "pool",
    name: "pool/a",
    payload: { n: -1 },
  }).catch((e) => e);
  assert.equal(codeOf(error), "invalid_payload");
  await runtime.shutdown();
});

test("a schema that throws is a command failure, not the caller's fault", async () => {
  const broken: StandardSchemaV1 = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: () => {
        throw new Error(SECRET);
      },
    },
  };
  const runtime = await running([{
    name: "pool/b",
    payloadSchema: broken,
    handler: () => {},
  }]);
  const failures: FailureEvent[] = [];
  runtime.addEventListener(
    "failure",
    (e) => failures.push((e as CustomEvent).detail),
  );
  const error = await runtime.dispatch({ worker: "pool", name: "pool/b" })
    .catch((e) => e);
  assert.equal(error.message, SECRET);
  assert.equal(failures.length, 1);
  assert.equal(
    runtime.worker("pool")!.status.lastCommandFailure?.code,
    "command_failed",
  );
  await runtime.shutdown();
});

test("a CommandRejection is never retried and is not a command failure", async () => {
  let calls = 0;
  const runtime = await running(
    [{
      name: "pool/void",
      handler: () => {
        calls++;
        throw new CommandRejection({
          code: "already_paid",
          message: "a paid invoice cannot be voided",
        });
      },
    }],
    { commandRetry: attempts(5) },
  );
  const ends: CommandEndEvent[] = [];
  const failures: FailureEvent[] = [];
  runtime.addEventListener(
    "commandend",
    (e) => ends.push((e as CustomEvent).detail),
  );
  runtime.addEventListener(
    "failure",
    (e) => failures.push((e as CustomEvent).detail),
  );
  const error = await runtime.dispatch({ worker: "pool", name: "pool/void" })
    .catch((e) => e);
  assert.ok(error instanceof CommandRejection);
  assert.equal(error.code, "already_paid");
  assert.equal(error.name, "CommandRejection");
  assert.equal(calls, 1);
  assert.equal(failures.length, 0);
  assert.equal(runtime.worker("pool")!.status.lastCommandFailure, undefined);
  assert.equal(ends[0]!.ok, false);
  assert.equal(ends[0]!.rejected, true);
  assert.equal(ends[0]!.code, "already_paid");
  assert.equal(ends[0]!.message, "a paid invoice cannot be voided");
  assert.equal(ends[0]!.attempts, 1);
  await runtime.shutdown();
});

test("CommandRejection checks its code and message like OperationalFailure", () => {
  assert.throws(
    () => new CommandRejection({ code: "Bad Code", message: "x" }),
    (e) => codeOf(e) === "invalid_argument",
  );
  assert.throws(
    () => new CommandRejection(null as never),
    (e) => codeOf(e) === "invalid_argument",
  );
});

test("commands() lists the payload JSON Schema from Zod, from Valibot's toStandardJsonSchema, or given explicitly", async () => {
  const explicit = { type: "object", properties: { id: { type: "string" } } };
  const runtime = await running([
    { name: "pool/zod", payloadSchema: Resize, handler: () => {} },
    {
      name: "pool/valibot",
      payloadSchema: toStandardJsonSchema(ResizeV),
      handler: () => {},
    },
    { name: "pool/plain", payloadSchema: ResizeV, handler: () => {} },
    { name: "pool/explicit", payloadJsonSchema: explicit, handler: () => {} },
    { name: "pool/none", handler: () => {} },
  ]);
  const info = Object.fromEntries(
    runtime.commands("pool")!.map((c) => [c.name, c]),
  );
  const zodSchema = info["pool/zod"]!.payloadJsonSchema as {
    properties: Record<string, unknown>;
  };
  assert.ok(zodSchema.properties.limit);
  const valibotSchema = info["pool/valibot"]!.payloadJsonSchema as {
    properties: Record<string, unknown>;
  };
  assert.ok(valibotSchema.properties.limit);
  assert.equal(info["pool/plain"]!.payloadJsonSchema, undefined);
  assert.deepEqual(info["pool/explicit"]!.payloadJsonSchema, explicit);
  assert.equal("payloadJsonSchema" in info["pool/none"]!, false);
  // A fresh copy each time.
  (info["pool/explicit"]!.payloadJsonSchema as Record<string, unknown>).type =
    "changed";
  assert.equal(
    runtime.commands("pool")!.find((c) => c.name === "pool/explicit")!
      .payloadJsonSchema!.type,
    "object",
  );
  await runtime.shutdown();
});

test("register() refuses a payloadSchema that is not a Standard Schema, and a bad payloadJsonSchema", () => {
  const runtime = new Runtime({ name: "svc" });
  for (const bad of [{}, 42, { "~standard": { version: 2, validate() {} } }]) {
    assert.throws(
      () =>
        runtime.register({
          name: "w",
          worker: { start() {}, stop() {} },
          commands: [{
            name: "c",
            payloadSchema: bad as never,
            handler: () => {},
          }],
        }),
      (e) => codeOf(e) === "invalid_argument",
    );
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const bad of [[], "x", cyclic]) {
    assert.throws(
      () =>
        runtime.register({
          name: "w",
          worker: { start() {}, stop() {} },
          commands: [{
            name: "c",
            payloadJsonSchema: bad as never,
            handler: () => {},
          }],
        }),
      (e) => codeOf(e) === "invalid_argument",
    );
  }
  assert.equal(runtime.workers().length, 0);
});

test("a command without a schema gets its payload unchanged (the same object)", async () => {
  const payload = { a: 1 };
  let got: unknown;
  const runtime = await running([{
    name: "pool/raw",
    handler: (request) => void (got = request.payload),
  }]);
  await runtime.dispatch({ worker: "pool", name: "pool/raw", payload });
  assert.equal(got, payload);
  await runtime.shutdown();
});

test("a CommandRejection anywhere in the cause chain is a rejection: never retried, not a failure", async () => {
  let calls = 0;
  const runtime = await running(
    [{
      name: "pool/nested",
      handler: () => {
        calls++;
        throw new Error("wrapped", {
          cause: new CommandRejection({ code: "nested", message: "no" }),
        });
      },
    }],
    { commandRetry: attempts(3) },
  );
  const failures: FailureEvent[] = [];
  runtime.addEventListener(
    "failure",
    (e) => failures.push((e as CustomEvent).detail),
  );
  await runtime.dispatch({ worker: "pool", name: "pool/nested" }).catch(
    () => {},
  );
  assert.equal(calls, 1);
  assert.equal(failures.length, 0);
  assert.equal(runtime.worker("pool")!.status.lastCommandFailure, undefined);
  await runtime.shutdown();
});

test("a schema that throws a CommandRejection rejects the request without a failure", async () => {
  const picky: StandardSchemaV1 = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: () => {
        throw new CommandRejection({
          code: "closed",
          message: "the books are closed",
        });
      },
    },
  };
  const runtime = await running([{
    name: "pool/p",
    payloadSchema: picky,
    handler: () => {},
  }]);
  const error = await runtime.dispatch({ worker: "pool", name: "pool/p" })
    .catch((e) => e);
  assert.ok(error instanceof CommandRejection);
  assert.equal(runtime.worker("pool")!.status.lastCommandFailure, undefined);
  await runtime.shutdown();
});

test("a schema answering with a non-native thenable is awaited, never taken as a success", async () => {
  const thenable: StandardSchemaV1 = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: () =>
        ({
          then(resolve: (r: unknown) => void) {
            resolve({ issues: [{ message: "nope", path: ["a"] }] });
          },
        }) as never,
    },
  };
  let calls = 0;
  const runtime = await running([{
    name: "pool/t",
    payloadSchema: thenable,
    handler: () => void calls++,
  }]);
  const error = await runtime.dispatch({
    worker: "pool",
    name: "pool/t",
    payload: {},
  }).catch((e) => e);
  assert.equal(codeOf(error), "invalid_payload");
  assert.equal(calls, 0);
  await runtime.shutdown();
});

test("invalid_payload never echoes a value: short ones quoted, and any one of a payload too large to scan", async () => {
  const runtime = await running([
    { name: "pool/limit", payloadSchema: ResizeV, handler: () => {} },
    {
      name: "pool/tags",
      payloadSchema: v.object({ tags: v.array(v.number()) }),
      handler: () => {},
    },
  ]);
  const short = await runtime.dispatch({
    worker: "pool",
    name: "pool/limit",
    payload: { limit: "pin" },
  }).catch((e) => e);
  assert.equal(codeOf(short), "invalid_payload");
  assert.ok(
    !JSON.stringify(short.issues).includes('\\"pin\\"'),
    JSON.stringify(short.issues),
  );
  const tags = [SECRET, ...Array.from({ length: 20_000 }, () => 1)];
  const big = await runtime.dispatch({
    worker: "pool",
    name: "pool/tags",
    payload: { tags },
  }).catch((e) => e);
  assert.equal(codeOf(big), "invalid_payload");
  assert.ok(
    !JSON.stringify(big.issues).includes(SECRET),
    JSON.stringify(big.issues),
  );
  await runtime.shutdown();
});

test("a misspelt command field or dispatch field is refused with invalid_argument naming it", async () => {
  const runtime = new Runtime({ name: "svc" });
  assert.throws(
    () =>
      runtime.register({
        name: "w",
        worker: { start() {}, stop() {} },
        commands: [
          { name: "c", payloadShema: Resize, handler: () => {} } as never,
        ],
      }),
    (e) =>
      codeOf(e) === "invalid_argument" &&
      /payloadShema/.test((e as Error).message),
  );
  runtime.register({
    name: "w",
    worker: { start() {}, stop() {} },
    commands: [{ name: "c", handler: () => {} }],
  });
  await runtime.startAll();
  const error = await runtime.dispatch(
    { worker: "w", name: "c", paylaod: 1 } as never,
  ).catch((e) => e);
  assert.equal(codeOf(error), "invalid_argument");
  assert.match(error.message, /paylaod/);
  await runtime.shutdown();
});

test("no unhandled rejections", assertNoUnhandled);
