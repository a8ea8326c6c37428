import type { Level } from "./_records.ts";
import type { Template } from "./_templates.ts";

/** The four methods every supported logger has. */
export interface LevelMethods {
  debug(message: string, properties?: Record<string, unknown>): void;
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

/** What LogTape's `Logger` adds: categories and a cheap level test. */
interface CategoryLogger extends LevelMethods {
  getChild(subcategory: string): unknown;
  isEnabledFor?(level: string): boolean;
}

/** LogTape says `warning` where the method is `warn`. */
const LOGTAPE_LEVEL: Readonly<Record<Level, string>> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

/**
 * Where one observer's records go. A logger with `getChild` (LogTape's)
 * gets a child per runtime and per worker — categories `[...its own,
 * runtime]` and `[...its own, runtime, worker]` — receives message
 * templates to render itself, and is asked `isEnabledFor` first so that
 * records below its level are never built. Any other logger (`console`,
 * `@std/log`) receives the rendered message and the same properties.
 */
export class Destination {
  readonly #root: LevelMethods;
  readonly #categories: boolean;
  readonly #children = new Map<string, LevelMethods>();

  constructor(logger: LevelMethods) {
    this.#root = logger;
    this.#categories =
      typeof (logger as Partial<CategoryLogger>).getChild === "function";
  }

  /**
   * The logger for a runtime's own records (`worker` undefined) or for a
   * worker's; `worker` is the qualified `runtime/name`.
   */
  logger(runtime: string, worker: string | undefined): LevelMethods {
    if (!this.#categories) return this.#root;
    const key = worker ?? runtime;
    const known = this.#children.get(key);
    if (known !== undefined) return known;
    const child = this.#child(runtime, worker);
    this.#children.set(key, child);
    return child;
  }

  /** Whether loggers render messages themselves (LogTape's do). */
  get templated(): boolean {
    return this.#categories;
  }

  /** False only when a category logger says the level is off. */
  enabled(logger: LevelMethods, level: Level): boolean {
    if (!this.#categories) return true;
    try {
      const test = (logger as Partial<CategoryLogger>).isEnabledFor;
      return typeof test !== "function" ||
        test.call(logger, LOGTAPE_LEVEL[level]) !== false;
    } catch {
      return true;
    }
  }

  /**
   * Calls the logger's method for `level` (or `info`), looked up at each
   * call so a logger patched later is honoured; never throws.
   */
  write(
    logger: LevelMethods,
    level: Level,
    template: Template,
    properties: Record<string, unknown>,
    rendered?: string,
  ): void {
    try {
      let method: unknown = logger[level];
      if (typeof method !== "function") method = logger.info;
      if (typeof method !== "function") return;
      const message = this.#categories
        ? template.text
        : rendered ?? template.render(properties);
      ignoreRejection(
        (method as (m: string, p: Record<string, unknown>) => unknown).call(
          logger,
          message,
          properties,
        ),
      );
    } catch {
      // A logger's failure is its own; the runtime carries on.
    }
  }

  #child(runtime: string, worker: string | undefined): LevelMethods {
    const root = this.#root as CategoryLogger;
    try {
      const forRuntime = root.getChild(runtime) as CategoryLogger;
      if (worker === undefined) return forRuntime;
      const local = worker.startsWith(`${runtime}/`)
        ? worker.slice(runtime.length + 1)
        : worker;
      return forRuntime.getChild(local) as LevelMethods;
    } catch {
      return root;
    }
  }
}

function ignoreRejection(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  try {
    const then = (value as { then?: unknown }).then;
    if (typeof then === "function") then.call(value, undefined, () => {});
  } catch {
    // A hostile thenable cannot hurt us either.
  }
}
