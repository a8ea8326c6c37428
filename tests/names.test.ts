import { test } from "node:test";
import assert from "node:assert/strict";
import { WorkerkitError } from "../src/base/errors.ts";
import {
  isValidCommandName,
  isValidName,
  MAX_COMMAND_NAME_LENGTH,
  MAX_NAME_LENGTH,
  validateCommandName,
  validateRuntimeName,
  validateWorkerName,
} from "../src/base/names.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

/** Asserts that `fn` throws an `invalid_name` WorkerkitError whose message matches `pattern`; returns the message. */
function assertInvalidName(fn: () => void, pattern: RegExp): string {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof WorkerkitError, "expected a WorkerkitError");
  assert.equal(caught.code, "invalid_name");
  assert.equal(caught.name, "WorkerkitError");
  assert.match(caught.message, pattern);
  return caught.message;
}

const nameValidators = [
  ["validateRuntimeName", validateRuntimeName, "runtime name"],
  ["validateWorkerName", validateWorkerName, "worker name"],
] as const;

// --- runtime and worker names ------------------------------------------------

for (const [label, validate, kind] of nameValidators) {
  test(`${label}() accepts lower-case letters, digits, "-" and "_"`, () => {
    for (
      const name of [
        "billing",
        "a",
        "0",
        "-",
        "_",
        "invoice-mailer_2",
        "a-z_0-9",
      ]
    ) {
      assert.equal(validate(name), undefined);
    }
  });

  test(`${label}() accepts a name of exactly ${MAX_NAME_LENGTH} characters`, () => {
    assert.equal(validate("a".repeat(MAX_NAME_LENGTH)), undefined);
  });

  test(`${label}() refuses an empty name`, () => {
    assertInvalidName(
      () => validate(""),
      new RegExp(`${kind}.*must not be empty`),
    );
  });

  test(`${label}() refuses a name one character too long`, () => {
    const message = assertInvalidName(
      () => validate("a".repeat(MAX_NAME_LENGTH + 1)),
      new RegExp(
        `${
          MAX_NAME_LENGTH + 1
        } characters long, the maximum is ${MAX_NAME_LENGTH}`,
      ),
    );
    assert.ok(message.includes(kind));
  });

  test(`${label}() refuses an upper-case letter`, () => {
    const message = assertInvalidName(
      () => validate("Billing"),
      /character "B" \(U\+0042\) at index 0 is not allowed/,
    );
    assert.match(message, /lower-case/);
  });

  test(`${label}() refuses a space`, () => {
    assertInvalidName(
      () => validate("invoice mailer"),
      /space \(U\+0020\) at index 7/,
    );
  });

  test(`${label}() refuses a "/"`, () => {
    assertInvalidName(
      () => validate("billing/mailer"),
      /"\/" \(U\+002F\) at index 7/,
    );
  });

  test(`${label}() refuses a "."`, () => {
    assertInvalidName(() => validate("a.b"), /"\." \(U\+002E\) at index 1/);
  });

  test(`${label}() refuses a non-ASCII letter and names it by code point`, () => {
    assertInvalidName(() => validate("café"), /"é" \(U\+00E9\) at index 3/);
    assertInvalidName(() => validate("a😀"), /"😀" \(U\+1F600\) at index 1/);
  });

  test(`${label}() refuses control characters and escapes them in the message`, () => {
    const message = assertInvalidName(
      () => validate("a\nb\u0000"),
      /"\\n" \(U\+000A\) at index 1/,
    );
    assert.ok(!message.includes("\n"), "raw newline echoed");
    assert.ok(!message.includes("\u0000"), "raw NUL echoed");
  });

  test(`${label}() refuses a non-string and says what it got`, () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /must be a string, got undefined/],
      [null, /must be a string, got null/],
      [42, /must be a string, got a number/],
      [42n, /must be a string, got a bigint/],
      [true, /must be a string, got a boolean/],
      [Symbol("x"), /must be a string, got a symbol/],
      [["billing"], /must be a string, got an array/],
      [{ toString: () => "billing" }, /must be a string, got object/],
      [new String("billing"), /must be a string, got object/],
      [() => "billing", /must be a string, got a function/],
    ];
    for (const [value, pattern] of cases) {
      assertInvalidName(() => validate(value), pattern);
    }
  });

  test(`${label}() does not call a hostile object's toString`, () => {
    const hostile = {
      toString(): string {
        throw new Error("toString called");
      },
      [Symbol.toPrimitive](): string {
        throw new Error("toPrimitive called");
      },
    };
    assertInvalidName(() => validate(hostile), /must be a string, got object/);
  });

  test(`${label}() keeps the message short for a huge string`, () => {
    const huge = "x".repeat(1_000_000) + "!";
    const message = assertInvalidName(
      () => validate(huge),
      /1000001 characters long/,
    );
    assert.ok(message.length < 200, `message is ${message.length} characters`);
  });

  test(`${label}() truncates what it echoes of a long bad name`, () => {
    const name = "A" + "b".repeat(100);
    const message = assertInvalidName(() => validate(name), /at index 0/);
    assert.ok(
      !message.includes("b".repeat(40)),
      "echoed more than the preview",
    );
    assert.match(message, /…/);
  });

  test(`${label}() echoes a lone surrogate escaped, never raw`, () => {
    const message = assertInvalidName(
      () => validate("ab\uD800"),
      /"\\ud800" \(U\+D800\) at index 2/,
    );
    assert.ok(!message.includes("\uD800"));
  });
}

test("validateWorkerName() points at the local name when given a qualified one", () => {
  assertInvalidName(
    () => validateWorkerName("billing/mailer"),
    /use the local name/,
  );
});

test("validateRuntimeName() and validateWorkerName() throw an Error subclass", () => {
  assert.throws(() => validateRuntimeName(""), Error);
  assert.throws(() => validateWorkerName(""), WorkerkitError);
});

// --- command names -------------------------------------------------------------

test("validateCommandName() accepts one segment and several", () => {
  for (
    const name of [
      "refresh",
      "cache/refresh",
      "index/re-build",
      "a/b/c/d",
      "a_1/-/_",
      "0",
    ]
  ) {
    assert.equal(validateCommandName(name), undefined);
  }
});

test(`validateCommandName() accepts a name of exactly ${MAX_COMMAND_NAME_LENGTH} characters`, () => {
  const name = `${"a".repeat(MAX_NAME_LENGTH)}/${
    "b".repeat(MAX_COMMAND_NAME_LENGTH - MAX_NAME_LENGTH - 1)
  }`;
  assert.equal(name.length, MAX_COMMAND_NAME_LENGTH);
  assert.equal(validateCommandName(name), undefined);
});

test("validateCommandName() refuses an empty name", () => {
  assertInvalidName(
    () => validateCommandName(""),
    /command name.*must not be empty/,
  );
});

test("validateCommandName() refuses a name one character too long", () => {
  const name = `${"a".repeat(100)}/${"b".repeat(100)}/${"c".repeat(55)}`;
  assert.equal(name.length, MAX_COMMAND_NAME_LENGTH + 1);
  assertInvalidName(
    () => validateCommandName(name),
    new RegExp(
      `${
        MAX_COMMAND_NAME_LENGTH + 1
      } characters long, the maximum is ${MAX_COMMAND_NAME_LENGTH}`,
    ),
  );
});

test("validateCommandName() refuses a segment longer than a name", () => {
  const name = `cache/${"a".repeat(MAX_NAME_LENGTH + 1)}`;
  assertInvalidName(
    () => validateCommandName(name),
    new RegExp(
      `segment 2 is ${
        MAX_NAME_LENGTH + 1
      } characters long, the maximum is ${MAX_NAME_LENGTH}`,
    ),
  );
});

test('validateCommandName() refuses a leading "/"', () => {
  assertInvalidName(
    () => validateCommandName("/cache"),
    /must not start with "\/"/,
  );
  assertInvalidName(() => validateCommandName("/"), /must not start with "\/"/);
});

test('validateCommandName() refuses a trailing "/"', () => {
  assertInvalidName(
    () => validateCommandName("cache/"),
    /must not end with "\/"/,
  );
});

test("validateCommandName() refuses an empty segment", () => {
  assertInvalidName(
    () => validateCommandName("cache//refresh"),
    /segment 2 is empty \(consecutive "\/" at index 6\)/,
  );
  assertInvalidName(() => validateCommandName("a/b///c"), /segment 3 is empty/);
});

test("validateCommandName() refuses a leading or trailing space", () => {
  assertInvalidName(
    () => validateCommandName(" cache/refresh"),
    /space \(U\+0020\) at index 0/,
  );
  assertInvalidName(
    () => validateCommandName("cache/refresh "),
    /space \(U\+0020\) at index 13/,
  );
});

test("validateCommandName() refuses an upper-case letter in any segment", () => {
  const message = assertInvalidName(
    () => validateCommandName("cache/Refresh"),
    /character "R" \(U\+0052\) at index 6/,
  );
  assert.match(message, /lower-case/);
});

test("validateCommandName() refuses other punctuation", () => {
  const cases: Array<[string, RegExp]> = [
    ["cache.refresh", /"\." \(U\+002E\) at index 5/],
    ["cache:refresh", /":" \(U\+003A\) at index 5/],
    ["a\\b", /"\\\\" \(U\+005C\) at index 1/],
    ["a/b\tc", /"\\t" \(U\+0009\) at index 3/],
  ];
  for (const [name, pattern] of cases) {
    assertInvalidName(() => validateCommandName(name), pattern);
  }
});

test("validateCommandName() refuses a non-string", () => {
  for (const value of [undefined, null, 1, ["cache", "refresh"], {}]) {
    assertInvalidName(
      () => validateCommandName(value),
      /command name: must be a string/,
    );
  }
});

test("validateCommandName() keeps the message short for a huge string", () => {
  const message = assertInvalidName(
    () => validateCommandName("a/".repeat(500_000) + "a"),
    /1000001 characters long/,
  );
  assert.ok(message.length < 200, `message is ${message.length} characters`);
});

// --- hot-path predicates -------------------------------------------------------

test("isValidName() agrees with the validators", () => {
  const cases: Array<[string, boolean]> = [
    ["billing", true],
    ["a-b_c9", true],
    ["a".repeat(MAX_NAME_LENGTH), true],
    ["", false],
    ["a".repeat(MAX_NAME_LENGTH + 1), false],
    ["Billing", false],
    ["a b", false],
    ["a/b", false],
    ["a.b", false],
    ["é", false],
    ["a\u0000", false],
  ];
  for (const [name, valid] of cases) {
    assert.equal(isValidName(name), valid, JSON.stringify(name));
    let threw = false;
    try {
      validateWorkerName(name);
    } catch {
      threw = true;
    }
    assert.equal(threw, !valid, JSON.stringify(name));
  }
});

test("isValidCommandName() agrees with the validator", () => {
  const cases: Array<[string, boolean]> = [
    ["refresh", true],
    ["cache/refresh", true],
    ["index/re-build", true],
    ["a/b/c", true],
    [`${"a".repeat(MAX_NAME_LENGTH)}/b`, true],
    ["", false],
    ["/", false],
    ["/a", false],
    ["a/", false],
    ["a//b", false],
    ["a/B", false],
    ["a /b", false],
    [`${"a".repeat(MAX_NAME_LENGTH + 1)}/b`, false],
    [`b/${"a".repeat(MAX_NAME_LENGTH + 1)}`, false],
    ["a/".repeat(MAX_COMMAND_NAME_LENGTH / 2) + "a", false],
  ];
  for (const [name, valid] of cases) {
    assert.equal(isValidCommandName(name), valid, JSON.stringify(name));
    let threw = false;
    try {
      validateCommandName(name);
    } catch {
      threw = true;
    }
    assert.equal(threw, !valid, JSON.stringify(name));
  }
});

test("isValidName() and isValidCommandName() return false for a non-string", () => {
  for (const value of [undefined, null, 1, {}, ["a"]]) {
    assert.equal(isValidName(value as unknown as string), false);
    assert.equal(isValidCommandName(value as unknown as string), false);
  }
});

test("no unhandled rejections", assertNoUnhandled);
