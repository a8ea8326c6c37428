import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PUBLIC_MESSAGES,
  WorkerkitError,
  type WorkerkitErrorCode,
} from "../src/base/errors.ts";
import { OperationalFailure } from "../src/base/operational_failure.ts";
import {
  type FailureContext,
  isAbortLike,
  publicFailure,
} from "../src/failure.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const CONTEXTS: readonly FailureContext[] = [
  "lifecycle",
  "command",
  "loop_cleanup",
];

const GENERIC: Record<FailureContext, { code: string; message: string }> = {
  lifecycle: { code: "worker_failed", message: "worker operation failed" },
  command: { code: "command_failed", message: "command failed" },
  loop_cleanup: { code: "loop_cleanup_failed", message: "loop cleanup failed" },
};

const PANIC = { code: "panic", message: "worker threw a non-error value" };
const DEADLINE = { code: "deadline_exceeded", message: "deadline exceeded" };
const CANCELED = { code: "canceled", message: "canceled" };

/** Projects `error` in every context and checks the result against `expected` (a fixed value or one per context). */
function assertProjects(
  error: unknown,
  expected:
    | { code: string; message: string }
    | ((context: FailureContext) => { code: string; message: string }),
): void {
  for (const context of CONTEXTS) {
    const want = typeof expected === "function" ? expected(context) : expected;
    assert.deepEqual(publicFailure(error, context), want, context);
  }
}

const generic = (context: FailureContext) => GENERIC[context];

/** Asserts that `fn` throws an `invalid_argument` WorkerkitError. */
function assertInvalidArgument(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof WorkerkitError);
    assert.equal(error.code, "invalid_argument");
    assert.match(error.message, pattern);
    return true;
  });
}

/** A proxy whose every trap throws. */
function hostileProxy<T extends object>(target: T): T {
  const handler = new Proxy({}, {
    get(_target, trap) {
      return () => {
        throw new Error(`trap ${String(trap)} called: sk_live_SECRET`);
      };
    },
  });
  return new Proxy(target, handler as ProxyHandler<T>);
}

/**
 * Resolves once `signal` aborts. Node unrefs the timer behind
 * `AbortSignal.timeout()`, so with nothing else pending its event loop would
 * end the test before the signal fires; a ref'd timer keeps it alive.
 */
async function aborted(signal: AbortSignal): Promise<void> {
  const keepAlive = setTimeout(() => {}, 10_000);
  try {
    if (signal.aborted) return;
    await new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true })
    );
  } finally {
    clearTimeout(keepAlive);
  }
}

// --- OperationalFailure --------------------------------------------------------

test("OperationalFailure carries its public code, message and private cause", () => {
  const original = new Error("password=hunter2");
  const failure = new OperationalFailure(
    { code: "upstream_unavailable", message: "payment provider unavailable" },
    { cause: original },
  );
  assert.ok(failure instanceof Error);
  assert.ok(failure instanceof OperationalFailure);
  assert.equal(failure.name, "OperationalFailure");
  assert.equal(failure.code, "upstream_unavailable");
  assert.equal(failure.message, "payment provider unavailable");
  assert.equal(failure.cause, original);
  assert.equal(typeof failure.stack, "string");
});

test("OperationalFailure works without options", () => {
  const failure = new OperationalFailure({ code: "x", message: "y" });
  assert.equal(failure.cause, undefined);
  assert.equal(failure.code, "x");
});

test("OperationalFailure accepts every allowed code character and 64 characters", () => {
  for (
    const code of [
      "a",
      "payment.declined",
      "v2-rate_limit.hit",
      "0",
      "a".repeat(64),
    ]
  ) {
    assert.equal(new OperationalFailure({ code, message: "m" }).code, code);
  }
});

test("OperationalFailure refuses an empty code", () => {
  assertInvalidArgument(
    () => new OperationalFailure({ code: "", message: "m" }),
    /code/,
  );
});

test("OperationalFailure refuses a code longer than 64 characters", () => {
  assertInvalidArgument(
    () => new OperationalFailure({ code: "a".repeat(65), message: "m" }),
    /code must be 1 to 64 characters/,
  );
});

test("OperationalFailure refuses a code with a disallowed character", () => {
  for (const code of ["Declined", "card declined", "a/b", "a:b", "é", "a\n"]) {
    assertInvalidArgument(
      () => new OperationalFailure({ code, message: "m" }),
      /code/,
    );
  }
});

test("OperationalFailure refuses a non-string code", () => {
  for (const code of [undefined, null, 42, {}, ["a"]]) {
    assertInvalidArgument(
      () =>
        new OperationalFailure(
          { code, message: "m" } as unknown as {
            code: string;
            message: string;
          },
        ),
      /code must be a string/,
    );
  }
});

test("OperationalFailure accepts a message of up to 1024 characters, empty included", () => {
  assert.equal(new OperationalFailure({ code: "c", message: "" }).message, "");
  const long = "m".repeat(1024);
  assert.equal(
    new OperationalFailure({ code: "c", message: long }).message,
    long,
  );
});

test("OperationalFailure refuses a message longer than 1024 characters", () => {
  assertInvalidArgument(
    () => new OperationalFailure({ code: "c", message: "m".repeat(1025) }),
    /1025 characters long, the maximum is 1024/,
  );
});

test("OperationalFailure refuses a non-string message", () => {
  for (const message of [undefined, null, 1, { toString: () => "m" }]) {
    assertInvalidArgument(
      () =>
        new OperationalFailure(
          { code: "c", message } as unknown as {
            code: string;
            message: string;
          },
        ),
      /message must be a string/,
    );
  }
});

test("OperationalFailure refuses a missing init object", () => {
  for (const init of [undefined, null, "c", 1]) {
    assertInvalidArgument(
      () =>
        new OperationalFailure(
          init as unknown as { code: string; message: string },
        ),
      /needs an object/,
    );
  }
});

test("OperationalFailure's refusal never echoes the rejected message", () => {
  const secret = "sk_live_SECRET".repeat(100);
  assert.throws(
    () => new OperationalFailure({ code: "c", message: secret }),
    (error: unknown) =>
      error instanceof Error && !error.message.includes("sk_live_SECRET"),
  );
});

// --- publicFailure(): OperationalFailure ---------------------------------------

test("publicFailure() passes an OperationalFailure's code and message through", () => {
  const failure = new OperationalFailure(
    { code: "quota_exceeded", message: "quota exceeded" },
    { cause: new Error("tenant=acme token=sk_live_SECRET") },
  );
  assertProjects(failure, {
    code: "quota_exceeded",
    message: "quota exceeded",
  });
  assert.ok(
    !JSON.stringify(publicFailure(failure, "command")).includes("SECRET"),
  );
});

test("publicFailure() finds an OperationalFailure deep in a cause chain under a plain Error", () => {
  const reason = new OperationalFailure({
    code: "db.unavailable",
    message: "database unavailable",
  });
  let error: unknown = reason;
  for (let i = 0; i < 5; i++) {
    error = new Error(`layer ${i}: password=hunter2`, { cause: error });
  }
  assertProjects(error, {
    code: "db.unavailable",
    message: "database unavailable",
  });
});

test("publicFailure() prefers an OperationalFailure in the chain over a WorkerkitError on top", () => {
  const error = new WorkerkitError("invalid_worker_state", "secret detail", {
    cause: new OperationalFailure({ code: "busy", message: "busy" }),
  });
  assertProjects(error, { code: "busy", message: "busy" });
});

test("publicFailure() prefers an OperationalFailure in the chain over an abort on top", () => {
  const error = new Error("outer", {
    cause: new OperationalFailure({ code: "gone", message: "gone" }),
  });
  error.name = "TimeoutError";
  assertProjects(error, { code: "gone", message: "gone" });
});

test("publicFailure() takes the first OperationalFailure in the chain", () => {
  const inner = new OperationalFailure({ code: "inner", message: "inner" });
  const outer = new OperationalFailure({ code: "outer", message: "outer" }, {
    cause: inner,
  });
  assertProjects(new Error("x", { cause: outer }), {
    code: "outer",
    message: "outer",
  });
});

test("publicFailure() follows the cause chain 32 links deep and no further", () => {
  const chain = (links: number): unknown => {
    let error: unknown = new OperationalFailure({
      code: "deep",
      message: "deep",
    });
    for (let i = 0; i < links; i++) error = new Error("wrap", { cause: error });
    return error;
  };
  assertProjects(chain(31), { code: "deep", message: "deep" });
  assertProjects(chain(32), generic);
});

test("publicFailure() projects an OperationalFailure subclass", () => {
  class PaymentDeclined extends OperationalFailure {
    constructor() {
      super({ code: "payment.declined", message: "payment declined" });
    }
  }
  assertProjects(new PaymentDeclined(), {
    code: "payment.declined",
    message: "payment declined",
  });
});

test("publicFailure() falls back to the generic failure when an OperationalFailure's code turns invalid", () => {
  const weird: unknown[] = [
    "Not Valid",
    "",
    42,
    undefined,
    null,
    {},
    "a".repeat(65),
    "sk_live SECRET",
  ];
  for (const code of weird) {
    const failure = new OperationalFailure({ code: "ok", message: "public" });
    Object.defineProperty(failure, "code", { value: code });
    assertProjects(failure, generic);
  }
});

test("publicFailure() falls back to the generic failure when an OperationalFailure's message turns invalid", () => {
  for (
    const message of ["x".repeat(1025), 42, undefined, { toString: () => "m" }]
  ) {
    const failure = new OperationalFailure({ code: "ok", message: "public" });
    Object.defineProperty(failure, "message", { get: () => message });
    assertProjects(failure, generic);
  }
});

test("publicFailure() falls back to the generic failure when an OperationalFailure's getters throw", () => {
  for (const key of ["code", "message"]) {
    const failure = new OperationalFailure({ code: "ok", message: "public" });
    Object.defineProperty(failure, key, {
      get() {
        throw new Error(`${key} getter: sk_live_SECRET`);
      },
    });
    assertProjects(failure, generic);
  }
});

test("publicFailure() keeps walking past an invalid OperationalFailure to a valid one", () => {
  const inner = new OperationalFailure({ code: "inner", message: "inner" });
  const broken = new OperationalFailure({ code: "ok", message: "m" }, {
    cause: inner,
  });
  Object.defineProperty(broken, "code", { value: "BROKEN" });
  assertProjects(broken, { code: "inner", message: "inner" });
});

test("publicFailure() projects a frozen OperationalFailure", () => {
  const failure = Object.freeze(
    new OperationalFailure({ code: "frozen", message: "frozen" }),
  );
  assertProjects(failure, { code: "frozen", message: "frozen" });
});

// --- publicFailure(): WorkerkitError ---------------------------------------------

test("publicFailure() gives a WorkerkitError its code with the fixed public message", () => {
  for (const code of Object.keys(PUBLIC_MESSAGES) as WorkerkitErrorCode[]) {
    const error = new WorkerkitError(code, `specific detail for ${code}`);
    assertProjects(error, { code, message: PUBLIC_MESSAGES[code] });
  }
});

test("publicFailure() never leaks a WorkerkitError's own message", () => {
  const error = new WorkerkitError(
    "worker_not_found",
    "lookup failed with key sk_live_SECRET",
  );
  for (const context of CONTEXTS) {
    const projected = publicFailure(error, context);
    assert.deepEqual(projected, {
      code: "worker_not_found",
      message: "worker not found",
    });
    assert.ok(!JSON.stringify(projected).includes("sk_live_SECRET"));
  }
});

test("publicFailure() projects a WorkerkitError subclass and a frozen one", () => {
  class Sub extends WorkerkitError {}
  assertProjects(new Sub("runtime_saturated", "sk_live_SECRET"), {
    code: "runtime_saturated",
    message: "runtime is saturated",
  });
  assertProjects(Object.freeze(new WorkerkitError("canceled")), CANCELED);
});

test("publicFailure() falls back to the generic failure for a WorkerkitError with a forged code", () => {
  for (
    const code of [
      "sk_live_SECRET",
      "toString",
      "__proto__",
      "constructor",
      7,
      undefined,
    ]
  ) {
    const error = new WorkerkitError("canceled");
    Object.defineProperty(error, "code", { value: code });
    assertProjects(error, generic);
  }
});

test("publicFailure() falls back to the generic failure for a WorkerkitError whose code getter throws", () => {
  const error = new WorkerkitError("canceled");
  Object.defineProperty(error, "code", {
    get() {
      throw new Error("no");
    },
  });
  assertProjects(error, generic);
});

// --- publicFailure(): aborts ----------------------------------------------------

test("publicFailure() maps a DOMException TimeoutError to deadline_exceeded", () => {
  assertProjects(
    new DOMException("token=sk_live_SECRET", "TimeoutError"),
    DEADLINE,
  );
});

test("publicFailure() maps a DOMException AbortError to canceled", () => {
  assertProjects(
    new DOMException("token=sk_live_SECRET", "AbortError"),
    CANCELED,
  );
});

test("publicFailure() maps an Error named TimeoutError or AbortError", () => {
  const timeout = new Error("password=hunter2");
  timeout.name = "TimeoutError";
  assertProjects(timeout, DEADLINE);
  const abort = new TypeError("password=hunter2");
  abort.name = "AbortError";
  assertProjects(abort, CANCELED);
});

test("publicFailure() maps AbortSignal.timeout()'s reason to deadline_exceeded", async () => {
  const signal = AbortSignal.timeout(1);
  await aborted(signal);
  assertProjects(signal.reason, DEADLINE);
  assert.equal(isAbortLike(signal.reason), true);
});

test("publicFailure() maps AbortSignal.any() over a timeout to deadline_exceeded", async () => {
  const signal = AbortSignal.any([
    new AbortController().signal,
    AbortSignal.timeout(1),
  ]);
  await aborted(signal);
  assertProjects(signal.reason, DEADLINE);
});

test("publicFailure() maps AbortSignal.abort() and AbortController.abort() reasons to canceled", () => {
  assertProjects(AbortSignal.abort().reason, CANCELED);
  const controller = new AbortController();
  controller.abort();
  assertProjects(controller.signal.reason, CANCELED);
});

test("publicFailure() maps an explicit non-Error abort reason to panic", () => {
  const controller = new AbortController();
  controller.abort("shutting down: sk_live_SECRET");
  assertProjects(controller.signal.reason, PANIC);
});

test("publicFailure() does not treat a plain object named TimeoutError as an abort", () => {
  assertProjects({ name: "TimeoutError", message: "x" }, PANIC);
  assertProjects({ name: "AbortError" }, PANIC);
});

test("publicFailure() gives another DOMException the generic failure", () => {
  assertProjects(new DOMException("secret", "NotFoundError"), generic);
  assertProjects(new DOMException("secret"), generic);
});

test("publicFailure() only looks at the top-level error for an abort", () => {
  const error = new Error("wrap", {
    cause: new DOMException("t", "TimeoutError"),
  });
  assertProjects(error, generic);
});

// --- publicFailure(): non-Error values and generic failures ---------------------

test("publicFailure() maps a thrown non-Error value to panic", () => {
  const values: unknown[] = [
    "password=hunter2",
    "",
    0,
    42,
    Number.NaN,
    undefined,
    null,
    true,
    false,
    Symbol("secret"),
    10n,
    {},
    { message: "sk_live_SECRET", code: "worker_not_found" },
    {
      code: "quota_exceeded",
      message: "quota exceeded",
      name: "OperationalFailure",
    },
    Object.create(null),
    Object.freeze({ message: "frozen" }),
    [new Error("in an array")],
    () => {},
    Promise.resolve(1),
  ];
  for (const value of values) assertProjects(value, PANIC);
});

test("publicFailure() hides an Error's message behind the generic failure", () => {
  const error = new Error("password=hunter2");
  for (const context of CONTEXTS) {
    const projected = publicFailure(error, context);
    assert.deepEqual(projected, GENERIC[context]);
    assert.ok(!JSON.stringify(projected).includes("hunter2"));
  }
});

test("publicFailure() gives built-in Error subclasses the generic failure", () => {
  const errors: unknown[] = [
    new TypeError("x"),
    new RangeError("x"),
    new SyntaxError("x"),
    new AggregateError([
      new OperationalFailure({ code: "inside", message: "inside" }),
    ], "x"),
    new Error("x", { cause: "a string cause" }),
    new Error("x", { cause: new Error("y") }),
    Object.freeze(new Error("frozen")),
    Object.create(Error.prototype),
  ];
  for (const error of errors) assertProjects(error, generic);
});

test("publicFailure() gives an Error whose code looks public the generic failure", () => {
  const error = Object.assign(new Error("x"), { code: "worker_not_found" });
  assertProjects(error, generic);
});

test("publicFailure() picks the generic code by context", () => {
  const error = new Error("boom");
  assert.deepEqual(publicFailure(error, "lifecycle"), {
    code: "worker_failed",
    message: "worker operation failed",
  });
  assert.deepEqual(publicFailure(error, "command"), {
    code: "command_failed",
    message: "command failed",
  });
  assert.deepEqual(publicFailure(error, "loop_cleanup"), {
    code: "loop_cleanup_failed",
    message: "loop cleanup failed",
  });
});

test("publicFailure() treats an unknown context as lifecycle", () => {
  assert.deepEqual(
    publicFailure(new Error("x"), "bogus" as FailureContext),
    GENERIC.lifecycle,
  );
});

test("publicFailure() returns a fresh object each call", () => {
  const a = publicFailure(new Error("x"), "command");
  a.code = "mutated";
  assert.deepEqual(publicFailure(new Error("x"), "command"), GENERIC.command);
  const b = publicFailure(new WorkerkitError("canceled"), "command");
  b.message = "mutated";
  assert.equal(PUBLIC_MESSAGES.canceled, "canceled");
  assert.deepEqual(
    publicFailure(new WorkerkitError("canceled"), "command"),
    CANCELED,
  );
});

// --- publicFailure(): hostile values ----------------------------------------------

test("publicFailure() survives a proxy whose every trap throws", () => {
  assertProjects(hostileProxy({}), PANIC);
  assertProjects(hostileProxy(new Error("sk_live_SECRET")), PANIC);
  assertProjects(hostileProxy(() => {}), PANIC);
  assert.equal(isAbortLike(hostileProxy({})), false);
});

test("publicFailure() survives a revoked proxy", () => {
  const { proxy, revoke } = Proxy.revocable(new Error("sk_live_SECRET"), {});
  revoke();
  assertProjects(proxy, PANIC);
  assert.equal(isAbortLike(proxy), false);
});

test("publicFailure() stops the walk at a revoked proxy in the cause chain", () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assertProjects(new Error("x", { cause: proxy }), generic);
});

test("publicFailure() sees through a transparent proxy", () => {
  assertProjects(new Proxy(new Error("sk_live_SECRET"), {}), generic);
  assertProjects(
    new Proxy(
      new OperationalFailure({ code: "proxied", message: "proxied" }),
      {},
    ),
    { code: "proxied", message: "proxied" },
  );
  assertProjects(
    new Proxy(new WorkerkitError("canceled", "sk_live_SECRET"), {}),
    CANCELED,
  );
});

test("publicFailure() survives a throwing cause getter", () => {
  const error = new Error("x");
  Object.defineProperty(error, "cause", {
    get() {
      throw new Error("cause getter: sk_live_SECRET");
    },
  });
  assertProjects(error, generic);
});

test("publicFailure() survives a throwing name getter", () => {
  const error = new Error("x");
  Object.defineProperty(error, "name", {
    get() {
      throw new Error("name getter");
    },
  });
  assertProjects(error, generic);
  assert.equal(isAbortLike(error), false);
});

test("publicFailure() survives a cause getter that returns a fresh error each time", () => {
  let calls = 0;
  const make = (): Error => {
    const error = new Error("layer");
    Object.defineProperty(error, "cause", {
      get() {
        calls++;
        return make();
      },
    });
    return error;
  };
  assertProjects(make(), generic);
  assert.ok(calls <= 32 * CONTEXTS.length, `followed ${calls} causes`);
});

test("publicFailure() ends on a cyclic cause chain", () => {
  const a = new Error("a");
  const b = new Error("b", { cause: a });
  Object.defineProperty(a, "cause", { value: b });
  assertProjects(a, generic);

  const self = new Error("self");
  Object.defineProperty(self, "cause", { value: self });
  assertProjects(self, generic);

  const plainCycle: Record<string, unknown> = {};
  plainCycle.cause = plainCycle;
  assertProjects(plainCycle, PANIC);
});

test("publicFailure() finds an OperationalFailure inside a cyclic chain", () => {
  const failure = new OperationalFailure({ code: "cyclic", message: "cyclic" });
  const top = new Error("top", { cause: failure });
  Object.defineProperty(failure, "cause", { value: top });
  assertProjects(top, { code: "cyclic", message: "cyclic" });
});

test("publicFailure() follows causes through null-prototype and plain objects", () => {
  const holder = Object.create(null) as { cause?: unknown };
  holder.cause = new OperationalFailure({ code: "held", message: "held" });
  assertProjects(new Error("x", { cause: holder }), {
    code: "held",
    message: "held",
  });
  assertProjects(holder, { code: "held", message: "held" });
});

test("publicFailure() survives an object whose Symbol.toPrimitive and toString throw", () => {
  const hostile = {
    [Symbol.toPrimitive]() {
      throw new Error("toPrimitive");
    },
    toString() {
      throw new Error("toString");
    },
    get name() {
      throw new Error("name");
    },
    get message() {
      throw new Error("message");
    },
    get cause() {
      throw new Error("cause");
    },
  };
  assertProjects(hostile, PANIC);
});

test("publicFailure() survives an Error with a hostile proxy prototype", () => {
  const error = new Error("x");
  Object.setPrototypeOf(error, hostileProxy({}));
  for (const context of CONTEXTS) {
    const projected = publicFailure(error, context);
    // Error.isError (where present) still sees an Error; elsewhere it is panic.
    assert.ok(
      projected.code === GENERIC[context].code || projected.code === "panic",
      projected.code,
    );
  }
});

// --- isAbortLike() ------------------------------------------------------------------

test("isAbortLike() recognises TimeoutError and AbortError only", () => {
  assert.equal(isAbortLike(new DOMException("t", "TimeoutError")), true);
  assert.equal(isAbortLike(new DOMException("a", "AbortError")), true);
  assert.equal(isAbortLike(AbortSignal.abort().reason), true);
  const named = new Error("x");
  named.name = "AbortError";
  assert.equal(isAbortLike(named), true);
  assert.equal(isAbortLike(new Error("x")), false);
  assert.equal(isAbortLike(new DOMException("x", "NotFoundError")), false);
  assert.equal(isAbortLike({ name: "AbortError" }), false);
  assert.equal(isAbortLike("AbortError"), false);
  assert.equal(isAbortLike(undefined), false);
  assert.equal(isAbortLike(null), false);
});

test("no unhandled rejections", assertNoUnhandled);
