import { isThenable } from "../base/_promise.ts";
import { WorkerkitError } from "../base/errors.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";
import { isValidName, MAX_NAME_LENGTH } from "../base/names.ts";
import type {
  Component,
  ComponentState,
  Readiness,
  ReadinessImpact,
  ReadinessItem,
} from "./component.ts";

/**
 * How much a registered component's readiness matters to the registry's
 * aggregate readiness: `required` components decide it; `optional` and
 * `informational` ones are listed but never make it not ready.
 *
 * @example Registering a cache that may be down
 * ```ts
 * import { type ComponentPolicy, OpsRegistry } from "@workerkit/core";
 *
 * const policy: ComponentPolicy = "optional";
 * const registry = new OpsRegistry();
 * registry.register({ name: "cache", readiness: () => ({ ready: false }) }, { policy });
 * console.log(registry.components()[0]?.policy); // "optional"
 * ```
 */
export type ComponentPolicy = ReadinessImpact;

/**
 * Options of {@linkcode OpsRegistry.register}.
 *
 * @example Registering an informational component
 * ```ts
 * import { OpsRegistry, type RegisterComponentOptions } from "@workerkit/core";
 *
 * const options: RegisterComponentOptions = { policy: "informational" };
 * const registry = new OpsRegistry();
 * registry.register({ name: "build-info", readiness: () => ({ ready: true }) }, options);
 * ```
 */
export interface RegisterComponentOptions {
  /**
   * How much the component's readiness matters to the aggregate.
   *
   * @default {"required"}
   */
  policy?: ComponentPolicy;
}

/**
 * A registered component as listed by {@linkcode OpsRegistry.components}.
 *
 * @example Listing names and policies
 * ```ts
 * import { type ComponentInfo, OpsRegistry } from "@workerkit/core";
 *
 * const registry = new OpsRegistry();
 * registry.register({ name: "postgres", kind: "postgres", readiness: () => ({ ready: true }) });
 * const list: ComponentInfo[] = registry.components();
 * console.log(list); // [ { name: "postgres", kind: "postgres", policy: "required" } ]
 * ```
 */
export interface ComponentInfo {
  /** The component's name. */
  name: string;
  /** The component's kind, when it has one. */
  kind?: string;
  /** The policy it was registered with. */
  policy: ComponentPolicy;
}

/**
 * One component's entry in {@linkcode OpsReadiness}: its identity and
 * policy, plus a sanitised copy of what its `readiness()` answered.
 *
 * @example Finding the components that block readiness
 * ```ts
 * import { type ComponentReadiness, OpsRegistry } from "@workerkit/core";
 *
 * const registry = new OpsRegistry();
 * registry.register({ name: "postgres", readiness: () => ({ ready: false, reason: "no connection" }) });
 * const blocking: ComponentReadiness[] = registry.readiness().components
 *   .filter((c) => c.policy === "required" && !c.ready);
 * console.log(blocking.map((c) => c.name)); // [ "postgres" ]
 * ```
 */
export interface ComponentReadiness extends Readiness {
  /** The component's name. */
  name: string;
  /** The component's kind, when it has one. */
  kind?: string;
  /** The policy it was registered with. */
  policy: ComponentPolicy;
}

/**
 * The registry's aggregate readiness, as `/readyz` publishes it.
 *
 * @example Turning readiness into an HTTP status
 * ```ts
 * import { OpsRegistry, type OpsReadiness } from "@workerkit/core";
 *
 * const registry = new OpsRegistry();
 * const readiness: OpsReadiness = registry.readiness();
 * const status = readiness.ready ? 200 : 503;
 * console.log(status, readiness.reason); // 503 "no component is registered"
 * ```
 */
export interface OpsReadiness {
  /**
   * Whether every required component is ready. Always `false` when no
   * required component is registered (fail closed).
   */
  ready: boolean;
  /** Why it is not ready; absent when ready. Public text only. */
  reason?: string;
  /** Every registered component, in registration order. */
  components: ComponentReadiness[];
}

/**
 * One component in detail, as {@linkcode OpsRegistry.component} returns it.
 *
 * @example Inspecting a component
 * ```ts
 * import { type ComponentDetail, OpsRegistry } from "@workerkit/core";
 *
 * const registry = new OpsRegistry();
 * registry.register({
 *   name: "config",
 *   readiness: () => ({ ready: true }),
 *   inspect: () => ({ source: "env" }),
 * });
 * const detail: ComponentDetail | undefined = registry.component("config");
 * console.log(detail?.inspect); // { source: "env" }
 * ```
 */
export interface ComponentDetail extends ComponentInfo {
  /** A sanitised copy of what the component's `readiness()` answered. */
  readiness: Readiness;
  /**
   * A JSON-safe copy of what the component's `inspect()` returned; present
   * only when the component has `inspect`. `{ error: "inspect failed" }`
   * when it threw, `{ error: "inspect not serialisable" }` when its value
   * cannot be represented as JSON, `{ error: "inspect output too large" }`
   * when it exceeds the size or depth bound.
   */
  inspect?: unknown;
}

/**
 * The process's ops registry: the components that have a say in readiness
 * or something to show an operator — Workerkit runtimes, database pools,
 * loaded configuration — each registered with a {@linkcode ComponentPolicy}.
 * The HTTP ops router publishes its {@linkcode OpsRegistry.readiness} on
 * `/readyz` and its components under `{prefix}/components`.
 *
 * The registry only reads: it calls a component's `readiness()` and
 * `inspect()` when asked and never runs checks or commands. Aggregate
 * readiness is `true` iff at least one `required` component is registered
 * and every `required` component is ready; with no required component it
 * is `false` (fail closed), so a service never reports ready by accident.
 *
 * Components are untrusted input. A component whose `readiness()` throws is
 * reported not ready with state `failed` and reason
 * `"readiness check threw"` (never the error's text); one that returns a
 * non-object or a promise is reported not ready with state `failed` too.
 * What a component returns is copied field by field: `ready` counts only
 * when it is exactly `true`, an unknown `state` is dropped, `reason` must be
 * a string (cut to 1,024 characters), items without a string name are
 * dropped, an unknown item `impact` counts as `required`, and unknown fields
 * are left out — so results are always plain JSON, never shared with the
 * component or with earlier results. `inspect()` output is copied with JSON
 * semantics (`toJSON` honoured, functions and `undefined` dropped,
 * non-finite numbers become `null`, an `Error` becomes `{}`), bounded to 64
 * levels and about 16 MiB of JSON.
 *
 * @example A service's registry
 * ```ts
 * import { OpsRegistry } from "@workerkit/core";
 *
 * let connected = false;
 * const registry = new OpsRegistry();
 * registry.register({
 *   name: "postgres",
 *   kind: "postgres",
 *   readiness: () =>
 *     connected
 *       ? { ready: true, state: "ready" }
 *       : { ready: false, state: "starting", reason: "connecting" },
 * });
 * registry.register(
 *   { name: "cache", kind: "redis", readiness: () => ({ ready: false, state: "not_ready" }) },
 *   { policy: "optional" },
 * );
 * console.log(registry.readiness().ready); // false: postgres is not ready
 * connected = true;
 * console.log(registry.readiness().ready); // true: the cache is optional
 * ```
 */
export class OpsRegistry {
  readonly #entries = new Map<string, Entry>();

  /**
   * Adds a component. Its name and kind are read once, here; its
   * `readiness()` and `inspect()` are called only when the registry is
   * asked.
   *
   * @param component The component; its `name` must be unique in this
   * registry.
   * @param options The component's policy; `required` by default.
   * @throws {WorkerkitError} `invalid_name` when the component's name is not
   * a non-empty string of at most 128 characters of `a-z 0-9 - _`;
   * `invalid_argument` when `component` is not an object, `readiness` is
   * not a function, `inspect` is present but not a function, `kind` is
   * present but not 1 to 128 characters of `a-z A-Z 0-9 . _ : / -` starting
   * with a letter or digit, `options` or its `policy` is invalid, or a
   * component of the same name is already registered. Nothing changes when
   * it throws.
   *
   * @example Registering a required and an optional component
   * ```ts
   * import { OpsRegistry } from "@workerkit/core";
   *
   * const registry = new OpsRegistry();
   * registry.register({ name: "postgres", readiness: () => ({ ready: true }) });
   * registry.register(
   *   { name: "search", readiness: () => ({ ready: false, state: "degraded" }) },
   *   { policy: "optional" },
   * );
   * console.log(registry.readiness().ready); // true
   * ```
   */
  register(component: Component, options?: RegisterComponentOptions): void {
    if (component === null || typeof component !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "register() takes a component object",
      );
    }
    const name: unknown = component.name;
    if (typeof name !== "string" || !isValidName(name)) {
      throw new WorkerkitError("invalid_name", componentNameProblem(name));
    }
    const kind: unknown = component.kind;
    if (kind !== undefined && !isValidKind(kind)) {
      throw new WorkerkitError(
        "invalid_argument",
        `component "${name}": kind must be 1 to ${MAX_KIND_LENGTH} characters of a-z A-Z 0-9 . _ : / - starting with a letter or digit`,
      );
    }
    if (typeof component.readiness !== "function") {
      throw new WorkerkitError(
        "invalid_argument",
        `component "${name}": readiness must be a function`,
      );
    }
    const inspect: unknown = component.inspect;
    if (inspect !== undefined && typeof inspect !== "function") {
      throw new WorkerkitError(
        "invalid_argument",
        `component "${name}": inspect must be a function when present`,
      );
    }
    const policy = readPolicy(name, options);
    if (this.#entries.has(name)) {
      throw new WorkerkitError(
        "invalid_argument",
        `component "${name}" is already registered`,
      );
    }
    this.#entries.set(
      name,
      kind === undefined
        ? { component, name, policy }
        : { component, name, kind, policy },
    );
  }

  /**
   * Removes a component.
   *
   * @param name The component's name.
   * @returns `true` when a component of that name was removed; `false` when
   * there was none (including when `name` is not a valid name).
   *
   * @example Removing a component at shutdown
   * ```ts
   * import { OpsRegistry } from "@workerkit/core";
   *
   * const registry = new OpsRegistry();
   * registry.register({ name: "config", readiness: () => ({ ready: true }) });
   * console.log(registry.unregister("config"), registry.unregister("config")); // true false
   * ```
   */
  unregister(name: string): boolean {
    return typeof name === "string" && this.#entries.delete(name);
  }

  /**
   * The aggregate readiness: asks every component, in registration order.
   * Ready iff at least one `required` component is registered and every
   * `required` component is ready; `optional` and `informational`
   * components are listed but never decide. When not ready, `reason` says
   * why: no component, no required component, or which required components
   * are not ready (by name). Never throws, whatever the components do.
   *
   * @returns A fresh, JSON-serialisable object the caller may mutate.
   *
   * @example Fail closed without a required component
   * ```ts
   * import { OpsRegistry } from "@workerkit/core";
   *
   * const registry = new OpsRegistry();
   * registry.register(
   *   { name: "cache", readiness: () => ({ ready: true }) },
   *   { policy: "optional" },
   * );
   * const { ready, reason } = registry.readiness();
   * console.log(ready, reason); // false "no required component is registered"
   * ```
   */
  readiness(): OpsReadiness {
    const components: ComponentReadiness[] = [];
    const blocking: string[] = [];
    let required = 0;
    for (const entry of [...this.#entries.values()]) {
      const readiness = readReadiness(entry.component);
      components.push({ ...info(entry), ...readiness });
      if (entry.policy === "required") {
        required++;
        if (!readiness.ready) blocking.push(entry.name);
      }
    }
    if (components.length === 0) {
      return { ready: false, reason: "no component is registered", components };
    }
    if (required === 0) {
      return {
        ready: false,
        reason: "no required component is registered",
        components,
      };
    }
    if (blocking.length > 0) {
      return { ready: false, reason: blockingReason(blocking), components };
    }
    return { ready: true, components };
  }

  /**
   * The registered components' names, kinds and policies, in registration
   * order. Calls no component code.
   *
   * @returns A fresh array the caller may mutate.
   *
   * @example Listing the components
   * ```ts
   * import { OpsRegistry } from "@workerkit/core";
   *
   * const registry = new OpsRegistry();
   * registry.register({ name: "postgres", kind: "postgres", readiness: () => ({ ready: true }) });
   * registry.register({ name: "config", readiness: () => ({ ready: true }) }, { policy: "informational" });
   * console.log(registry.components().map((c) => `${c.name}:${c.policy}`)); // [ "postgres:required", "config:informational" ]
   * ```
   */
  components(): ComponentInfo[] {
    return [...this.#entries.values()].map(info);
  }

  /**
   * One component in detail: its identity, policy, readiness and — when it
   * has `inspect` — a JSON-safe copy of its inspection data. Never throws,
   * whatever the component does.
   *
   * @param name The component's name.
   * @returns A fresh, JSON-serialisable object the caller may mutate, or
   * `undefined` when no component has that name (including when `name` is
   * not a valid name).
   *
   * @example Inspecting one component
   * ```ts
   * import { OpsRegistry } from "@workerkit/core";
   *
   * const registry = new OpsRegistry();
   * registry.register({
   *   name: "pool",
   *   kind: "postgres",
   *   readiness: () => ({ ready: true, state: "ready" }),
   *   inspect: () => ({ open: 4, idle: 2, since: new Date(0) }),
   * });
   * console.log(registry.component("pool")?.inspect); // { open: 4, idle: 2, since: "1970-01-01T00:00:00.000Z" }
   * console.log(registry.component("nope")); // undefined
   * ```
   */
  component(name: string): ComponentDetail | undefined {
    if (typeof name !== "string") return undefined;
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    const detail: ComponentDetail = {
      ...info(entry),
      readiness: readReadiness(entry.component),
    };
    const inspected = readInspect(entry.component);
    if (inspected !== NO_INSPECT) detail.inspect = inspected;
    return detail;
  }
}

// ---------------------------------------------------------------------------
// Registration.

interface Entry {
  readonly component: Component;
  readonly name: string;
  readonly kind?: string;
  readonly policy: ComponentPolicy;
}

const MAX_KIND_LENGTH = 128;
const KIND = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
const POLICIES: ReadonlySet<unknown> = new Set<ComponentPolicy>([
  "required",
  "optional",
  "informational",
]);

function isValidKind(kind: unknown): kind is string {
  return typeof kind === "string" && kind.length <= MAX_KIND_LENGTH &&
    KIND.test(kind);
}

const COMPONENT_OPTION_KEYS: ReadonlySet<string> = new Set(["policy"]);

function readPolicy(
  name: string,
  options: RegisterComponentOptions | undefined,
): ComponentPolicy {
  if (options === undefined) return "required";
  if (options === null || typeof options !== "object") {
    throw new WorkerkitError(
      "invalid_argument",
      `component "${name}": options must be an object`,
    );
  }
  refuseUnknownKeys(`component "${name}"`, options, COMPONENT_OPTION_KEYS);
  const policy: unknown = options.policy;
  if (policy === undefined) return "required";
  if (!POLICIES.has(policy)) {
    throw new WorkerkitError(
      "invalid_argument",
      `component "${name}": policy must be "required", "optional" or "informational"`,
    );
  }
  return policy as ComponentPolicy;
}

function componentNameProblem(name: unknown): string {
  const what = "invalid component name";
  if (typeof name !== "string") {
    const type = name === null ? "null" : typeof name;
    return `${what}: must be a string, got ${type}`;
  }
  if (name.length === 0) return `${what}: must not be empty`;
  const shown = JSON.stringify(name.length > 32 ? name.slice(0, 32) : name) +
    (name.length > 32 ? "…" : "");
  if (name.length > MAX_NAME_LENGTH) {
    return `${what} ${shown}: ${name.length} characters long, the maximum is ${MAX_NAME_LENGTH}`;
  }
  return `${what} ${shown}: only a-z, 0-9, "-" and "_" are allowed`;
}

function info(entry: Entry): ComponentInfo {
  return entry.kind === undefined
    ? { name: entry.name, policy: entry.policy }
    : { name: entry.name, kind: entry.kind, policy: entry.policy };
}

/** How many blocking names the aggregate reason lists before "and N more". */
const MAX_LISTED = 10;

function blockingReason(names: string[]): string {
  const listed = names.slice(0, MAX_LISTED).join(", ");
  const more = names.length > MAX_LISTED
    ? ` and ${names.length - MAX_LISTED} more`
    : "";
  const noun = names.length === 1 ? "component" : "components";
  return `required ${noun} not ready: ${listed}${more}`;
}

// ---------------------------------------------------------------------------
// Readiness: a component's answer, copied field by field.

/** The longest `reason` kept, in UTF-16 code units; longer ones are cut. */
const MAX_REASON_LENGTH = 1024;
/** The longest item name kept; longer ones are cut. */
const MAX_ITEM_NAME_LENGTH = 256;
/** The most items kept per component (a runtime lists one per worker). */
const MAX_ITEMS = 100_000;

const STATES: ReadonlySet<unknown> = new Set<ComponentState>([
  "unknown",
  "starting",
  "ready",
  "degraded",
  "not_ready",
  "stopping",
  "stopped",
  "failed",
]);

function failed(reason: string): Readiness {
  return { ready: false, state: "failed", reason };
}

function readReadiness(component: Component): Readiness {
  let raw: unknown;
  try {
    raw = component.readiness();
  } catch {
    return failed("readiness check threw");
  }
  try {
    return copyReadiness(raw);
  } catch {
    // A throwing getter or proxy trap on what it returned.
    return failed("readiness returned an invalid value");
  }
}

function copyReadiness(raw: unknown): Readiness {
  if (raw === null || typeof raw !== "object") {
    return failed("readiness returned an invalid value");
  }
  if (isThenable(raw)) {
    silence(raw);
    return failed("readiness returned a promise");
  }
  const r = raw as Record<string, unknown>;
  const out: Readiness = { ready: r.ready === true };
  const state = r.state;
  if (STATES.has(state)) out.state = state as ComponentState;
  const reason = cut(r.reason, MAX_REASON_LENGTH);
  if (reason !== undefined) out.reason = reason;
  const items = r.items;
  if (Array.isArray(items)) {
    const copied: ReadinessItem[] = [];
    const n = Math.min(items.length, MAX_ITEMS);
    for (let i = 0; i < n; i++) {
      const item = copyItem(items[i]);
      if (item !== undefined) copied.push(item);
    }
    out.items = copied;
  }
  return out;
}

function copyItem(raw: unknown): ReadinessItem | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const r = raw as Record<string, unknown>;
  const name = cut(r.name, MAX_ITEM_NAME_LENGTH);
  if (name === undefined || name === "") return undefined;
  const impact = r.impact;
  const item: ReadinessItem = {
    name,
    ready: r.ready === true,
    // An unknown impact counts as the strictest one.
    impact: POLICIES.has(impact) ? impact as ReadinessImpact : "required",
  };
  const reason = cut(r.reason, MAX_REASON_LENGTH);
  if (reason !== undefined) item.reason = reason;
  return item;
}

/** A string cut to `max` code units (ending in "…"), or `undefined`. */
function cut(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return undefined;
  if (value.length <= max) return value;
  let head = value.slice(0, max - 1);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${head}…`;
}

/** Keeps a promise a component returned by mistake from going unhandled. */
function silence(thenable: object): void {
  try {
    Promise.resolve(thenable).catch(() => {});
  } catch {
    // A hostile thenable; nothing more to do.
  }
}

// ---------------------------------------------------------------------------
// Inspection: a JSON-safe, bounded copy.

/** Marks a component without `inspect`. */
const NO_INSPECT: unique symbol = Symbol("no inspect");

/** The deepest nesting kept. */
const MAX_DEPTH = 64;
/** About how many characters of JSON a copy may amount to. */
const MAX_SIZE = 16 * 1024 * 1024;

const INSPECT_FAILED = "inspect failed";
const NOT_SERIALISABLE = "inspect not serialisable";
const TOO_LARGE = "inspect output too large";

function readInspect(component: Component): unknown {
  let raw: unknown;
  try {
    const inspect: unknown = component.inspect;
    if (typeof inspect !== "function") return NO_INSPECT;
    raw = inspect.call(component);
  } catch {
    return { error: INSPECT_FAILED };
  }
  try {
    if (raw !== null && typeof raw === "object" && isThenable(raw)) {
      silence(raw);
      return { error: NOT_SERIALISABLE };
    }
    const copied = jsonCopy(raw);
    return copied === OMIT ? null : copied;
  } catch (error) {
    return { error: error === TOO_LARGE_ERROR ? TOO_LARGE : NOT_SERIALISABLE };
  }
}

/** A value JSON leaves out of an object (and writes as `null` in an array). */
const OMIT: unique symbol = Symbol("omit");
const TOO_LARGE_ERROR = new Error(TOO_LARGE);
const NOT_SERIALISABLE_ERROR = new Error(NOT_SERIALISABLE);

/**
 * Copies a value the way `JSON.parse(JSON.stringify(value))` would, with a
 * depth and size bound; throws on cycles and `bigint`s. Returns `OMIT` for a
 * top-level value JSON cannot represent (`undefined`, a function, a symbol).
 */
function jsonCopy(root: unknown): unknown {
  let budget = MAX_SIZE;
  const path = new Set<object>();

  function copy(input: unknown, key: string | number, depth: number): unknown {
    let value = input;
    if (typeof value === "object" && value !== null) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") {
        value = toJSON.call(value, String(key));
      }
      if (
        value instanceof Number || value instanceof String ||
        value instanceof Boolean
      ) {
        value = value.valueOf();
      }
    }
    switch (typeof value) {
      case "string":
        if ((budget -= value.length + 2) < 0) throw TOO_LARGE_ERROR;
        return value;
      case "number":
        if ((budget -= 8) < 0) throw TOO_LARGE_ERROR;
        return Number.isFinite(value) ? value : null;
      case "boolean":
        if ((budget -= 5) < 0) throw TOO_LARGE_ERROR;
        return value;
      case "undefined":
      case "function":
      case "symbol":
        return OMIT;
      case "bigint":
        throw NOT_SERIALISABLE_ERROR;
    }
    if (value === null) {
      if ((budget -= 4) < 0) throw TOO_LARGE_ERROR;
      return null;
    }
    const object = value as object;
    if (depth >= MAX_DEPTH || (budget -= 2) < 0) throw TOO_LARGE_ERROR;
    if (path.has(object)) throw NOT_SERIALISABLE_ERROR;
    path.add(object);
    let out: unknown;
    if (Array.isArray(object)) {
      const n: number = object.length;
      // Every element costs at least 3 (`"",`), so a huge (sparse) array is
      // refused before the loop.
      if (n * 3 > budget) throw TOO_LARGE_ERROR;
      const array: unknown[] = [];
      for (let i = 0; i < n; i++) {
        if (--budget < 0) throw TOO_LARGE_ERROR;
        const element = copy(object[i], i, depth + 1);
        if (element === OMIT) {
          if ((budget -= 4) < 0) throw TOO_LARGE_ERROR;
          array.push(null);
        } else {
          array.push(element);
        }
      }
      out = array;
    } else {
      const record: Record<string, unknown> = {};
      const source = object as Record<string, unknown>;
      for (const k of Object.keys(source)) {
        if ((budget -= k.length + 4) < 0) throw TOO_LARGE_ERROR;
        const element = copy(source[k], k, depth + 1);
        if (element === OMIT) continue;
        if (k === "__proto__") {
          // Define rather than assign, so the key stays a key.
          Object.defineProperty(record, k, {
            value: element,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          record[k] = element;
        }
      }
      out = record;
    }
    path.delete(object);
    return out;
  }

  return copy(root, "", 0);
}
