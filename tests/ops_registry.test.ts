import { test } from "node:test";
import assert from "node:assert/strict";
import { WorkerkitError } from "../src/base/errors.ts";
import type { Component, Readiness } from "../src/ops/component.ts";
import { type ComponentPolicy, OpsRegistry } from "../src/ops/registry.ts";
import { Runtime } from "../src/runtime.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

function code(error: unknown): string | undefined {
  return error instanceof WorkerkitError ? error.code : undefined;
}

function fixed(name: string, ready: boolean, kind?: string): Component {
  return kind === undefined
    ? { name, readiness: () => ({ ready }) }
    : { name, kind, readiness: () => ({ ready }) };
}

/** Round-trips through JSON: equal only if the value was plain JSON. */
function viaJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

const POLICIES: ComponentPolicy[] = ["required", "optional", "informational"];

test("readiness() is ready when every required component is ready", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("postgres", true, "postgres"));
  registry.register(fixed("config", true), { policy: "required" });
  assert.deepEqual(registry.readiness(), {
    ready: true,
    components: [
      { name: "postgres", kind: "postgres", policy: "required", ready: true },
      { name: "config", policy: "required", ready: true },
    ],
  });
});

test("readiness() is not ready while a required component is not ready, and names it", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("postgres", false));
  registry.register(fixed("config", true));
  const readiness = registry.readiness();
  assert.equal(readiness.ready, false);
  assert.equal(readiness.reason, "required component not ready: postgres");
  registry.register(fixed("billing", false));
  assert.equal(
    registry.readiness().reason,
    "required components not ready: postgres, billing",
  );
});

test("readiness() ignores an optional component that is not ready", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("postgres", true));
  registry.register(fixed("cache", false), { policy: "optional" });
  const readiness = registry.readiness();
  assert.equal(readiness.ready, true);
  assert.equal(readiness.reason, undefined);
  assert.deepEqual(readiness.components[1], {
    name: "cache",
    policy: "optional",
    ready: false,
  });
});

test("readiness() is not ready when a required component is not, even if optional ones are", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("postgres", false));
  registry.register(fixed("cache", true), { policy: "optional" });
  registry.register(fixed("build", true), { policy: "informational" });
  assert.equal(registry.readiness().ready, false);
});

test("readiness() never lets an informational component decide", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("postgres", true));
  registry.register(fixed("build", false), { policy: "informational" });
  registry.register({
    name: "flaky",
    readiness: () => {
      throw new Error("boom");
    },
  }, { policy: "informational" });
  assert.equal(registry.readiness().ready, true);
});

test("readiness() follows the rule for every combination of policies and readiness", () => {
  const kinds = POLICIES.flatMap((policy) =>
    [true, false].map((ready) => ({ policy, ready }))
  );
  let combinations = 0;
  const visit = (chosen: { policy: ComponentPolicy; ready: boolean }[]) => {
    const registry = new OpsRegistry();
    chosen.forEach(({ policy, ready }, i) =>
      registry.register(fixed(`c${i}`, ready), { policy })
    );
    const required = chosen.filter((c) => c.policy === "required");
    const expected = required.length > 0 && required.every((c) => c.ready);
    const readiness = registry.readiness();
    const label = JSON.stringify(chosen);
    assert.equal(readiness.ready, expected, label);
    assert.equal(readiness.reason === undefined, expected, label);
    assert.deepEqual(
      readiness.components.map((c) => [c.policy, c.ready]),
      chosen.map((c) => [c.policy, c.ready]),
      label,
    );
    combinations++;
    if (chosen.length < 3) {
      for (const next of kinds) visit([...chosen, next]);
    }
  };
  visit([]);
  assert.equal(combinations, 1 + 6 + 36 + 216);
});

test("readiness() fails closed with no component at all", () => {
  const registry = new OpsRegistry();
  assert.deepEqual(registry.readiness(), {
    ready: false,
    reason: "no component is registered",
    components: [],
  });
});

test("readiness() fails closed when no required component is registered, even if the others are ready", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("cache", true), { policy: "optional" });
  registry.register(fixed("build", true), { policy: "informational" });
  const readiness = registry.readiness();
  assert.equal(readiness.ready, false);
  assert.equal(readiness.reason, "no required component is registered");
  assert.equal(readiness.components.length, 2);
  assert.ok(readiness.components.every((c) => c.ready));
});

test("readiness() lists at most ten blocking components by name in its reason", () => {
  const registry = new OpsRegistry();
  for (let i = 0; i < 12; i++) registry.register(fixed(`c${i}`, false));
  assert.equal(
    registry.readiness().reason,
    "required components not ready: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 2 more",
  );
});

test("register() defaults the policy to required", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("a", true));
  registry.register(fixed("b", true), {});
  registry.register(fixed("c", true), { policy: undefined as never });
  assert.deepEqual(
    registry.components().map((c) => c.policy),
    ["required", "required", "required"],
  );
});

test("a component whose readiness() throws is not ready and failed, without the error text", () => {
  const registry = new OpsRegistry();
  for (
    const [name, thrown] of [
      ["error", new Error("password=hunter2")],
      ["string", "password=hunter2"],
      ["undefined", undefined],
    ] as const
  ) {
    registry.register({
      name,
      readiness: () => {
        throw thrown;
      },
    });
  }
  const readiness = registry.readiness();
  assert.equal(readiness.ready, false);
  for (const c of readiness.components) {
    assert.equal(c.ready, false);
    assert.equal(c.state, "failed");
    assert.equal(c.reason, "readiness check threw");
  }
  assert.ok(!JSON.stringify(readiness).includes("hunter2"));
  assert.deepEqual(registry.component("error")?.readiness, {
    ready: false,
    state: "failed",
    reason: "readiness check threw",
  });
});

test("a readiness getter that starts throwing after registration is contained", () => {
  const registry = new OpsRegistry();
  let broken = false;
  const component = {
    name: "db",
    get readiness(): () => Readiness {
      if (broken) throw new Error("getter secret");
      return () => ({ ready: true });
    },
  };
  registry.register(component);
  assert.equal(registry.readiness().ready, true);
  broken = true;
  assert.equal(
    registry.readiness().components[0]?.reason,
    "readiness check threw",
  );
});

test("readiness() answering a non-object or a promise counts as not ready and failed", () => {
  const answers: unknown[] = [
    null,
    undefined,
    true,
    1,
    "ready",
    Promise.resolve({ ready: true }),
    Promise.reject(new Error("rejected secret")),
    {
      then() {
        throw new Error("hostile thenable");
      },
    },
  ];
  const registry = new OpsRegistry();
  answers.forEach((answer, i) =>
    registry.register({
      name: `c${i}`,
      readiness: () => answer as Readiness,
    })
  );
  const readiness = registry.readiness();
  assert.equal(readiness.ready, false);
  assert.deepEqual(
    readiness.components.map((c) => [c.ready, c.state, c.reason]),
    [
      ...Array(5).fill([
        false,
        "failed",
        "readiness returned an invalid value",
      ]),
      ...Array(3).fill([false, "failed", "readiness returned a promise"]),
    ],
  );
});

test("hostile readiness values are sanitised to plain, publishable JSON", () => {
  const cyclic: Record<string, unknown> = { name: "loop", ready: true };
  cyclic.self = cyclic;
  const answers: Record<string, unknown> = {
    truthy: { ready: "true", state: "bogus", reason: 42 },
    one: { ready: 1, state: "READY", reason: { toString: () => "x" } },
    extra: {
      ready: true,
      state: "degraded",
      reason: "slow",
      secret: "hunter2",
      fn: () => {},
      items: "not an array",
    },
    items: {
      ready: true,
      items: [
        { name: "ok", ready: true, impact: "optional", reason: "fine", x: 1n },
        { name: "weird", ready: "yes", impact: "mandatory" },
        cyclic,
        { name: "", ready: true, impact: "required" },
        { ready: true, impact: "required" },
        { name: 7, ready: true, impact: "required" },
        null,
        "item",
        () => {},
      ],
    },
    long: { ready: false, reason: "r".repeat(5_000) },
  };
  const registry = new OpsRegistry();
  for (const [name, answer] of Object.entries(answers)) {
    registry.register({ name, readiness: () => answer as Readiness });
  }
  const readiness = registry.readiness();
  assert.deepEqual(viaJson(readiness), readiness);
  const [truthy, one, extra, items, long] = readiness.components;
  assert.deepEqual(truthy, {
    name: "truthy",
    policy: "required",
    ready: false,
  });
  assert.deepEqual(one, { name: "one", policy: "required", ready: false });
  assert.deepEqual(extra, {
    name: "extra",
    policy: "required",
    ready: true,
    state: "degraded",
    reason: "slow",
  });
  assert.deepEqual(items?.items, [
    { name: "ok", ready: true, impact: "optional", reason: "fine" },
    { name: "weird", ready: false, impact: "required" },
    { name: "loop", ready: true, impact: "required" },
  ]);
  assert.equal(long?.reason?.length, 1024);
  assert.ok(long?.reason?.endsWith("…"));
  assert.ok(!JSON.stringify(readiness).includes("hunter2"));
});

test("readiness values with throwing getters or proxies count as not ready and failed", () => {
  const registry = new OpsRegistry();
  registry.register({
    name: "getter",
    readiness: () =>
      ({
        get ready(): boolean {
          throw new Error("getter secret");
        },
      }) as Readiness,
  });
  registry.register({
    name: "proxy",
    readiness: () =>
      new Proxy({}, {
        get() {
          throw new Error("proxy secret");
        },
      }) as Readiness,
  });
  registry.register({
    name: "item",
    readiness: () => ({
      ready: true,
      items: [
        new Proxy({}, {
          get() {
            throw new Error("item secret");
          },
        }) as never,
      ],
    }),
  });
  for (const c of registry.readiness().components) {
    assert.deepEqual([c.ready, c.state, c.reason], [
      false,
      "failed",
      "readiness returned an invalid value",
    ]);
  }
});

test("readiness() results are copies shared neither with the component nor across calls", () => {
  const answer = {
    ready: true,
    state: "ready" as const,
    items: [{ name: "w", ready: true, impact: "required" as const }],
  };
  const registry = new OpsRegistry();
  registry.register({ name: "runtime", readiness: () => answer });
  const first = registry.readiness();
  const entry = first.components[0]!;
  entry.ready = false;
  entry.items![0]!.ready = false;
  entry.items!.push({ name: "x", ready: false, impact: "required" });
  first.components.pop();
  assert.equal(answer.items.length, 1);
  assert.equal(answer.items[0]!.ready, true);
  const second = registry.readiness();
  assert.notEqual(second, first);
  assert.deepEqual(second.components[0], {
    name: "runtime",
    policy: "required",
    ready: true,
    state: "ready",
    items: [{ name: "w", ready: true, impact: "required" }],
  });
  answer.items[0]!.ready = false;
  assert.equal(second.components[0]!.items![0]!.ready, true);
  const detail = registry.component("runtime")!;
  assert.notEqual(detail.readiness.items, answer.items);
});

test("components() lists names, kinds and policies in registration order without calling components", () => {
  let calls = 0;
  const counted = (name: string, kind?: string): Component => {
    const c: Component = {
      name,
      readiness: () => {
        calls++;
        return { ready: true };
      },
      inspect: () => {
        calls++;
        return {};
      },
    };
    return kind === undefined ? c : { ...c, kind };
  };
  const registry = new OpsRegistry();
  registry.register(counted("billing", "workerkit.runtime"));
  registry.register(counted("cache", "redis"), { policy: "optional" });
  registry.register(counted("build"), { policy: "informational" });
  const list = registry.components();
  assert.deepEqual(list, [
    { name: "billing", kind: "workerkit.runtime", policy: "required" },
    { name: "cache", kind: "redis", policy: "optional" },
    { name: "build", policy: "informational" },
  ]);
  assert.equal(calls, 0);
  list[0]!.policy = "informational";
  list.pop();
  assert.equal(registry.components()[0]!.policy, "required");
  assert.equal(registry.components().length, 3);
});

test("component() returns identity, policy, readiness and inspection data", () => {
  const registry = new OpsRegistry();
  registry.register({
    name: "pool",
    kind: "postgres",
    readiness: () => ({ ready: true, state: "ready" }),
    inspect: () => ({ open: 4, idle: 2 }),
  }, { policy: "optional" });
  assert.deepEqual(registry.component("pool"), {
    name: "pool",
    kind: "postgres",
    policy: "optional",
    readiness: { ready: true, state: "ready" },
    inspect: { open: 4, idle: 2 },
  });
});

test("component() omits inspect for a component without one, and is undefined for unknown names", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("config", true));
  const detail = registry.component("config");
  assert.deepEqual(detail, {
    name: "config",
    policy: "required",
    readiness: { ready: true },
  });
  assert.equal(detail !== undefined && "inspect" in detail, false);
  for (const name of ["nope", "Config", "", "a/b", 42, undefined, null]) {
    assert.equal(registry.component(name as string), undefined);
  }
});

test("component() calls inspect with the component as this", () => {
  class Pool implements Component {
    readonly name = "pool";
    #open = 3;
    readiness(): Readiness {
      return { ready: this.#open > 0 };
    }
    inspect(): unknown {
      return { open: this.#open };
    }
  }
  const registry = new OpsRegistry();
  registry.register(new Pool());
  assert.deepEqual(registry.component("pool")?.inspect, { open: 3 });
  assert.equal(registry.readiness().ready, true);
});

test("an inspect() that throws gives { error: 'inspect failed' } without the error text", () => {
  const registry = new OpsRegistry();
  registry.register({
    name: "db",
    readiness: () => ({ ready: true }),
    inspect: () => {
      throw new Error("dsn=postgres://user:hunter2@db");
    },
  });
  const detail = registry.component("db");
  assert.deepEqual(detail?.inspect, { error: "inspect failed" });
  assert.equal(detail?.readiness.ready, true);
  assert.ok(!JSON.stringify(detail).includes("hunter2"));
});

test("inspect() output is copied with JSON semantics and not shared with the component", () => {
  const source = {
    count: 1,
    nan: Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    none: undefined,
    fn: () => {},
    sym: Symbol("s"),
    at: new Date(0),
    error: new Error("secret error text"),
    list: [1, undefined, () => {}, "x"],
    boxed: [new Number(2), new String("s"), new Boolean(false)],
    nested: { deep: { deeper: ["a"] } },
    custom: { toJSON: (key: string) => `custom:${key}` },
    map: new Map([["k", "v"]]),
  };
  const evil = JSON.parse('{"__proto__": {"polluted": true}}');
  const registry = new OpsRegistry();
  registry.register({
    name: "data",
    readiness: () => ({ ready: true }),
    inspect: () => ({ source, evil }),
  });
  const inspected = registry.component("data")?.inspect as {
    source: Record<string, unknown>;
    evil: Record<string, unknown>;
  };
  assert.deepEqual(inspected.source, {
    count: 1,
    nan: null,
    inf: null,
    at: "1970-01-01T00:00:00.000Z",
    error: {},
    list: [1, null, null, "x"],
    boxed: [2, "s", false],
    nested: { deep: { deeper: ["a"] } },
    custom: "custom:custom",
    map: {},
  });
  assert.deepEqual(inspected.source, viaJson(source));
  assert.equal(Object.getPrototypeOf(inspected.evil), Object.prototype);
  assert.deepEqual(Object.keys(inspected.evil), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  (inspected.source.nested as { deep: { deeper: string[] } }).deep.deeper
    .push("b");
  assert.deepEqual(source.nested.deep.deeper, ["a"]);
  assert.notEqual(registry.component("data")?.inspect, inspected);
});

test("inspect() returning a primitive or nothing is copied as JSON", () => {
  const cases: [unknown, unknown][] = [
    [7, 7],
    ["text", "text"],
    [null, null],
    [undefined, null],
    [() => {}, null],
    [Number.NaN, null],
  ];
  for (const [value, expected] of cases) {
    const registry = new OpsRegistry();
    registry.register({
      name: "p",
      readiness: () => ({ ready: true }),
      inspect: () => value,
    });
    const detail = registry.component("p");
    assert.ok(detail !== undefined && "inspect" in detail);
    assert.deepEqual(detail.inspect, expected);
  }
});

test("inspect() output that cannot be JSON gives { error: 'inspect not serialisable' }", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { back: cyclic };
  const outputs: unknown[] = [
    cyclic,
    { big: 10n },
    10n,
    {
      get secret(): string {
        throw new Error("getter secret");
      },
    },
    {
      toJSON: () => {
        throw new Error("toJSON secret");
      },
    },
    new Proxy({}, {
      ownKeys() {
        throw new Error("proxy secret");
      },
    }),
    Promise.resolve({ a: 1 }),
    Promise.reject(new Error("rejected secret")),
  ];
  outputs.forEach((output) => {
    const registry = new OpsRegistry();
    registry.register({
      name: "bad",
      readiness: () => ({ ready: true }),
      inspect: () => output,
    });
    assert.deepEqual(registry.component("bad")?.inspect, {
      error: "inspect not serialisable",
    });
  });
});

test("inspect() output shared without a cycle is copied in full", () => {
  const shared = { n: 1 };
  const registry = new OpsRegistry();
  registry.register({
    name: "dag",
    readiness: () => ({ ready: true }),
    inspect: () => ({ a: shared, b: shared, list: [shared, shared] }),
  });
  assert.deepEqual(registry.component("dag")?.inspect, {
    a: { n: 1 },
    b: { n: 1 },
    list: [{ n: 1 }, { n: 1 }],
  });
});

test("inspect() output past the depth or size bound gives { error: 'inspect output too large' }", () => {
  let deep: unknown = "bottom";
  for (let i = 0; i < 100; i++) deep = { next: deep };
  let shallow: unknown = "bottom";
  for (let i = 0; i < 60; i++) shallow = [shallow];
  const outputs: [string, unknown][] = [
    ["deep", deep],
    ["string", "x".repeat(17 * 1024 * 1024)],
    ["sparse", new Array(2 ** 32 - 1)],
  ];
  for (const [name, output] of outputs) {
    const registry = new OpsRegistry();
    registry.register({
      name,
      readiness: () => ({ ready: true }),
      inspect: () => output,
    });
    assert.deepEqual(
      registry.component(name)?.inspect,
      { error: "inspect output too large" },
      name,
    );
  }
  const registry = new OpsRegistry();
  registry.register({
    name: "shallow",
    readiness: () => ({ ready: true }),
    inspect: () => shallow,
  });
  assert.deepEqual(registry.component("shallow")?.inspect, viaJson(shallow));
});

test("register() refuses invalid names with invalid_name", () => {
  const registry = new OpsRegistry();
  for (
    const name of [
      "",
      "Postgres",
      "a b",
      "a/b",
      "db.primary",
      "x".repeat(129),
      42,
      undefined,
      null,
    ]
  ) {
    assert.throws(
      () =>
        registry.register({
          name: name as string,
          readiness: () => ({ ready: true }),
        }),
      (e) => code(e) === "invalid_name",
      String(name),
    );
  }
  registry.register(fixed("x".repeat(128), true));
  registry.register(fixed("db_primary-2", true));
  assert.equal(registry.components().length, 2);
});

test("register() refuses a duplicate name with invalid_argument and keeps the first", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("postgres", true, "postgres"));
  assert.throws(
    () => registry.register(fixed("postgres", false), { policy: "optional" }),
    (e) =>
      code(e) === "invalid_argument" &&
      (e as Error).message === 'component "postgres" is already registered',
  );
  assert.deepEqual(registry.components(), [
    { name: "postgres", kind: "postgres", policy: "required" },
  ]);
  assert.equal(registry.readiness().ready, true);
});

test("register() refuses malformed components and options with invalid_argument and changes nothing", () => {
  const registry = new OpsRegistry();
  const readiness = () => ({ ready: true });
  const components: unknown[] = [
    null,
    undefined,
    "postgres",
    () => ({ ready: true }),
    { name: "a" },
    { name: "a", readiness: { ready: true } },
    { name: "a", readiness, inspect: { open: 1 } },
    { name: "a", readiness, kind: "" },
    { name: "a", readiness, kind: "has space" },
    { name: "a", readiness, kind: ".dot" },
    { name: "a", readiness, kind: 5 },
    { name: "a", readiness, kind: "k".repeat(129) },
  ];
  for (const component of components) {
    assert.throws(
      () => registry.register(component as Component),
      (e) => code(e) === "invalid_argument",
      String(component),
    );
  }
  const optionsList: unknown[] = [
    null,
    "required",
    { policy: "mandatory" },
    { policy: "Required" },
    { policy: 1 },
  ];
  for (const options of optionsList) {
    assert.throws(
      () => registry.register(fixed("a", true), options as never),
      (e) => code(e) === "invalid_argument",
      JSON.stringify(options),
    );
  }
  assert.deepEqual(registry.components(), []);
  registry.register({
    name: "a",
    kind: "workerkit.runtime",
    readiness,
    inspect: undefined,
  } as never);
  registry.register({ name: "b", kind: "Postgres:16/primary_db-1", readiness });
  assert.equal(registry.components().length, 2);
});

test("name and kind are read once, at registration", () => {
  const component = {
    name: "db",
    kind: "postgres",
    readiness: () => ({ ready: true }),
  };
  const registry = new OpsRegistry();
  registry.register(component);
  component.name = "other";
  component.kind = "mysql";
  assert.deepEqual(registry.components(), [
    { name: "db", kind: "postgres", policy: "required" },
  ]);
  assert.equal(registry.component("db")?.name, "db");
  assert.equal(registry.component("other"), undefined);
  assert.equal(registry.unregister("db"), true);
});

test("unregister() removes a component and says whether it did", () => {
  const registry = new OpsRegistry();
  registry.register(fixed("postgres", false));
  registry.register(fixed("config", true));
  assert.equal(registry.readiness().ready, false);
  assert.equal(registry.unregister("postgres"), true);
  assert.equal(registry.unregister("postgres"), false);
  assert.equal(registry.component("postgres"), undefined);
  assert.deepEqual(registry.components().map((c) => c.name), ["config"]);
  assert.equal(registry.readiness().ready, true);
  for (const name of ["nope", "Bad Name", "", 42, undefined]) {
    assert.equal(registry.unregister(name as string), false);
  }
  registry.register(fixed("postgres", true), { policy: "optional" });
  assert.deepEqual(registry.components().map((c) => c.name), [
    "config",
    "postgres",
  ]);
  assert.equal(registry.unregister("config"), true);
  assert.deepEqual(registry.readiness(), {
    ready: false,
    reason: "no required component is registered",
    components: [{ name: "postgres", policy: "optional", ready: true }],
  });
});

test("readiness() is stable when a component unregisters itself or registers another while asked", () => {
  const registry = new OpsRegistry();
  registry.register({
    name: "once",
    readiness: () => {
      registry.unregister("once");
      registry.register(fixed("late", false));
      return { ready: true };
    },
  });
  registry.register(fixed("db", true));
  const first = registry.readiness();
  assert.deepEqual(first.components.map((c) => c.name), ["once", "db"]);
  assert.equal(first.ready, true);
  const second = registry.readiness();
  assert.deepEqual(second.components.map((c) => c.name), ["db", "late"]);
  assert.equal(second.reason, "required component not ready: late");
});

test("a Runtime registers as a component and decides readiness while required", async () => {
  const runtime = new Runtime({ name: "billing" });
  runtime.register({ name: "ingest", worker: { start() {}, stop() {} } });
  const registry = new OpsRegistry();
  registry.register(runtime);
  registry.register(fixed("cache", true), { policy: "optional" });
  assert.deepEqual(registry.components()[0], {
    name: "billing",
    kind: "workerkit.runtime",
    policy: "required",
  });
  assert.equal(registry.readiness().ready, false);
  assert.equal(
    registry.readiness().reason,
    "required component not ready: billing",
  );
  await runtime.startAll();
  const readiness = registry.readiness();
  assert.equal(readiness.ready, true);
  assert.deepEqual(viaJson(readiness), readiness);
  const detail = registry.component("billing");
  assert.deepEqual(viaJson(detail), detail);
  assert.equal(
    (detail?.inspect as { status: { name: string } }).status.name,
    "billing",
  );
  await runtime.shutdown();
  assert.equal(registry.readiness().ready, false);
});

test("no unhandled rejections", assertNoUnhandled);
